using System.Diagnostics;
using System.Net.Sockets;
using Xunit;

namespace Faultline.TestSupport;

/// <summary>
/// The real PostgreSQL, Redis and nginx that <c>scripts/services.sh</c> runs on private loopback
/// ports. Use it as an xunit collection fixture; each test assembly declares its own collection
/// (xunit only sees collection definitions in the test assembly itself):
/// <code>
/// [CollectionDefinition(LocalServices.Collection)]
/// public sealed class LocalServicesCollection : ICollectionFixture&lt;LocalServices&gt;;
///
/// [Collection(LocalServices.Collection)]
/// public sealed class MyTests(LocalServices services) { ... }
/// </code>
/// Tests in one collection never run concurrently, which matters for tests that push a server to
/// its limits (max_connections, maxmemory). On start it reuses running services described by
/// <c>services.env</c> (as <c>scripts/test.sh</c> leaves them), else runs <c>scripts/services.sh up</c>.
/// When the services cannot start, every test using the fixture fails with the script's output.
/// </summary>
public sealed class LocalServices : IAsyncLifetime
{
    /// <summary>The conventional collection name for tests that use the local services.</summary>
    public const string Collection = "local-services";

    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(3);

    private static readonly string[] RequiredKeys =
    [
        "FAULTLINE_SERVICES_DIR", "FAULTLINE_PG_PORT", "FAULTLINE_REDIS_PORT", "FAULTLINE_REDIS_TLS_PORT",
        "FAULTLINE_NGINX_PORT", "FAULTLINE_UPSTREAM_PORT", "FAULTLINE_NGINX_URL", "DATABASE_URL",
        "FAULTLINE_PG_ADMIN_URL", "FAULTLINE_PG_PASSWORD", "FAULTLINE_PG_ADMIN_PASSWORD", "FAULTLINE_TLS_CA_FILE",
        "REDIS_URL", "REDIS_TLS_URL", "FAULTLINE_REDIS_PASSWORD",
    ];

    private IReadOnlyDictionary<string, string> _values = new Dictionary<string, string>();

    /// <summary>The repository root (the directory holding Faultline.slnx).</summary>
    public string RepositoryRoot { get; private set; } = string.Empty;

    /// <summary>The state directory (<c>FAULTLINE_SERVICES_DIR</c>).</summary>
    public string StateDirectory => Value("FAULTLINE_SERVICES_DIR");

    public string EnvFile => Path.Combine(StateDirectory, "services.env");

    public int PgPort => int.Parse(Value("FAULTLINE_PG_PORT"), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The directory of PostgreSQL's unix socket (<c>.s.PGSQL.PORT</c>; mode 0700, owned by the cluster's user, so only
    /// that user or root reaches it). Trusted there: any role connects without a password.
    /// </summary>
    public string PgSocketDirectory => Value("FAULTLINE_PG_SOCKET_DIR");

    public int RedisPort => int.Parse(Value("FAULTLINE_REDIS_PORT"), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The same Redis over TLS (certificate from the private CA, for localhost and 127.0.0.1).</summary>
    public int RedisTlsPort => int.Parse(Value("FAULTLINE_REDIS_TLS_PORT"), System.Globalization.CultureInfo.InvariantCulture);

    public int NginxPort => int.Parse(Value("FAULTLINE_NGINX_PORT"), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The port nginx's <c>/app/</c> location proxies to; tests may listen there.</summary>
    public int UpstreamPort => int.Parse(Value("FAULTLINE_UPSTREAM_PORT"), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary><c>http://127.0.0.1:PORT</c>: <c>/health</c> (200 JSON), <c>/dead/</c> (nginx 502), <c>/app/</c> (upstream).</summary>
    public string NginxUrl => Value("FAULTLINE_NGINX_URL");

    /// <summary><c>postgres://faultline:PASS@127.0.0.1:PORT/faultline</c>.</summary>
    public string DatabaseUrl => Value("DATABASE_URL");

    /// <summary>The superuser <c>postgres</c> over TCP: <c>postgres://postgres:PASS@127.0.0.1:PORT/postgres</c>.</summary>
    public string AdminDatabaseUrl => Value("FAULTLINE_PG_ADMIN_URL");

    /// <summary>Npgsql key=value form of <see cref="AdminDatabaseUrl"/> (superuser, database <c>postgres</c>, TLS off, no pooling).</summary>
    public string AdminConnectionString =>
        $"Host=127.0.0.1;Port={PgPort};Username=postgres;Password={PgAdminPassword};Database=postgres;SSL Mode=Disable;Pooling=false";

    /// <summary>Npgsql key=value form for the <c>faultline</c> role and database (TLS off, no pooling).</summary>
    public string AppConnectionString =>
        $"Host=127.0.0.1;Port={PgPort};Username=faultline;Password={PgPassword};Database=faultline;SSL Mode=Disable;Pooling=false";

    /// <summary><c>redis://:PASS@127.0.0.1:PORT/0</c>.</summary>
    public string RedisUrl => Value("REDIS_URL");

    /// <summary><c>rediss://:PASS@localhost:TLSPORT/0</c>; trust <see cref="CaFile"/> to validate it.</summary>
    public string RedisTlsUrl => Value("REDIS_TLS_URL");

    /// <summary>Password of the <c>faultline</c> PostgreSQL role.</summary>
    public string PgPassword => Value("FAULTLINE_PG_PASSWORD");

    /// <summary>Password of the <c>postgres</c> superuser.</summary>
    public string PgAdminPassword => Value("FAULTLINE_PG_ADMIN_PASSWORD");

    public string RedisPassword => Value("FAULTLINE_REDIS_PASSWORD");

    /// <summary>PEM of the private CA that signed the server certificate of PostgreSQL and Redis TLS (CN localhost, SAN localhost + 127.0.0.1).</summary>
    public string CaFile => Value("FAULTLINE_TLS_CA_FILE");

    /// <summary>Every KEY=VALUE of services.env, e.g. to pass to a child process's environment.</summary>
    public IReadOnlyDictionary<string, string> Environment => _values;

    public async Task InitializeAsync()
    {
        TestTiers.RequireServer("the local services (scripts/services.sh)");
        RepositoryRoot = FindRepositoryRoot();
        var envFile = EnvFilePath(RepositoryRoot);
        if (File.Exists(envFile))
        {
            _values = Parse(await File.ReadAllTextAsync(envFile).ConfigureAwait(false));
            if (await AnswerAsync().ConfigureAwait(false))
            {
                return;
            }
        }

        var (exitCode, output) = await RunScriptAsync(RepositoryRoot, "up").ConfigureAwait(false);
        if (exitCode != 0)
        {
            throw new InvalidOperationException(
                $"scripts/services.sh up failed with exit code {exitCode}; the local services (PostgreSQL, Redis, nginx) are needed by these tests. "
                + $"Install them with: apt-get install postgresql redis-server nginx openssl curl. Output:{System.Environment.NewLine}{output}");
        }

        envFile = EnvFilePath(RepositoryRoot);
        if (!File.Exists(envFile))
        {
            throw new InvalidOperationException($"scripts/services.sh up succeeded but wrote no {envFile}. Output:{System.Environment.NewLine}{output}");
        }

        _values = Parse(await File.ReadAllTextAsync(envFile).ConfigureAwait(false));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>A value from services.env; fails the test with the key's name when it is missing.</summary>
    public string Value(string key) =>
        _values.TryGetValue(key, out var value) && value.Length > 0
            ? value
            : throw new InvalidOperationException($"{key} is missing from services.env; run scripts/services.sh up");

    /// <summary>Parses services.env: KEY=VALUE lines, blank lines and # comments ignored.</summary>
    public static IReadOnlyDictionary<string, string> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                values[line[..equals]] = line[(equals + 1)..];
            }
        }

        return values;
    }

    /// <summary>Walks up from the test assembly's directory to the directory holding Faultline.slnx.</summary>
    public static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Faultline.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Faultline.slnx above {AppContext.BaseDirectory}");
    }

    /// <summary>Runs <c>scripts/services.sh</c> with <paramref name="arguments"/>; returns its exit code and combined output.</summary>
    public static async Task<(int ExitCode, string Output)> RunScriptAsync(string repositoryRoot, params string[] arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = repositoryRoot,
        };
        start.ArgumentList.Add(Path.Combine(repositoryRoot, "scripts", "services.sh"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start bash");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(ScriptTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"scripts/services.sh {string.Join(' ', arguments)} did not finish within {ScriptTimeout.TotalMinutes} minutes");
        }

        return (process.ExitCode, (await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false)));
    }

    private static string EnvFilePath(string repositoryRoot)
    {
        var dir = System.Environment.GetEnvironmentVariable("FAULTLINE_SERVICES_DIR");
        if (string.IsNullOrWhiteSpace(dir))
        {
            dir = Path.Combine(repositoryRoot, ".faultline", "services");
        }

        return Path.Combine(dir, "services.env");
    }

    /// <summary>
    /// True when services.env has every key this fixture serves (an older script wrote fewer) and
    /// every service it describes accepts a TCP connection.
    /// </summary>
    private async Task<bool> AnswerAsync()
    {
        if (RequiredKeys.Any(key => !_values.ContainsKey(key)))
        {
            return false;
        }

        foreach (var key in new[] { "FAULTLINE_PG_PORT", "FAULTLINE_REDIS_PORT", "FAULTLINE_REDIS_TLS_PORT", "FAULTLINE_NGINX_PORT" })
        {
            if (!_values.TryGetValue(key, out var text) || !int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port))
            {
                return false;
            }

            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await client.ConnectAsync(System.Net.IPAddress.Loopback, port, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                return false;
            }
        }

        return true;
    }
}
