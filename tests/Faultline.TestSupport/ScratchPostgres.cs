using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Faultline.TestSupport;

/// <summary>
/// A PostgreSQL server of a test's own: <c>initdb</c> in a temp directory, a free loopback port, the
/// settings the test asks for (e.g. a low <c>max_connections</c>), a <c>faultline</c> role with a random
/// password owning a <c>faultline</c> database. Runs as the <c>postgres</c> user through <c>runuser</c> when
/// the tests run as root (as <c>scripts/services.sh</c> does). Stopped (immediate) and deleted on dispose.
/// </summary>
public sealed class ScratchPostgres : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    private readonly string _directory;

    private ScratchPostgres(string directory, int port, string password, int maxConnections, int reserved)
    {
        _directory = directory;
        Port = port;
        Password = password;
        MaxConnections = maxConnections;
        SuperuserReserved = reserved;
    }

    public int Port { get; }

    /// <summary>The <c>faultline</c> role's password.</summary>
    public string Password { get; }

    public int MaxConnections { get; }

    public int SuperuserReserved { get; }

    /// <summary>Connection slots a non-superuser role can take: max_connections − superuser_reserved_connections.</summary>
    public int AppSlots => MaxConnections - SuperuserReserved;

    /// <summary>Npgsql key=value for the <c>faultline</c> role and database, TLS off, no pooling.</summary>
    public string ConnectionString =>
        $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username=faultline;Password={Password};Database=faultline;SSL Mode=Disable;Pooling=false;Timeout=10";

    private string Data => Path.Combine(_directory, "data");

    private string Socket => Path.Combine(_directory, "socket");

    private static string Bin => Environment.GetEnvironmentVariable("FAULTLINE_PG_BIN") is { Length: > 0 } bin ? bin : "/usr/lib/postgresql/15/bin";

    private static bool IsRoot => Environment.UserName == "root";

    /// <summary>Creates and starts the server; throws with the tool's output when a step fails.</summary>
    public static async Task<ScratchPostgres> StartAsync(int maxConnections, int superuserReserved = 3)
    {
        TestTiers.RequireServer("a PostgreSQL server of its own");
        var directory = Path.Combine(Path.GetTempPath(), "faultline-scratch-pg-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)));
        Directory.CreateDirectory(directory);
        var server = new ScratchPostgres(directory, FreePort(), "pg-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)), maxConnections, superuserReserved);
        try
        {
            await server.InitializeAsync().ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A postgres:// URL for the <c>faultline</c> role and database, TLS off (pooling left to the client).</summary>
    public string Url =>
        $"postgres://faultline:{Password}@127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/faultline?sslmode=disable";

    /// <summary>Stops the server (<c>pg_ctl stop -m fast</c>: sessions are terminated, committed data kept): an outage, clients see their connections drop and new ones refused.</summary>
    public Task StopAsync() =>
        AsPostgresAsync(Path.Combine(Bin, "pg_ctl"), ["-D", Data, "-m", "fast", "-w", "-t", "60", "stop"], check: true);

    /// <summary>Starts the stopped server again on the same port and data.</summary>
    public Task RestartAsync() =>
        AsPostgresAsync(Path.Combine(Bin, "pg_ctl"), ["-D", Data, "-l", Path.Combine(_directory, "postgres.log"), "-w", "-t", "60", "start"], check: true);

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(Data, "postmaster.pid")))
        {
            await AsPostgresAsync(Path.Combine(Bin, "pg_ctl"), ["-D", Data, "-m", "immediate", "-w", "-t", "60", "stop"], check: false).ConfigureAwait(false);
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left in the temp directory; the server is stopped.
        }
    }

    private async Task InitializeAsync()
    {
        Directory.CreateDirectory(Socket);
        if (IsRoot)
        {
            await RunAsync("chown", ["-R", "postgres:postgres", _directory], check: true).ConfigureAwait(false);
        }

        await AsPostgresAsync(Path.Combine(Bin, "initdb"), ["-D", Data, "-U", "postgres", "-E", "UTF8", "--no-locale", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync"], check: true).ConfigureAwait(false);
        var conf = string.Create(CultureInfo.InvariantCulture, $"""
            listen_addresses = '127.0.0.1'
            port = {Port}
            unix_socket_directories = '{Socket}'
            max_connections = {MaxConnections}
            superuser_reserved_connections = {SuperuserReserved}
            password_encryption = 'scram-sha-256'
            shared_buffers = 16MB
            fsync = off
            synchronous_commit = off
            full_page_writes = off

            """);
        await File.AppendAllTextAsync(Path.Combine(Data, "postgresql.conf"), conf).ConfigureAwait(false);
        if (IsRoot)
        {
            await RunAsync("chown", ["postgres:postgres", Path.Combine(Data, "postgresql.conf")], check: true).ConfigureAwait(false);
        }

        await AsPostgresAsync(Path.Combine(Bin, "pg_ctl"), ["-D", Data, "-l", Path.Combine(_directory, "postgres.log"), "-w", "-t", "60", "start"], check: true).ConfigureAwait(false);
        await AsPostgresAsync(
            Path.Combine(Bin, "psql"),
            ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", Socket, "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-d", "postgres",
                "-c", $"CREATE ROLE faultline LOGIN PASSWORD '{Password}'", "-c", "CREATE DATABASE faultline OWNER faultline"],
            check: true).ConfigureAwait(false);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private Task<string> AsPostgresAsync(string program, IReadOnlyList<string> arguments, bool check) =>
        IsRoot ? RunAsync("runuser", ["-u", "postgres", "--", program, .. arguments], check) : RunAsync(program, arguments, check);

    private async Task<string> RunAsync(string program, IReadOnlyList<string> arguments, bool check)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        var output = (await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false));
        if (check && process.ExitCode != 0)
        {
            var log = Path.Combine(_directory, "postgres.log");
            var tail = File.Exists(log) ? File.ReadAllText(log) : string.Empty;
            var text = $"{Path.GetFileName(program)} exited with {process.ExitCode.ToString(CultureInfo.InvariantCulture)}: {output}{Environment.NewLine}{tail}";
            throw new InvalidOperationException(text.Replace(Password, "***", StringComparison.Ordinal));
        }

        return output;
    }
}
