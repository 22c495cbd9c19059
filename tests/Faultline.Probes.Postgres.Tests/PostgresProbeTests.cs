using System.Globalization;
using System.Text.Json;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Faultline.Probes.Net;
using Faultline.TestSupport;
using Npgsql;

namespace Faultline.Probes.Postgres.Tests;

/// <summary>The postgres probe against the real PostgreSQL 15 of scripts/services.sh; every fault is produced for real.</summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LocalServices.Collection)]
public sealed class PostgresProbeTests(LocalServices services)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task ProbeAsync_HealthyUrl_ReportsVersionHeadroomAndPhases()
    {
        var observation = await RunAsync(services.DatabaseUrl);

        Assert.Null(observation.Error);
        Assert.True(observation.Connected);
        Assert.Equal($"127.0.0.1:{services.PgPort}/faultline", observation.Target);
        Assert.Equal(["127.0.0.1"], observation.Addresses);
        var database = Assert.IsType<DatabaseObservation>(observation.Database);
        Assert.True(database.Authenticated);
        Assert.StartsWith("15.", database.ServerVersion, StringComparison.Ordinal);
        Assert.Equal(40, database.MaxConnections);
        Assert.Equal(3, database.ReservedConnections);
        Assert.InRange(database.ConnectionsInUse ?? 0, 1, 40);
        Assert.NotNull(database.QueryMs);

        // The local server has ssl=on and a URL without sslmode means prefer: encrypted, not verified.
        Assert.True(database.TlsUsed);
        Assert.NotNull(observation.Tls);
        Assert.StartsWith("TLSv1.", observation.Tls.Protocol, StringComparison.Ordinal);
        Assert.NotNull(observation.Phases.DnsMs);
        Assert.NotNull(observation.Phases.ConnectMs);
        Assert.NotNull(observation.Phases.TlsMs);
        Assert.NotNull(observation.Phases.FirstByteMs);
        Assert.NotNull(observation.Phases.TransferMs);
        Assert.Empty(observation.Warnings);
    }

    [Fact]
    public async Task ProbeAsync_KeyValueForm_ConnectsWithoutTls()
    {
        var observation = await RunAsync(services.AppConnectionString);

        Assert.Null(observation.Error);
        Assert.Equal($"127.0.0.1:{services.PgPort}/faultline", observation.Target);
        Assert.True(observation.Database!.Authenticated);
        Assert.False(observation.Database.TlsUsed);
        Assert.Null(observation.Tls);
        Assert.Null(observation.Phases.TlsMs);
    }

    [Fact]
    public async Task ProbeAsync_PostgresqlSchemeWithVerifyFullAndCaFile_TrustsTheLocalCa()
    {
        var url = $"postgresql://faultline:{services.PgPassword}@localhost:{services.PgPort}/faultline?sslmode=verify-full";

        var observation = await RunAsync(url, tls: new TlsSpec { CaFile = services.CaFile });

        Assert.Null(observation.Error);
        Assert.Equal($"localhost:{services.PgPort}/faultline", observation.Target);
        var tls = Assert.IsType<TlsObservation>(observation.Tls);
        Assert.True(tls.Trusted);
        Assert.True(tls.HostnameMatches);
        Assert.Equal("localhost", tls.ServerName);
        Assert.Equal("CN=localhost", tls.Leaf!.Subject);
        Assert.True(observation.Database!.TlsUsed);
    }

    [Fact]
    public async Task ProbeAsync_VerifyFullWithoutTheCa_FailsAsTlsUntrusted()
    {
        var url = $"postgres://faultline:{services.PgPassword}@127.0.0.1:{services.PgPort}/faultline?sslmode=verify-full";

        var observation = await RunAsync(url);

        var error = AssertError(observation, ErrorKind.TlsUntrusted, "tls");
        Assert.Contains("Faultline local CA", error.Message, StringComparison.Ordinal);
        Assert.True(observation.Connected);
        Assert.False(observation.Database!.Authenticated);
        Assert.False(observation.Tls!.Trusted);
    }

    [Fact]
    public async Task ProbeAsync_VerifyCaAgainstAnUncoveredName_AcceptsBecauseOnlyTheChainCounts()
    {
        // The server certificate covers localhost and 127.0.0.1; tls.serverName is not set, so verify-ca ignores the name.
        var url = $"postgres://faultline:{services.PgPassword}@127.0.0.1:{services.PgPort}/faultline?sslmode=verify-ca";

        var observation = await RunAsync(url, tls: new TlsSpec { CaFile = services.CaFile });

        Assert.Null(observation.Error);
        Assert.True(observation.Tls!.Trusted);
    }

    [Fact]
    public async Task ProbeAsync_ClosedPort_FailsAsConnectionRefused()
    {
        var port = TestServers.ClosedPort();

        var observation = await RunAsync($"postgres://faultline:{services.PgPassword}@127.0.0.1:{port}/faultline");

        var error = AssertError(observation, ErrorKind.ConnectionRefused, "connect");
        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.False(observation.Connected);
        Assert.False(observation.Database!.Authenticated);
        Assert.NotNull(observation.Phases.ConnectMs);
        Assert.Null(observation.Phases.FirstByteMs);
    }

    [Fact]
    public async Task ProbeAsync_WrongPassword_FailsAsDatabaseAuthFailedWithoutEchoingIt()
    {
        const string WrongPassword = "not-the-password-4711";

        var observation = await RunAsync($"postgres://faultline:{WrongPassword}@127.0.0.1:{services.PgPort}/faultline?sslmode=disable");

        var error = AssertError(observation, ErrorKind.DatabaseAuthFailed, "auth");
        Assert.Equal("28P01", error.Code);
        Assert.Equal("28P01", observation.Database!.SqlState);
        Assert.Contains("'faultline'", error.Message, StringComparison.Ordinal);
        Assert.True(observation.Connected);
        Assert.False(observation.Database.Authenticated);
        Assert.DoesNotContain(WrongPassword, Json(observation), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_UnknownDatabase_FailsAsDatabaseNotFound()
    {
        var observation = await RunAsync($"Host=127.0.0.1;Port={services.PgPort};Username=faultline;Password={services.PgPassword};Database=no_such_db");

        var error = AssertError(observation, ErrorKind.DatabaseNotFound, "auth");
        Assert.Equal("3D000", error.Code);
        Assert.Contains("'no_such_db'", error.Message, StringComparison.Ordinal);
        Assert.Equal($"127.0.0.1:{services.PgPort}/no_such_db", observation.Target);
    }

    [Fact]
    public async Task ProbeAsync_QueryOnMissingTable_FailsAsDatabaseSqlError()
    {
        var observation = await RunAsync(services.DatabaseUrl, query: "SELECT * FROM no_such_table");

        var error = AssertError(observation, ErrorKind.DatabaseSqlError, "query");
        Assert.Equal("42P01", error.Code);
        Assert.Contains("no_such_table", error.Message, StringComparison.Ordinal);
        Assert.True(observation.Database!.Authenticated);
        Assert.Equal("42P01", observation.Database.SqlState);
        Assert.Equal(40, observation.Database.MaxConnections);
        Assert.NotNull(observation.Phases.TransferMs);
    }

    [Fact]
    public async Task ProbeAsync_AllConnectionSlotsTaken_FailsAsDatabaseTooManyConnections()
    {
        await using var held = new HeldConnections(services);
        await held.FillAsync(untilInUse: int.MaxValue);
        Assert.True(held.Refused, "the server never refused a connection");
        Assert.InRange(held.Count, 20, 40);

        var observation = await RunAsync(services.DatabaseUrl);

        var error = AssertError(observation, ErrorKind.DatabaseTooManyConnections, "auth");
        Assert.Equal("53300", error.Code);
        Assert.True(observation.Connected);
        Assert.False(observation.Database!.Authenticated);

        await held.DisposeAsync();
        var after = await RunAsync(services.DatabaseUrl);
        Assert.Null(after.Error);
    }

    [Fact]
    public async Task ProbeAsync_NearTheConnectionLimit_WarnsAboutHeadroom()
    {
        await using var held = new HeldConnections(services);

        // 37 usable slots (40 - 3 reserved); with 31 in use the probe's own connection makes 32 (86 %).
        await held.FillAsync(untilInUse: 31);
        Assert.False(held.Refused);

        var observation = await RunAsync(services.DatabaseUrl);

        Assert.Null(observation.Error);
        var database = observation.Database!;
        Assert.InRange(database.ConnectionsInUse ?? 0, 30, 36);
        var warning = Assert.Single(observation.Warnings);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"{database.ConnectionsInUse} of 37 usable connections in use"), warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_HungServer_FailsAsReadTimeoutAtTheDeadline()
    {
        await using var hung = TestServers.Hung();
        var timeout = TimeSpan.FromSeconds(2);

        var started = TimeProvider.System.GetTimestamp();
        var observation = await RunAsync($"postgres://faultline:x1y2z3w4@127.0.0.1:{hung.Port}/faultline", timeout: timeout);
        var elapsed = TimeProvider.System.GetElapsedTime(started);

        var error = AssertError(observation, ErrorKind.ReadTimeout, "auth");
        Assert.Contains($"127.0.0.1:{hung.Port}", error.Message, StringComparison.Ordinal);
        Assert.True(observation.Connected);
        Assert.InRange(elapsed, timeout * 0.9, timeout * 2);
    }

    [Fact]
    public async Task ProbeAsync_QuerySlowerThanTheDeadline_FailsAsReadTimeoutInTheQueryPhase()
    {
        var timeout = TimeSpan.FromSeconds(2);

        var started = TimeProvider.System.GetTimestamp();
        var observation = await RunAsync(services.DatabaseUrl, query: "SELECT pg_sleep(30)", timeout: timeout);
        var elapsed = TimeProvider.System.GetElapsedTime(started);

        var error = AssertError(observation, ErrorKind.ReadTimeout, "query");
        Assert.Contains("probe query", error.Message, StringComparison.Ordinal);
        Assert.True(observation.Database!.Authenticated);

        // Ends near its deadline, not at pg_sleep's 30 s; the upper bound leaves room for the server's answer to
        // the cancel request on a loaded machine (3.02 s was seen once in a full CI run).
        Assert.InRange(elapsed, timeout * 0.9, timeout * 2);
    }

    [Theory]
    [InlineData("postgres://faultline:s3cret-Value-99@127.0.0.1:notaport/faultline")]
    [InlineData("Host=127.0.0.1;Password=s3cret-Value-99;Bogus Key=1")]
    [InlineData("postgres://faultline:s3cret-Value-99@127.0.0.1/faultline?sslmode=sometimes")]
    public async Task ProbeAsync_MalformedConnectionString_FailsAsConfigInvalidWithoutThePassword(string connectionString)
    {
        var observation = await RunAsync(connectionString);

        var error = AssertError(observation, ErrorKind.ConfigInvalid, "config");
        Assert.StartsWith("connection string for 'db' is not a valid postgres URL or key=value string: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-Value-99", Json(observation), StringComparison.Ordinal);
        Assert.False(observation.Connected);
    }

    [Fact]
    public async Task ProbeAsync_AnyOutcome_NeverContainsThePasswordAndRegistersIt()
    {
        var context = Context(Generous);
        var outcomes = new List<Observation>
        {
            await RunAsync(services.DatabaseUrl, context: context),
            await RunAsync(services.AppConnectionString, context: context),
            await RunAsync(services.DatabaseUrl, query: $"SELECT '{services.PgPassword}'::int", context: context),
            await RunAsync(services.DatabaseUrl.Replace("/faultline", "/missing_db", StringComparison.Ordinal), context: context),
        };

        foreach (var observation in outcomes)
        {
            Assert.DoesNotContain(services.PgPassword, Json(observation), StringComparison.Ordinal);
        }

        // The query echoed the password in PostgreSQL's error text; the probe redacted it.
        Assert.Equal(ErrorKind.DatabaseSqlError, outcomes[2].Error!.Kind);
        Assert.Contains(SecretRedactor.Mask, outcomes[2].Error!.Message, StringComparison.Ordinal);
        Assert.Equal(SecretRedactor.Mask, context.Redactor.Redact(services.PgPassword));
    }

    private static ProbeContext Context(TimeSpan timeout) => new()
    {
        Time = TimeProvider.System,
        Timeout = timeout,
        Resolver = HostResolvers.System,
        Redactor = new SecretRedactor(),
    };

    private static async Task<Observation> RunAsync(string connectionString, string? query = null, TlsSpec? tls = null, TimeSpan? timeout = null, ProbeContext? context = null)
    {
        context ??= Context(timeout ?? Generous);
        var target = new TargetSpec
        {
            Name = "db",
            Kind = TargetKinds.Postgres,
            ConnectionString = connectionString,
            Query = query,
            Tls = tls,
        };
        using var deadline = new CancellationTokenSource(context.Timeout);
        return await PostgresProbes.Create().ProbeAsync(target, context, deadline.Token);
    }

    private static ProbeError AssertError(Observation observation, ErrorKind kind, string phase)
    {
        Assert.True(observation.Error is not null, $"expected {kind.Wire()} but the probe reported no error");
        Assert.True(kind == observation.Error.Kind, $"expected {kind.Wire()} but got {observation.Error.Kind.Wire()}: {observation.Error.Message}");
        Assert.Equal(phase, observation.Error.Phase);
        return observation.Error;
    }

    private static string Json(Observation observation) => JsonSerializer.Serialize(observation);

    /// <summary>
    /// Real connections as the faultline role, held open until disposed. Disposing waits (through a
    /// superuser connection, which reserved slots always admit) until the server has reaped their
    /// backends, so the next test finds the slots free again.
    /// </summary>
    private sealed class HeldConnections(LocalServices services) : IAsyncDisposable
    {
        private static readonly TimeSpan ReapTimeout = TimeSpan.FromSeconds(15);
        private static readonly TimeSpan SettlePause = TimeSpan.FromMilliseconds(300);

        private readonly List<NpgsqlConnection> _connections = [];
        private int _baseline = -1;

        public int Count => _connections.Count;

        /// <summary>True once the server refused a connection with 53300.</summary>
        public bool Refused { get; private set; }

        /// <summary>
        /// Opens connections until <paramref name="untilInUse"/> client backends are in use or the server refuses.
        /// A refusal counts only when it repeats after a pause: a backend of an earlier test that is still
        /// exiting holds its slot for a moment, and the slot it frees afterwards would let the next
        /// connection in.
        /// </summary>
        public async Task FillAsync(int untilInUse)
        {
            _baseline = await ClientBackendsAsync();
            var refusedOnce = false;
            for (var i = 0; i < 80; i++)
            {
                if (await ClientBackendsAsync() - 1 >= untilInUse)
                {
                    return;
                }

                var connection = new NpgsqlConnection(services.AppConnectionString);
                try
                {
                    await connection.OpenAsync();
                    _connections.Add(connection);
                    refusedOnce = false;
                }
                catch (PostgresException ex) when (ex.SqlState == "53300")
                {
                    await connection.DisposeAsync();
                    if (refusedOnce)
                    {
                        Refused = true;
                        return;
                    }

                    refusedOnce = true;
                    await Task.Delay(SettlePause);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var connection in _connections)
            {
                await connection.DisposeAsync();
            }

            _connections.Clear();
            if (_baseline < 0)
            {
                return;
            }

            var started = TimeProvider.System.GetTimestamp();
            while (await ClientBackendsAsync() > _baseline)
            {
                Assert.True(TimeProvider.System.GetElapsedTime(started) < ReapTimeout, "the server did not reap the released connections");
                await Task.Delay(50);
            }

            _baseline = -1;
        }

        /// <summary>Client backends in use, counting the superuser connection that asks.</summary>
        private async Task<int> ClientBackendsAsync()
        {
            await using var admin = new NpgsqlConnection(services.AdminConnectionString);
            await admin.OpenAsync();
            await using var command = admin.CreateCommand();
            command.CommandText = "SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend'";
            return (int)(await command.ExecuteScalarAsync())!;
        }
    }
}
