using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Faultline.Lab.Relay;
using Npgsql;
using StackExchange.Redis;

namespace Faultline.Lab.Stack;

/// <summary>
/// The lab: PostgreSQL, Redis, nginx (with the TLS load balancer for <c>api.lab.test</c>) and dnsmasq
/// started by <c>scripts/services.sh</c> in the lab's own state directory and ports, the fault relay
/// (<c>faultline lab relay</c>) with links <c>db</c>, <c>cache</c> and <c>upstream</c>, and the
/// GoldenPath sample with the <c>Lab</c> profile. Every process is detached (it outlives the caller)
/// and has a pid file; <see cref="DownAsync"/> stops them all. The actions (<see cref="StopAsync"/>,
/// <see cref="CertAsync"/>, ...) are idempotent and <see cref="RestoreAsync"/> undoes all of them.
/// </summary>
public sealed class LabStack : IAsyncDisposable
{
    /// <summary>The services <see cref="StopAsync"/> knows.</summary>
    public static readonly IReadOnlyList<string> StoppableServices = ["postgres", "redis", "app", "nginx", "dns"];

    /// <summary>The certificate variants <see cref="CertAsync"/> knows.</summary>
    public static readonly IReadOnlyList<string> CertificateKinds = LabCertificates.Kinds;

    /// <summary>The names dnsmasq answers (all 127.0.0.1).</summary>
    public static readonly IReadOnlyList<string> HostNames = ["api.lab.test", "db.lab.test", "cache.lab.test"];

    /// <summary>The secret files the app reads from <see cref="LabEnvironment.SecretsDirectory"/>.</summary>
    public static readonly IReadOnlyList<string> SecretNames = ["Jwt__Secret", "ConnectionStrings__Postgres", "ConnectionStrings__Redis", "Faultline__ApiKey"];

    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    private static readonly (string Name, string Variable, int Default)[] PortTable =
    [
        ("postgres", "FAULTLINE_LAB_PG_PORT", 55452),
        ("redis", "FAULTLINE_LAB_REDIS_PORT", 56399),
        ("redis-tls", "FAULTLINE_LAB_REDIS_TLS_PORT", 56400),
        ("nginx", "FAULTLINE_LAB_NGINX_PORT", 58180),
        ("lb", "FAULTLINE_LAB_LB_PORT", 58443),
        ("dns", "FAULTLINE_LAB_DNS_PORT", 25354),
        ("app", "FAULTLINE_LAB_APP_PORT", 58184),
        ("relay-control", "FAULTLINE_LAB_RELAY_CONTROL_PORT", 58190),
        ("relay-db", "FAULTLINE_LAB_RELAY_DB_PORT", 58191),
        ("relay-cache", "FAULTLINE_LAB_RELAY_CACHE_PORT", 58192),
        ("relay-upstream", "FAULTLINE_LAB_RELAY_UPSTREAM_PORT", 58193),
    ];

    private readonly TimeProvider _time;
    private readonly Dictionary<string, int> _ports;
    private readonly List<NpgsqlConnection> _exhaust = [];
    private readonly SemaphoreSlim _gate = new(1, 1);
    private LabEnvironment _environment;

    private LabStack(string repositoryRoot, string directory, TimeProvider time, IReadOnlyDictionary<string, int>? ports)
    {
        RepositoryRoot = repositoryRoot;
        Directory = directory;
        _time = time;
        _ports = ResolvePorts(directory, ports);
        _environment = BuildEnvironment();
    }

    /// <summary>The repository root (the directory holding Faultline.slnx and scripts/services.sh).</summary>
    public string RepositoryRoot { get; }

    /// <summary>The lab's state directory.</summary>
    public string Directory { get; }

    /// <summary>Every value a check needs; refreshed by <see cref="UpAsync"/>.</summary>
    public LabEnvironment Environment => _environment;

    private string ServicesDir => Path.Combine(Directory, "services");

    private string TlsDir => Path.Combine(Directory, "tls");

    private string StateDir => Path.Combine(Directory, "state");

    /// <summary>The app's Drills__Directory: a file named after a drill switches that application bug on.</summary>
    private string DrillsDir => Path.Combine(Directory, "drills");

    /// <summary>The application bugs <see cref="AppBugAsync"/> can switch on (GoldenPath's drills).</summary>
    public static IReadOnlyList<string> AppBugs { get; } = ["login-500", "agent-completed-missing", "tool-completed-missing", "cache-blocks-chat"];

    /// <summary>
    /// Switches on one of the app's drills (an application bug on purpose: <c>login-500</c>,
    /// <c>agent-completed-missing</c>, <c>tool-completed-missing</c>, <c>cache-blocks-chat</c>) while every dependency stays healthy; <see cref="RestoreAsync(CancellationToken)"/> switches it off.
    /// </summary>
    public Task AppBugAsync(string bug, CancellationToken cancellationToken = default)
    {
        if (!AppBugs.Contains(bug, StringComparer.Ordinal))
        {
            throw new ArgumentException($"unknown application bug '{bug}'; the lab's app has: {string.Join(", ", AppBugs)}", nameof(bug));
        }

        cancellationToken.ThrowIfCancellationRequested();
        System.IO.Directory.CreateDirectory(DrillsDir);
        File.WriteAllText(Path.Combine(DrillsDir, bug), string.Empty);
        return Task.CompletedTask;
    }

    private string HostsFile => Path.Combine(Directory, "dns-hosts");

    private string NginxIncludeDir => Path.Combine(Directory, "nginx.d");

    private string AppPidFile => Path.Combine(Directory, "app.pid");

    private string AppLogFile => Path.Combine(Directory, "app.log");

    private string RelayPidFile => Path.Combine(Directory, "relay.pid");

    private string RelayLogFile => Path.Combine(Directory, "relay.log");

    /// <summary>
    /// The lab of the repository at <paramref name="repositoryRoot"/>, else <c>FAULTLINE_REPO</c>, else
    /// the first directory holding Faultline.slnx above the current directory or this assembly.
    /// State in <c>FAULTLINE_LAB_DIR</c> or <c>&lt;repo&gt;/.faultline/lab</c>. Nothing is started.
    /// </summary>
    public static LabStack Open(string? repositoryRoot = null) => Open(repositoryRoot, TimeProvider.System);

    internal static LabStack Open(string? repositoryRoot, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var root = repositoryRoot ?? FindRepositoryRoot();
        if (!File.Exists(Path.Combine(root, "scripts", "services.sh")))
        {
            throw new LabException($"{root} is not a Faultline repository (no scripts/services.sh); run from the repository or set FAULTLINE_REPO");
        }

        var dir = System.Environment.GetEnvironmentVariable("FAULTLINE_LAB_DIR");
        dir = string.IsNullOrWhiteSpace(dir) ? Path.Combine(root, ".faultline", "lab") : Path.GetFullPath(dir);
        return new LabStack(Path.GetFullPath(root), dir, time, ports: null);
    }

    /// <summary>A lab in <paramref name="directory"/> with explicit ports (names as in <see cref="PortNames"/>), e.g. a private lab for tests.</summary>
    internal static LabStack Open(string repositoryRoot, string directory, IReadOnlyDictionary<string, int> ports, TimeProvider time) =>
        new(Path.GetFullPath(repositoryRoot), Path.GetFullPath(directory), time, ports);

    /// <summary>The names of the lab's ports (postgres, redis, redis-tls, nginx, lb, dns, app, relay-control, relay-db, relay-cache, relay-upstream).</summary>
    internal static IReadOnlyList<string> PortNames => [.. PortTable.Select(t => t.Name)];

    /// <summary>Finds the repository root: <c>FAULTLINE_REPO</c>, then upwards from the current directory, then from this assembly.</summary>
    public static string FindRepositoryRoot()
    {
        var fromEnvironment = System.Environment.GetEnvironmentVariable("FAULTLINE_REPO");
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return Path.GetFullPath(fromEnvironment);
        }

        foreach (var start in new[] { System.Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Faultline.slnx")) && File.Exists(Path.Combine(dir.FullName, "scripts", "services.sh")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new LabException("no Faultline repository (Faultline.slnx) above the current directory; cd into the repository or set FAULTLINE_REPO=/path/to/faultline");
    }

    /// <summary>
    /// Starts whatever is not running and waits until the app answers /health/ready with 200. When a step fails
    /// (or the call is cancelled), what this call started is stopped again, in reverse order — what was already
    /// running before it stays — so the next <see cref="UpAsync"/> does not trip over a process or a port left
    /// behind; the <see cref="LabException"/> names the step and what was rolled back.
    /// </summary>
    public async Task UpAsync(IProgress<string>? progress, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var started = new List<string>();
        var step = "prepare";
        try
        {
            progress?.Report($"Faultline lab in {Directory}");
            ReservedPorts.TryReserve(_ports.Values);
            var certificateChanged = File.Exists(Path.Combine(TlsDir, "lb.pem")) && ActiveCertificate() != LabCertificates.Valid;
            var hostsChanged = File.Exists(HostsFile) && File.ReadAllText(HostsFile) != CanonicalHosts();
            PrepareFiles();
            step = "nginx";
            if (!LabProcesses.IsAlive(Path.Combine(ServicesDir, "nginx", "nginx.pid")))
            {
                // nginx's own message for a taken port of an included server names neither the port nor the setting.
                await EnsurePortFreeAsync("lb", cancellationToken).ConfigureAwait(false);
            }

            step = "services status";
            var running = await RunningServicesAsync(cancellationToken).ConfigureAwait(false);
            progress?.Report("starting postgres, redis, nginx, dns (scripts/services.sh)");
            foreach (var service in ScriptServices)
            {
                // One service at a time, so a failure names its step and what started before it is known.
                step = service;
                if (!running.Contains(service))
                {
                    started.Add(service);
                }

                await ServicesAsync(progress, cancellationToken, "up", service).ConfigureAwait(false);
            }

            if (certificateChanged)
            {
                // A lab left with a broken certificate or DNS name: back to the healthy files.
                step = "nginx";
                await ReloadNginxAsync(LabCertificates.Valid, cancellationToken).ConfigureAwait(false);
            }

            if (hostsChanged)
            {
                step = "dns";
                await ServicesAsync(null, cancellationToken, "reload", "dns").ConfigureAwait(false);
            }

            step = "relay";
            _environment = BuildEnvironment();
            WriteSecrets();
            WriteEnvFile();
            if (!(LabProcesses.IsAlive(RelayPidFile) && await RelayAnswersAsync(cancellationToken).ConfigureAwait(false)))
            {
                started.Add("relay");
            }

            await StartRelayAsync(progress, cancellationToken).ConfigureAwait(false);
            step = "app";
            if (!LabProcesses.IsAlive(AppPidFile))
            {
                started.Add("app");
            }

            await StartAppAsync(progress, cancellationToken).ConfigureAwait(false);
            await WaitReadyAsync(progress, ReadyTimeout, cancellationToken).ConfigureAwait(false);
            progress?.Report($"lab up: {Environment.ApiUrl} (resolver {Environment.Variables["FAULTLINE_LAB_RESOLVER"]}, CA {Environment.CaFile}); variables in {Environment.EnvFile}");
        }
        catch (Exception failure)
        {
            progress?.Report($"lab up failed at step {step}; rolling back what this up started");
            var rollback = await RollBackAsync(started, progress).ConfigureAwait(false);
            if (failure is OperationCanceledException)
            {
                throw;
            }

            throw new LabException($"up failed at step {step}: {failure.Message}; {rollback}", failure);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The services scripts/services.sh starts for the lab, in the order <see cref="UpAsync"/> starts them.</summary>
    private static readonly string[] ScriptServices = ["postgres", "redis", "nginx", "dns"];

    private static readonly TimeSpan RollbackTimeout = TimeSpan.FromMinutes(2);

    /// <summary>The scripts/services.sh services that are up (running and answering).</summary>
    private async Task<HashSet<string>> RunningServicesAsync(CancellationToken cancellationToken)
    {
        if (!System.IO.Directory.Exists(ServicesDir))
        {
            return [];
        }

        var (_, output) = await RunServicesAsync(cancellationToken, ["status", .. ScriptServices]).ConfigureAwait(false);
        return output.Split('\n')
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(words => words.Length >= 2 && words[1] == "up" && ScriptServices.Contains(words[0]))
            .Select(words => words[0])
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Stops <paramref name="started"/> in reverse order, with a deadline of its own (the caller's token may be the
    /// reason for the rollback); returns the sentence for the error message.
    /// </summary>
    private async Task<string> RollBackAsync(List<string> started, IProgress<string>? progress)
    {
        if (started.Count == 0)
        {
            progress?.Report("rolled back: this up had started nothing");
            return "nothing to roll back (this up had started nothing)";
        }

        using var timeout = new CancellationTokenSource(RollbackTimeout);
        var stopped = new List<string>();
        var problems = new List<string>();
        foreach (var name in Enumerable.Reverse(started))
        {
            try
            {
                var wasRunning = name switch
                {
                    "app" => await LabProcesses.StopAsync(AppPidFile, StopGrace, timeout.Token).ConfigureAwait(false),
                    "relay" => await LabProcesses.StopAsync(RelayPidFile, StopGrace, timeout.Token).ConfigureAwait(false),
                    _ => await ServiceDownAsync(name, progress, timeout.Token).ConfigureAwait(false),
                };
                if (wasRunning)
                {
                    stopped.Add(name);
                    if (name is "app" or "relay")
                    {
                        progress?.Report($"{name,-9} stopped");
                    }
                }
            }
            catch (Exception ex) when (ex is LabException or IOException or OperationCanceledException)
            {
                problems.Add($"{name}: {ex.Message}");
            }
        }

        var done = stopped.Count == 0
            ? "rolled back: nothing it had started was still running"
            : $"rolled back: stopped {string.Join(", ", stopped)} (what this up had started, in reverse order)";
        progress?.Report(problems.Count == 0 ? done : $"rollback incomplete: {string.Join("; ", problems)}");
        return problems.Count == 0
            ? done
            : $"rollback incomplete ({string.Join("; ", problems)}); stop the rest with: faultline lab down";
    }

    /// <summary><c>scripts/services.sh down SERVICE</c>; true when the script stopped it (false: it was not running).</summary>
    private async Task<bool> ServiceDownAsync(string service, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var (exitCode, output) = await RunServicesAsync(cancellationToken, "down", service).ConfigureAwait(false);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var line in lines.Where(l => l.StartsWith(service + " ", StringComparison.Ordinal)))
        {
            progress?.Report(line);
        }

        if (exitCode != 0)
        {
            throw new LabException($"scripts/services.sh down {service} failed: {output}");
        }

        return lines.Any(l => l.StartsWith(service + " ", StringComparison.Ordinal) && l.Contains(" stopped", StringComparison.Ordinal));
    }

    /// <summary>Stops the app, the relay, dnsmasq, nginx, Redis and PostgreSQL; <paramref name="purge"/> also deletes the state directory.</summary>
    public async Task DownAsync(bool purge, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ReleaseExhaust();
            var app = await LabProcesses.StopAsync(AppPidFile, StopGrace, cancellationToken).ConfigureAwait(false);
            progress?.Report(app ? "app       stopped" : "app       not running");
            var relay = await LabProcesses.StopAsync(RelayPidFile, StopGrace, cancellationToken).ConfigureAwait(false);
            progress?.Report(relay ? "relay     stopped" : "relay     not running");
            if (System.IO.Directory.Exists(ServicesDir))
            {
                string[] args = purge ? ["down", "--purge"] : ["down"];
                await ServicesAsync(progress, cancellationToken, args).ConfigureAwait(false);
            }

            if (purge && System.IO.Directory.Exists(Directory))
            {
                System.IO.Directory.Delete(Directory, recursive: true);
                progress?.Report($"purged {Directory}");
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops everything; same as <see cref="DownAsync"/> with <c>purge: false</c>.</summary>
    public Task DownAsync(IProgress<string>? progress, CancellationToken cancellationToken) => DownAsync(purge: false, progress, cancellationToken);

    /// <summary>One entry per service (postgres, redis, nginx, lb, dns, relay, app): up or down, and its port.</summary>
    public async Task<IReadOnlyList<ServiceStatus>> StatusAsync(CancellationToken cancellationToken = default)
    {
        var result = new List<ServiceStatus>();
        var script = System.IO.Directory.Exists(ServicesDir)
            ? (await RunServicesAsync(cancellationToken, "status", "postgres", "redis", "nginx", "dns").ConfigureAwait(false)).Output
            : string.Empty;
        foreach (var (name, port) in new[] { ("postgres", Port("postgres")), ("redis", Port("redis")), ("nginx", Port("nginx")) })
        {
            var up = script.Split('\n').Any(line => line.StartsWith(name + " ", StringComparison.Ordinal) && line.Contains(" up ", StringComparison.Ordinal));
            result.Add(new ServiceStatus(name, up, port, up ? "answers" : "not running or not answering"));
        }

        var nginxUp = result[^1].Up;
        var lbOpen = nginxUp && await LabProcesses.PortOpenAsync(Port("lb"), cancellationToken).ConfigureAwait(false);
        result.Add(new ServiceStatus("lb", lbOpen, Port("lb"), lbOpen ? "nginx TLS server for api.lab.test accepts connections" : "nginx's TLS server does not accept connections"));
        var dnsUp = script.Split('\n').Any(line => line.StartsWith("dns ", StringComparison.Ordinal) && line.Contains(" up ", StringComparison.Ordinal));
        result.Add(new ServiceStatus("dns", dnsUp, Port("dns"), dnsUp ? "dnsmasq answers" : "dnsmasq not running"));
        var relayUp = LabProcesses.IsAlive(RelayPidFile) && await RelayAnswersAsync(cancellationToken).ConfigureAwait(false);
        result.Add(new ServiceStatus("relay", relayUp, Port("relay-control"), relayUp ? "control API answers" : "relay not running or its control API does not answer"));
        var (ready, detail) = LabProcesses.IsAlive(AppPidFile)
            ? await ReadyAsync(cancellationToken).ConfigureAwait(false)
            : (false, "not running");
        result.Add(new ServiceStatus("app", ready, Port("app"), ready ? "/health/ready 200" : detail));
        return result;
    }

    /// <summary>Stops one service: postgres, redis, app, nginx or dns. Undone by <see cref="RestoreAsync"/>.</summary>
    public async Task StopAsync(string service, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(service);
        switch (service)
        {
            case "app":
                await LabProcesses.StopAsync(AppPidFile, StopGrace, cancellationToken).ConfigureAwait(false);
                break;
            case "postgres" or "redis" or "nginx" or "dns":
                await ServicesAsync(null, cancellationToken, "down", service).ConfigureAwait(false);
                break;
            default:
                throw new ArgumentException($"unknown service '{service}'; known: {string.Join(", ", StoppableServices)}", nameof(service));
        }
    }

    /// <summary>Serves the load balancer certificate <paramref name="kind"/> (valid, expired, wrong-name, untrusted) and reloads nginx.</summary>
    public async Task CertAsync(string kind, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kind);
        if (!LabCertificates.Kinds.Contains(kind))
        {
            throw new ArgumentException($"unknown certificate '{kind}'; known: {string.Join(", ", LabCertificates.Kinds)}", nameof(kind));
        }

        if (ActiveCertificate() == kind && File.Exists(Path.Combine(TlsDir, "lb.pem")))
        {
            return;
        }

        ActivateCertificate(kind);
        if (await NginxRunningAsync(cancellationToken).ConfigureAwait(false))
        {
            await ReloadNginxAsync(kind, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reloads nginx and returns once every connection gets the certificate <paramref name="kind"/>:
    /// nginx reloads in the background, and until the old workers have exited they may still accept
    /// connections with the old certificate.
    /// </summary>
    private async Task ReloadNginxAsync(string kind, CancellationToken cancellationToken)
    {
        var master = LabProcesses.ReadPid(Path.Combine(ServicesDir, "nginx", "nginx.pid"));
        var oldWorkers = master is { } pid ? LabProcesses.ChildrenOf(pid) : [];
        await ServicesAsync(null, cancellationToken, "reload", "nginx").ConfigureAwait(false);
        var watch = Stopwatch.StartNew();
        while (oldWorkers.Any(LabProcesses.IsAlive) && watch.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        await WaitForCertificateAsync(kind, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits until a new connection gets the certificate <paramref name="kind"/>.</summary>
    private async Task WaitForCertificateAsync(string kind, CancellationToken cancellationToken)
    {
        using var expected = X509Certificate2.CreateFromPem(File.ReadAllText(LabCertificates.CertPath(TlsDir, kind)));
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var served = await ServedCertificateAsync(cancellationToken).ConfigureAwait(false);
            if (served == expected.Thumbprint)
            {
                return;
            }

            if (watch.Elapsed > TimeSpan.FromSeconds(15))
            {
                throw new LabException($"nginx does not serve the {kind} certificate on 127.0.0.1:{Port("lb").ToString(CultureInfo.InvariantCulture)} after a reload; see {Path.Combine(ServicesDir, "nginx", "logs", "error.log")}");
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<string?> ServedCertificateAsync(CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, Port("lb"), timeout.Token).ConfigureAwait(false);
            string? thumbprint = null;
            var ssl = new SslStream(client.GetStream(), leaveInnerStreamOpen: false, (_, certificate, _, _) =>
            {
                thumbprint = certificate is null ? null : new X509Certificate2(certificate).Thumbprint;
                return true;
            });
            await using (ssl.ConfigureAwait(false))
            {
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = LabCertificates.HostName }, timeout.Token).ConfigureAwait(false);
            }

            return thumbprint;
        }
        catch (Exception ex) when (ex is SocketException or IOException or AuthenticationException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Removes <paramref name="name"/> from dnsmasq's hosts (it then answers NXDOMAIN) and reloads it.</summary>
    public async Task DnsRemoveAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!HostNames.Contains(name, StringComparer.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"unknown name '{name}'; the lab serves {string.Join(", ", HostNames)}", nameof(name));
        }

        var kept = File.Exists(HostsFile)
            ? File.ReadAllLines(HostsFile).Where(line => !line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Contains(name, StringComparer.OrdinalIgnoreCase))
            : [];
        await WriteHostsAsync(string.Join('\n', kept) + "\n", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes the app's secret file <paramref name="name"/> (e.g. Jwt__Secret); the app notices at its next start.</summary>
    public Task SecretRemoveAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var file = SecretName(name);
        File.Delete(Path.Combine(Environment.SecretsDirectory, file));
        return Task.CompletedTask;
    }

    /// <summary>
    /// Changes the value the server accepts, not the one the app reads: ConnectionStrings__Postgres
    /// (or postgres) sets a new password on the app's role; ConnectionStrings__Redis (or redis) a new
    /// requirepass. Existing sessions are closed so the app must log in again.
    /// </summary>
    public async Task SecretRotateAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var fresh = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        switch (name)
        {
            case "ConnectionStrings__Postgres" or "postgres":
                await AdminSqlAsync($"ALTER ROLE faultline PASSWORD '{fresh}'", cancellationToken).ConfigureAwait(false);
                await TerminateAppSessionsAsync(cancellationToken).ConfigureAwait(false);
                break;
            case "ConnectionStrings__Redis" or "redis":
                System.IO.Directory.CreateDirectory(StateDir);
                var current = ReadState("redis-rotated") ?? Environment.RedisPassword;
                await using (var redis = await ConnectRedisAsync(current).ConfigureAwait(false))
                {
                    var server = redis.GetServer(IPAddress.Loopback, Port("redis"));
                    await server.ExecuteAsync("CONFIG", "SET", "requirepass", fresh).ConfigureAwait(false);
                    LabCertificates.WriteFile(Path.Combine(StateDir, "redis-rotated"), fresh, secret: true);
                    await server.ExecuteAsync("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes").ConfigureAwait(false);
                }

                break;
            default:
                throw new ArgumentException($"secret rotate knows ConnectionStrings__Postgres (postgres) and ConnectionStrings__Redis (redis), not '{name}'", nameof(name));
        }
    }

    /// <summary>Fills every PostgreSQL connection slot (held by this process until <see cref="RestoreAsync"/> or <see cref="DownAsync"/>) and closes the app's sessions.</summary>
    public async Task PostgresExhaustAsync(CancellationToken cancellationToken = default)
    {
        if (_exhaust.Count > 0)
        {
            return;
        }

        await TerminateAppSessionsAsync(cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < 200; i++)
        {
            var connection = new NpgsqlConnection(AdminConnectionString());
            try
            {
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                _exhaust.Add(connection);
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.TooManyConnections)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                return;
            }
        }
    }

    /// <summary>Limits the app's role to <paramref name="max"/> connections (CONNECTION LIMIT) and closes its sessions.</summary>
    public async Task PostgresMaxConnectionsAsync(int max, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        await AdminSqlAsync($"ALTER ROLE faultline CONNECTION LIMIT {max.ToString(CultureInfo.InvariantCulture)}", cancellationToken).ConfigureAwait(false);
        await TerminateAppSessionsAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops and starts the app; waits until it is ready or has exited (e.g. with code 3 for a missing secret).</summary>
    public async Task AppRestartAsync(CancellationToken cancellationToken = default)
    {
        await LabProcesses.StopAsync(AppPidFile, StopGrace, cancellationToken).ConfigureAwait(false);
        await StartAppAsync(null, cancellationToken).ConfigureAwait(false);
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < ReadyTimeout && LabProcesses.IsAlive(AppPidFile))
        {
            if ((await ReadyAsync(cancellationToken).ConfigureAwait(false)).Ready)
            {
                return;
            }

            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Back to healthy: releases held connections, clears every relay fault, serves the valid
    /// certificate, restores the DNS names, the secret files and the passwords/limits, starts what
    /// is stopped (the app too, if it exited) and waits until /health/ready is 200.
    /// </summary>
    public Task RestoreAsync(CancellationToken cancellationToken = default) => RestoreAsync(null, cancellationToken);

    /// <summary><see cref="RestoreAsync(CancellationToken)"/> with progress lines.</summary>
    public async Task RestoreAsync(IProgress<string>? progress, CancellationToken cancellationToken)
    {
        ReleaseExhaust();
        if (System.IO.Directory.Exists(DrillsDir))
        {
            foreach (var drill in System.IO.Directory.GetFiles(DrillsDir))
            {
                File.Delete(drill);
            }
        }

        var certificateChanged = ActiveCertificate() != LabCertificates.Valid;
        var hostsChanged = !File.Exists(HostsFile) || File.ReadAllText(HostsFile) != CanonicalHosts();
        PrepareFiles();
        if (ReadState("redis-rotated") is { } rotated)
        {
            try
            {
                await using var redis = await ConnectRedisAsync(rotated).ConfigureAwait(false);
                await redis.GetServer(IPAddress.Loopback, Port("redis")).ExecuteAsync("CONFIG", "SET", "requirepass", Environment.RedisPassword).ConfigureAwait(false);
            }
            catch (RedisConnectionException)
            {
                // Redis is not running: it starts again with the password of its configuration.
            }

            File.Delete(Path.Combine(StateDir, "redis-rotated"));
        }

        var status = await StatusAsync(cancellationToken).ConfigureAwait(false);
        if (status.Any(s => !s.Up && s.Name is "postgres" or "redis" or "nginx" or "lb" or "dns"))
        {
            await ServicesAsync(progress, cancellationToken, "up", "postgres", "redis", "nginx", "dns").ConfigureAwait(false);
        }

        if (certificateChanged)
        {
            await ReloadNginxAsync(LabCertificates.Valid, cancellationToken).ConfigureAwait(false);
        }

        if (hostsChanged)
        {
            await ServicesAsync(null, cancellationToken, "reload", "dns").ConfigureAwait(false);
        }

        await AdminSqlAsync($"ALTER ROLE faultline PASSWORD '{Environment.PostgresPassword}' CONNECTION LIMIT -1", cancellationToken).ConfigureAwait(false);
        WriteSecrets();
        if (!status.Single(s => s.Name == "relay").Up)
        {
            await StartRelayAsync(progress, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await ClearRelayFaultsAsync(cancellationToken).ConfigureAwait(false);
        }

        if (!LabProcesses.IsAlive(AppPidFile))
        {
            await StartAppAsync(progress, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await WaitReadyAsync(progress, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            await WaitReadyHoldsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (LabException)
        {
            // Still unready after every dependency is back (e.g. the app gave up on a phase): start it afresh.
            progress?.Report("app       not ready after the restore; restarting it");
            await LabProcesses.StopAsync(AppPidFile, StopGrace, cancellationToken).ConfigureAwait(false);
            await StartAppAsync(progress, cancellationToken).ConfigureAwait(false);
            await WaitReadyAsync(progress, ReadyTimeout, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        ReleaseExhaust();
        _gate.Dispose();
        await Task.CompletedTask.ConfigureAwait(false);
    }

    // -----------------------------------------------------------------------------------------
    // Files
    // -----------------------------------------------------------------------------------------

    private void PrepareFiles()
    {
        System.IO.Directory.CreateDirectory(Directory);
        System.IO.Directory.CreateDirectory(StateDir);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(StateDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        foreach (var name in new[] { "api-key", "jwt-secret", "demo-password" })
        {
            if (ReadState(name) is null)
            {
                var bytes = name == "jwt-secret" ? 32 : 16;
                LabCertificates.WriteFile(Path.Combine(StateDir, name), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes)), secret: true);
            }
        }

        LabCertificates.Ensure(TlsDir, _time);
        if (!File.Exists(Path.Combine(TlsDir, "lb.pem")) || ActiveCertificate() != LabCertificates.Valid)
        {
            ActivateCertificate(LabCertificates.Valid);
        }

        System.IO.Directory.CreateDirectory(NginxIncludeDir);
        var lb = Port("lb").ToString(CultureInfo.InvariantCulture);
        var upstream = Port("relay-upstream").ToString(CultureInfo.InvariantCulture);
        var conf = $$"""
            # Written by faultline lab: the TLS load balancer for api.lab.test → relay link upstream → app.
            map $http_upgrade $faultline_lab_connection {
              default upgrade;
              '' close;
            }
            server {
              listen 127.0.0.1:{{lb}} ssl;
              server_name api.lab.test;
              ssl_certificate {{Path.Combine(TlsDir, "lb.pem")}};
              ssl_certificate_key {{Path.Combine(TlsDir, "lb.key")}};
              location / {
                proxy_pass http://127.0.0.1:{{upstream}};
                proxy_http_version 1.1;
                proxy_set_header Host $host;
                proxy_set_header X-Forwarded-For $remote_addr;
                proxy_set_header X-Forwarded-Proto https;
                proxy_set_header Upgrade $http_upgrade;
                proxy_set_header Connection $faultline_lab_connection;
                proxy_connect_timeout 2s;
                proxy_read_timeout 5s;
              }
            }

            """;
        var confPath = Path.Combine(NginxIncludeDir, "api-lab-test.conf");
        if (!File.Exists(confPath) || File.ReadAllText(confPath) != conf)
        {
            LabCertificates.WriteFile(confPath, conf, secret: false);
        }

        var hosts = CanonicalHosts();
        if (!File.Exists(HostsFile) || File.ReadAllText(HostsFile) != hosts)
        {
            LabCertificates.WriteFile(HostsFile, hosts, secret: false);
        }
    }

    private static string CanonicalHosts() => string.Concat(HostNames.Select(name => $"127.0.0.1 {name}\n"));

    private async Task WriteHostsAsync(string text, CancellationToken cancellationToken)
    {
        LabCertificates.WriteFile(HostsFile, text, secret: false);
        if (LabProcesses.IsAlive(Path.Combine(ServicesDir, "dns", "dnsmasq.pid")))
        {
            await ServicesAsync(null, cancellationToken, "reload", "dns").ConfigureAwait(false);
        }
    }

    private string? ActiveCertificate()
    {
        var path = Path.Combine(TlsDir, "active");
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    private void ActivateCertificate(string kind)
    {
        LabCertificates.WriteFile(Path.Combine(TlsDir, "lb.pem"), File.ReadAllText(LabCertificates.CertPath(TlsDir, kind)), secret: false);
        LabCertificates.WriteFile(Path.Combine(TlsDir, "lb.key"), File.ReadAllText(LabCertificates.KeyPath(TlsDir, kind)), secret: true);
        LabCertificates.WriteFile(Path.Combine(TlsDir, "active"), kind + "\n", secret: false);
    }

    private string? ReadState(string name)
    {
        var path = Path.Combine(StateDir, name);
        return File.Exists(path) ? File.ReadAllText(path).Trim() is { Length: > 0 } value ? value : null : null;
    }

    private string ReadServicesSecret(string name)
    {
        var path = Path.Combine(ServicesDir, "secrets", name);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : string.Empty;
    }

    private Dictionary<string, string> SecretValues()
    {
        var env = Environment;
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Jwt__Secret"] = ReadState("jwt-secret") ?? string.Empty,
            ["ConnectionStrings__Postgres"] = $"postgres://faultline:{env.PostgresPassword}@127.0.0.1:{env.RelayDbPort.ToString(CultureInfo.InvariantCulture)}/faultline?sslmode=disable",
            ["ConnectionStrings__Redis"] = $"redis://:{env.RedisPassword}@127.0.0.1:{env.RelayCachePort.ToString(CultureInfo.InvariantCulture)}/0",
            ["Faultline__ApiKey"] = env.ApiKey,
        };
    }

    private void WriteSecrets()
    {
        var dir = Environment.SecretsDirectory;
        System.IO.Directory.CreateDirectory(dir);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        foreach (var (name, value) in SecretValues())
        {
            var path = Path.Combine(dir, name);
            if (!File.Exists(path) || File.ReadAllText(path) != value)
            {
                LabCertificates.WriteFile(path, value, secret: true);
            }
        }
    }

    private void WriteEnvFile()
    {
        var text = new StringBuilder("# Written by faultline lab up: every FAULTLINE_LAB_* value (contains secrets; mode 600).\n");
        foreach (var (key, value) in Environment.Variables)
        {
            text.Append(key).Append('=').Append(value).Append('\n');
        }

        LabCertificates.WriteFile(Environment.EnvFile, text.ToString(), secret: true);
    }

    private static string SecretName(string name)
    {
        var match = SecretNames.FirstOrDefault(known => string.Equals(known, name, StringComparison.OrdinalIgnoreCase));
        return match ?? throw new ArgumentException($"unknown secret '{name}'; the app's secrets are {string.Join(", ", SecretNames)}", nameof(name));
    }

    // -----------------------------------------------------------------------------------------
    // Ports and environment
    // -----------------------------------------------------------------------------------------

    private int Port(string name) => _ports[name];

    private static Dictionary<string, int> ResolvePorts(string directory, IReadOnlyDictionary<string, int>? overrides)
    {
        var saved = new Dictionary<string, string>(StringComparer.Ordinal);
        var envFile = Path.Combine(directory, "lab.env");
        if (File.Exists(envFile))
        {
            foreach (var line in File.ReadAllLines(envFile))
            {
                var equals = line.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0 && !line.StartsWith('#'))
                {
                    saved[line[..equals]] = line[(equals + 1)..];
                }
            }
        }

        var ports = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, variable, fallback) in PortTable)
        {
            if (overrides is not null && overrides.TryGetValue(name, out var given))
            {
                ports[name] = given;
                continue;
            }

            var text = System.Environment.GetEnvironmentVariable(variable);
            if (string.IsNullOrWhiteSpace(text))
            {
                text = saved.GetValueOrDefault(variable);
            }

            if (string.IsNullOrWhiteSpace(text))
            {
                ports[name] = fallback;
            }
            else if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536)
            {
                ports[name] = port;
            }
            else
            {
                throw new LabException($"{variable}={text} is not a port (1-65535)");
            }
        }

        var duplicate = ports.GroupBy(p => p.Value).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new LabException($"port {duplicate.Key.ToString(CultureInfo.InvariantCulture)} is given to {string.Join(" and ", duplicate.Select(p => PortTable.Single(t => t.Name == p.Key).Variable))}; give each its own");
        }

        return ports;
    }

    private LabEnvironment BuildEnvironment() => new()
    {
        RepositoryRoot = RepositoryRoot,
        Directory = Directory,
        PostgresPort = Port("postgres"),
        RedisPort = Port("redis"),
        RedisTlsPort = Port("redis-tls"),
        NginxPort = Port("nginx"),
        LoadBalancerPort = Port("lb"),
        DnsPort = Port("dns"),
        AppPort = Port("app"),
        RelayControlPort = Port("relay-control"),
        RelayDbPort = Port("relay-db"),
        RelayCachePort = Port("relay-cache"),
        RelayUpstreamPort = Port("relay-upstream"),
        ApiKey = ReadState("api-key") ?? string.Empty,
        DemoPassword = ReadState("demo-password") ?? string.Empty,
        PostgresPassword = ReadServicesSecret("postgres-app"),
        PostgresAdminPassword = ReadServicesSecret("postgres-admin"),
        RedisPassword = ReadServicesSecret("redis"),
    };

    // -----------------------------------------------------------------------------------------
    // scripts/services.sh
    // -----------------------------------------------------------------------------------------

    private Dictionary<string, string> ServicesEnvironment() => new(StringComparer.Ordinal)
    {
        ["FAULTLINE_PG_PORT"] = Port("postgres").ToString(CultureInfo.InvariantCulture),
        ["FAULTLINE_REDIS_PORT"] = Port("redis").ToString(CultureInfo.InvariantCulture),
        ["FAULTLINE_REDIS_TLS_PORT"] = Port("redis-tls").ToString(CultureInfo.InvariantCulture),
        ["FAULTLINE_NGINX_PORT"] = Port("nginx").ToString(CultureInfo.InvariantCulture),
        ["FAULTLINE_UPSTREAM_PORT"] = Port("relay-upstream").ToString(CultureInfo.InvariantCulture),
        ["FAULTLINE_DNS_PORT"] = Port("dns").ToString(CultureInfo.InvariantCulture),
        ["FAULTLINE_DNS_HOSTS"] = HostsFile,
        ["FAULTLINE_NGINX_INCLUDE"] = NginxIncludeDir,
    };

    private Task<(int ExitCode, string Output)> RunServicesAsync(CancellationToken cancellationToken, params string[] arguments) =>
        LabProcesses.RunAsync(
            "bash",
            [Path.Combine(RepositoryRoot, "scripts", "services.sh"), .. arguments, "--dir", ServicesDir],
            ServicesEnvironment(),
            RepositoryRoot,
            ScriptTimeout,
            cancellationToken);

    private async Task ServicesAsync(IProgress<string>? progress, CancellationToken cancellationToken, params string[] arguments)
    {
        var (exitCode, output) = await RunServicesAsync(cancellationToken, arguments).ConfigureAwait(false);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var line in lines.Where(l => !l.StartsWith("services.sh:", StringComparison.Ordinal) && !l.StartsWith("env:", StringComparison.Ordinal) && !l.StartsWith("Faultline services in", StringComparison.Ordinal)))
        {
            progress?.Report(line);
        }

        if (exitCode != 0)
        {
            var problem = string.Join("; ", lines.Where(l => l.StartsWith("services.sh:", StringComparison.Ordinal)).Select(l => l["services.sh:".Length..].Trim()));
            if (problem.Length == 0)
            {
                problem = output.Length > 0 ? output : $"exit code {exitCode.ToString(CultureInfo.InvariantCulture)}";
            }

            // The script names its own variables; the lab's are FAULTLINE_LAB_*.
            foreach (var (_, variable, _) in PortTable)
            {
                problem = problem.Replace("with " + variable.Replace("FAULTLINE_LAB_", "FAULTLINE_", StringComparison.Ordinal) + "=", "with " + variable + "=", StringComparison.Ordinal);
            }

            throw new LabException($"scripts/services.sh {arguments[0]} failed: {problem}");
        }
    }

    private async Task<bool> NginxRunningAsync(CancellationToken cancellationToken) =>
        LabProcesses.IsAlive(Path.Combine(ServicesDir, "nginx", "nginx.pid")) && await LabProcesses.PortOpenAsync(Port("nginx"), cancellationToken).ConfigureAwait(false);

    // -----------------------------------------------------------------------------------------
    // Relay and app
    // -----------------------------------------------------------------------------------------

    private async Task EnsurePortFreeAsync(string name, CancellationToken cancellationToken)
    {
        if (await LabProcesses.PortOpenAsync(Port(name), cancellationToken).ConfigureAwait(false))
        {
            var variable = PortTable.Single(t => t.Name == name).Variable;
            throw new LabException($"127.0.0.1:{Port(name).ToString(CultureInfo.InvariantCulture)} ({name}) is already in use by another process; choose another port with {variable}=... (or stop that process)");
        }
    }

    private async Task StartRelayAsync(IProgress<string>? progress, CancellationToken cancellationToken)
    {
        if (LabProcesses.IsAlive(RelayPidFile) && await RelayAnswersAsync(cancellationToken).ConfigureAwait(false))
        {
            progress?.Report($"relay     already up   control 127.0.0.1:{Port("relay-control").ToString(CultureInfo.InvariantCulture)}");
            return;
        }

        await LabProcesses.StopAsync(RelayPidFile, StopGrace, cancellationToken).ConfigureAwait(false);
        foreach (var name in new[] { "relay-control", "relay-db", "relay-cache", "relay-upstream" })
        {
            await EnsurePortFreeAsync(name, cancellationToken).ConfigureAwait(false);
        }

        string Link(string link, string listen, string upstream) =>
            $"{link}=127.0.0.1:{Port(listen).ToString(CultureInfo.InvariantCulture)}=127.0.0.1:{Port(upstream).ToString(CultureInfo.InvariantCulture)}";
        var cli = LocateCli();
        List<string> command =
        [
            .. cli, "lab", "relay", "--control", $"127.0.0.1:{Port("relay-control").ToString(CultureInfo.InvariantCulture)}",
            "--link", Link("db", "relay-db", "postgres"),
            "--link", Link("cache", "relay-cache", "redis"),
            "--link", Link("upstream", "relay-upstream", "app"),
        ];
        await LabProcesses.StartDetachedAsync(command, RelayDaemon.ProcessEnvironment, Directory, RelayLogFile, RelayPidFile, cancellationToken).ConfigureAwait(false);
        var watch = Stopwatch.StartNew();
        while (!await RelayAnswersAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!LabProcesses.IsAlive(RelayPidFile) || watch.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new LabException($"the relay did not start (control 127.0.0.1:{Port("relay-control").ToString(CultureInfo.InvariantCulture)}); see {RelayLogFile}:{System.Environment.NewLine}{LabProcesses.Tail(RelayLogFile, 10)}");
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        progress?.Report($"relay     started      control 127.0.0.1:{Port("relay-control").ToString(CultureInfo.InvariantCulture)}  (db → postgres, cache → redis, upstream → app)");
    }

    /// <summary>The faultline CLI to run the relay with: FAULTLINE_CLI, the running CLI, or the repository's newest build of it.</summary>
    private string[] LocateCli()
    {
        var configured = System.Environment.GetEnvironmentVariable("FAULTLINE_CLI");
        var candidates = new List<string>();
        if (!string.IsNullOrWhiteSpace(configured))
        {
            candidates.Add(configured);
        }

        // Inside the CLI itself: the same build. Elsewhere (tests, other hosts): the repository's build output.
        if (System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name == "faultline")
        {
            candidates.Add(Path.Combine(AppContext.BaseDirectory, "faultline.dll"));
        }

        var bin = Path.Combine(RepositoryRoot, "src", "Faultline.Cli", "bin");
        if (System.IO.Directory.Exists(bin))
        {
            candidates.AddRange(System.IO.Directory.EnumerateFiles(bin, "faultline.dll", SearchOption.AllDirectories).OrderByDescending(File.GetLastWriteTimeUtc));
        }

        var found = candidates.FirstOrDefault(path => File.Exists(path) && (!path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) || File.Exists(Path.ChangeExtension(path, ".runtimeconfig.json"))))
            ?? throw new LabException("the faultline CLI (faultline.dll) was not found to run the relay; build it with: dotnet build src/Faultline.Cli (or set FAULTLINE_CLI)");
        return found.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? ["dotnet", found] : [found];
    }

    private async Task<string> LocateAppAsync(IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var bin = Path.Combine(RepositoryRoot, "samples", "GoldenPath", "bin");
        string? Find() => System.IO.Directory.Exists(bin)
            ? System.IO.Directory.EnumerateFiles(bin, "GoldenPath.dll", SearchOption.AllDirectories)
                .Where(p => File.Exists(Path.ChangeExtension(p, ".runtimeconfig.json")))
                .OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault()
            : null;
        if (Find() is { } existing)
        {
            return existing;
        }

        progress?.Report("app       building samples/GoldenPath (first run; this takes a minute)");
        var (exitCode, output) = await LabProcesses.RunAsync(
            "dotnet", ["build", Path.Combine(RepositoryRoot, "samples", "GoldenPath", "GoldenPath.csproj"), "-c", "Release", "-nologo", "-v", "q"],
            new Dictionary<string, string>(), RepositoryRoot, TimeSpan.FromMinutes(10), cancellationToken).ConfigureAwait(false);
        if (exitCode != 0)
        {
            throw new LabException($"dotnet build samples/GoldenPath failed:{System.Environment.NewLine}{output}");
        }

        return Find() ?? throw new LabException("dotnet build samples/GoldenPath succeeded but no GoldenPath.dll was found under samples/GoldenPath/bin");
    }

    private async Task StartAppAsync(IProgress<string>? progress, CancellationToken cancellationToken)
    {
        if (LabProcesses.IsAlive(AppPidFile))
        {
            return;
        }

        File.Delete(AppPidFile);
        await EnsurePortFreeAsync("app", cancellationToken).ConfigureAwait(false);
        var dll = await LocateAppAsync(progress, cancellationToken).ConfigureAwait(false);
        File.Delete(Environment.TerminationFile);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ASPNETCORE_URLS"] = Environment.AppUrl.ToString().TrimEnd('/'),
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__Console__FormatterName"] = "simple",
            ["Faultline__Profile"] = "Lab",
            ["Secrets__Directory"] = Environment.SecretsDirectory,
            ["Faultline__TerminationMessagePath"] = Environment.TerminationFile,
            ["Demo__Password"] = Environment.DemoPassword,
            ["Drills__Directory"] = DrillsDir,
            // Background checks every second, so the service's inside view follows a fault within a drill's settle time.
            ["Faultline__Health__Interval"] = "00:00:01",
        };
        System.IO.Directory.CreateDirectory(DrillsDir);
        await LabProcesses.StartDetachedAsync(["dotnet", dll], environment, Path.GetDirectoryName(dll)!, AppLogFile, AppPidFile, cancellationToken).ConfigureAwait(false);
        progress?.Report($"app       started      {Environment.AppUrl} (GoldenPath, profile Lab)");
    }

    /// <summary>
    /// After a restore the app may answer ready once from an evaluation that began before the last fault was
    /// undone, then not ready from one that began during it. Ready counts only once it has held for
    /// <see cref="ReadyHold"/> (more than one background evaluation of the Lab profile, 1 s apart); throws when
    /// it has not within 30 s.
    /// </summary>
    private async Task WaitReadyHoldsAsync(CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var since = watch.Elapsed;
        var detail = string.Empty;
        while (watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            bool ready;
            (ready, detail) = await ReadyAsync(cancellationToken).ConfigureAwait(false);
            if (!ready)
            {
                since = watch.Elapsed;
            }
            else if (watch.Elapsed - since >= ReadyHold)
            {
                return;
            }

            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }

        throw new LabException($"the app's readiness did not hold for {ReadyHold.TotalSeconds:0.0} s within 30 s after the restore ({detail}); see {AppLogFile}");
    }

    private static readonly TimeSpan ReadyHold = TimeSpan.FromSeconds(1.5);

    private async Task WaitReadyAsync(IProgress<string>? progress, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        while (true)
        {
            var (ready, detail) = await ReadyAsync(cancellationToken).ConfigureAwait(false);
            if (ready)
            {
                progress?.Report($"app       ready        /health/ready 200 after {watch.Elapsed.TotalSeconds:0.0} s");
                return;
            }

            if (!LabProcesses.IsAlive(AppPidFile))
            {
                var termination = File.Exists(Environment.TerminationFile) ? File.ReadAllText(Environment.TerminationFile).Trim() : "(no termination message)";
                throw new LabException($"the app exited before it was ready: {termination}; see {AppLogFile}");
            }

            if (watch.Elapsed > timeout)
            {
                throw new LabException($"the app was not ready within {timeout.TotalSeconds:0} s ({detail}); see {AppLogFile}");
            }

            if (watch.Elapsed - lastReport > TimeSpan.FromSeconds(5))
            {
                lastReport = watch.Elapsed;
                progress?.Report($"app       waiting for /health/ready ({watch.Elapsed.TotalSeconds:0} s; {detail})");
            }

            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<(bool Ready, string Detail)> ReadyAsync(CancellationToken cancellationToken)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await client.GetAsync(new Uri(Environment.AppUrl, "health/ready"), cancellationToken).ConfigureAwait(false);
            return (response.StatusCode == HttpStatusCode.OK, $"/health/ready {((int)response.StatusCode).ToString(CultureInfo.InvariantCulture)}");
        }
        catch (HttpRequestException ex)
        {
            return (false, $"/health/ready: {ex.HttpRequestError}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (false, "/health/ready timed out");
        }
    }

    private async Task<bool> RelayAnswersAsync(CancellationToken cancellationToken)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            using var response = await client.GetAsync(new Uri(Environment.RelayControl, "links"), cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task ClearRelayFaultsAsync(CancellationToken cancellationToken)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var response = await client.DeleteAsync(new Uri(Environment.RelayControl, "faults"), cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new LabException($"the relay did not clear its faults: DELETE /faults answered {((int)response.StatusCode).ToString(CultureInfo.InvariantCulture)}");
        }
    }

    // -----------------------------------------------------------------------------------------
    // PostgreSQL and Redis administration
    // -----------------------------------------------------------------------------------------

    private string AdminConnectionString() =>
        $"Host=127.0.0.1;Port={Port("postgres").ToString(CultureInfo.InvariantCulture)};Username=postgres;Password={Environment.PostgresAdminPassword};Database=postgres;SSL Mode=Disable;Pooling=false;Timeout=5";

    private async Task AdminSqlAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private Task TerminateAppSessionsAsync(CancellationToken cancellationToken) =>
        AdminSqlAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'faultline' AND pid <> pg_backend_pid()", cancellationToken);

    private async Task<ConnectionMultiplexer> ConnectRedisAsync(string password)
    {
        var options = new ConfigurationOptions
        {
            EndPoints = { new IPEndPoint(IPAddress.Loopback, Port("redis")) },
            Password = password,
            AllowAdmin = true,
            AbortOnConnectFail = true,
            ConnectTimeout = 3000,
        };
        return await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
    }

    private void ReleaseExhaust()
    {
        foreach (var connection in _exhaust)
        {
            connection.Dispose();
        }

        _exhaust.Clear();
    }
}
