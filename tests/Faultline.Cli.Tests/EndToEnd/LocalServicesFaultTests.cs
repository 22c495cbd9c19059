using System.Globalization;
using Faultline.Core.Model;
using Faultline.TestSupport;
using Npgsql;
using static Faultline.Cli.Tests.EndToEnd.EndToEndRun;

namespace Faultline.Cli.Tests.EndToEnd;

/// <summary>
/// Faults of the real PostgreSQL, Redis and nginx that <c>scripts/services.sh</c> runs: wrong passwords,
/// every connection slot taken, a SQL error, nginx's own 502 for a dead upstream, and an application's
/// 500 relayed through nginx.
/// </summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LocalServices.Collection)]
public sealed class LocalServicesFaultTests(LocalServices services)
{
    [Fact]
    public async Task Check_PostgresWrongPassword_ConfigurationWithTheAuthCode()
    {
        var environment = new Dictionary<string, string>
        {
            ["DATABASE_URL"] = string.Create(CultureInfo.InvariantCulture, $"postgres://faultline:not-the-password@127.0.0.1:{services.PgPort}/faultline"),
        };

        var result = await RunOneAsync("""
            defaults: { timeout: 5s }
            targets:
              - { name: db, kind: postgres, connectionString: "${DATABASE_URL}" }
            """, environment);

        AssertFailure(result, Layer.Configuration, Side.Infrastructure, ErrorKind.DatabaseAuthFailed);
        AssertEvidence(result, "rejected the credentials", "28P01");
        Assert.DoesNotContain(result.Evidence, line => line.Contains("not-the-password", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Check_PostgresEveryConnectionSlotTaken_DatabaseCapacity53300()
    {
        var result = await WithSlotsFilledAsync(() => RunOneAsync("""
            defaults: { timeout: 5s }
            targets:
              - { name: db, kind: postgres, connectionString: "${DATABASE_URL}" }
            """, Environment()));

        AssertFailure(result, Layer.Database, Side.Infrastructure, ErrorKind.DatabaseTooManyConnections);
        AssertEvidence(result, "max_connections", "53300");

        // Released: the same target passes again, so the fault was the slots and nothing else.
        var after = await RunOneAsync("""
            defaults: { timeout: 5s }
            targets:
              - { name: db, kind: postgres, connectionString: "${DATABASE_URL}" }
            """, Environment());
        AssertPass(after);
    }

    [Fact]
    public async Task Check_PostgresQueryOnMissingTable_Application42P01()
    {
        var result = await RunOneAsync("""
            defaults: { timeout: 5s }
            targets:
              - { name: db, kind: postgres, connectionString: "${DATABASE_URL}", query: "SELECT * FROM no_such_table" }
            """, Environment());

        AssertFailure(result, Layer.Application, Side.Application, ErrorKind.DatabaseSqlError);
        AssertEvidence(result, "42P01");
        AssertEvidence(result, "no_such_table");
        Assert.Contains("migrations", result.Remedy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_RedisWrongPassword_ConfigurationNotCache()
    {
        var environment = new Dictionary<string, string>
        {
            ["REDIS_URL"] = string.Create(CultureInfo.InvariantCulture, $"redis://:not-the-password@127.0.0.1:{services.RedisPort}/0"),
        };

        var result = await RunOneAsync("""
            defaults: { timeout: 5s }
            targets:
              - { name: cache, kind: redis, connectionString: "${REDIS_URL}" }
            """, environment);

        AssertFailure(result, Layer.Configuration, Side.Infrastructure, ErrorKind.CacheAuthFailed);
        AssertEvidence(result, "Redis rejected the credentials");
        AssertEvidence(result, string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{services.RedisPort}"), "rejected the credentials");
        Assert.DoesNotContain(result.Evidence, line => line.Contains("not-the-password", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Check_NginxWithDeadUpstream_ProxyNamedNginx()
    {
        var result = await RunOneAsync($$"""
            defaults: { timeout: 5s }
            targets:
              - { name: api, kind: http, url: "{{services.NginxUrl}}/dead/health", conditions: ["[STATUS] == 200"] }
            """);

        AssertFailure(result, Layer.Proxy, Side.Infrastructure, errorKind: null);
        AssertEvidence(result, "502", "produced by nginx");
        AssertEvidence(result, "Server: nginx");
    }

    [Fact]
    public async Task Check_Application500RelayedThroughNginx_StillApplicationNotProxy()
    {
        await using var app = UpstreamResponder.Start(services.UpstreamPort, TestServers.RawResponse(
            500, "Internal Server Error", "{\"error\":\"unhandled exception in CheckoutController\"}", "Content-Type: application/json"));

        var result = await RunOneAsync($$"""
            defaults: { timeout: 5s }
            targets:
              - { name: api, kind: http, url: "{{services.NginxUrl}}/app/checkout", conditions: ["[STATUS] == 200"] }
            """);

        Assert.True(app.Requests > 0, "nginx never relayed the request to the application on its upstream port");
        AssertFailure(result, Layer.Application, Side.Application, errorKind: null);
        AssertEvidence(result, "500", "from the application");
        AssertEvidence(result, "CheckoutController");
    }

    private Dictionary<string, string> Environment() => new() { ["DATABASE_URL"] = services.DatabaseUrl };

    /// <summary>
    /// Opens connections as the application's role until PostgreSQL refuses them with 53300, runs
    /// <paramref name="action"/>, then releases them all. A backend of an earlier, closed connection
    /// can still hold a slot for a moment after its client left, so filling goes on until several
    /// attempts in a row are refused: a slot freed late is taken here, not by the probe.
    /// </summary>
    private async Task<T> WithSlotsFilledAsync<T>(Func<Task<T>> action)
    {
        const int RefusalsInARow = 5;
        var before = await ClientBackendsAsync();
        var held = new List<NpgsqlConnection>();
        try
        {
            var refusals = 0;
            for (var attempt = 0; attempt < 150 && refusals < RefusalsInARow; attempt++)
            {
                var connection = new NpgsqlConnection(services.AppConnectionString);
                try
                {
                    await connection.OpenAsync();
                    held.Add(connection);
                    refusals = 0;
                }
                catch (PostgresException ex) when (ex.SqlState == "53300")
                {
                    await connection.DisposeAsync();
                    refusals++;
                    await Task.Delay(TimeSpan.FromMilliseconds(50));
                }
            }

            Assert.True(refusals == RefusalsInARow, $"PostgreSQL accepted {held.Count} connections without refusing {RefusalsInARow} in a row");
            return await action();
        }
        finally
        {
            foreach (var connection in held)
            {
                await connection.DisposeAsync();
            }

            // Backends exit a moment after their clients close; wait for them so the next test finds the slots free.
            var waited = TimeProvider.System.GetTimestamp();
            while (await ClientBackendsAsync() > before && TimeProvider.System.GetElapsedTime(waited) < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50));
            }
        }
    }

    /// <summary>Client backends on the server, counted over the superuser's reserved slots (this count's own connection included).</summary>
    private async Task<int> ClientBackendsAsync()
    {
        await using var connection = new NpgsqlConnection(services.AdminConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend'";
        return (int)(await command.ExecuteScalarAsync())!;
    }
}
