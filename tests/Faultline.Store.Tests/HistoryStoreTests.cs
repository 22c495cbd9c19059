using System.Diagnostics;
using Faultline.Core.Model;
using Faultline.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Faultline.Store.Tests;

/// <summary>The contract, run against both backends.</summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LocalServices.Collection)]
public sealed class HistoryStoreTests(LocalServices services) : IAsyncLifetime
{
    private static readonly DateTimeOffset Origin = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly StoreFactory _factory = new(services);
    private readonly FakeTimeProvider _time = new(Origin);

    public static TheoryData<string> Backends => StoreFactory.Backends;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task MigrateAsync_FreshThenAgain_RecordsEveryStepOnce(string backend)
    {
        var spec = await _factory.NewSpecAsync(backend);
        await using (var store = HistoryStores.Open(spec, _time))
        {
            await store.MigrateAsync();
            await store.MigrateAsync();
        }

        await using (var again = HistoryStores.Open(spec, _time))
        {
            await again.MigrateAsync();
        }

        Assert.Equal((long)Schema.Latest, Convert.ToInt64(await StoreFactory.ScalarAsync(spec, "SELECT COUNT(*) FROM schema_version"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal((long)Schema.Latest, Convert.ToInt64(await StoreFactory.ScalarAsync(spec, "SELECT MAX(version) FROM schema_version"), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task MigrateAsync_SchemaFromNewerVersion_RefusesAndLeavesItAlone(string backend)
    {
        var spec = await _factory.NewSpecAsync(backend);
        await using (var store = HistoryStores.Open(spec, _time))
        {
            await store.MigrateAsync();
        }

        var newer = Schema.Latest + 7;
        await StoreFactory.ScalarAsync(spec, $"INSERT INTO schema_version (version, description, applied_at) VALUES ({newer}, 'from the future', 'x')");

        await using var later = HistoryStores.Open(spec, _time);
        var error = await Assert.ThrowsAsync<HistoryStoreException>(() => later.MigrateAsync());
        Assert.Contains($"schema version {newer}", error.Message, StringComparison.Ordinal);
        Assert.Contains("newer Faultline", error.Message, StringComparison.Ordinal);
        Assert.Contains("Upgrade Faultline", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<HistoryStoreException>(() => later.WriteResultsAsync([Result("api", Origin, ResultStatus.Pass, 10)]));
        Assert.Equal((long)newer, Convert.ToInt64(await StoreFactory.ScalarAsync(spec, "SELECT MAX(version) FROM schema_version"), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task WriteResultsAsync_ThenResultsAsync_RoundTripsEveryField(string backend)
    {
        await using var store = HistoryStores.Open(await _factory.NewSpecAsync(backend), _time);
        StoredResult[] written =
        [
            Result("api", Origin.AddSeconds(1), ResultStatus.Pass, 12.5),
            Result("db", Origin.AddSeconds(2), ResultStatus.Fail, 5000, Layer.Database, Side.Infrastructure, "connect-timeout", "connect to 127.0.0.1:5432 timed out after 5 s"),
            Result("api", Origin.AddSeconds(3), ResultStatus.Warn, 800.25, Layer.Application, Side.Application, null, "[RESPONSE_TIME] < 500ms: 800ms"),
        ];

        await store.WriteResultsAsync(written);
        await store.WriteResultsAsync([Result("api", Origin.AddHours(2), ResultStatus.Pass, 1)]);

        var all = await store.ResultsAsync(null, Origin, Origin.AddHours(1));
        Assert.Equal(written, all);
        var api = await store.ResultsAsync("api", Origin, Origin.AddHours(3));
        Assert.Equal([written[0], written[2], Result("api", Origin.AddHours(2), ResultStatus.Pass, 1)], api);
        Assert.Empty(await store.ResultsAsync("nobody", Origin, Origin.AddHours(3)));
    }

    [Fact]
    public async Task Open_PostgresOnItsUnixSocket_MigratesWritesAndReads()
    {
        var spec = await _factory.NewSocketSpecAsync();
        await using var store = HistoryStores.Open(spec, _time);
        var written = Result("db", Origin.AddSeconds(1), ResultStatus.Fail, 3, Layer.Network, Side.Infrastructure, "socket-missing", "no Cloud SQL proxy socket at /cloudsql/p:r:i/.s.PGSQL.5432: is the instance attached to the service?");

        await store.MigrateAsync();
        await store.WriteResultsAsync([written]);

        Assert.Equal($"postgres:unix:{services.PgSocketDirectory}/.s.PGSQL.{services.PgPort} (db {StoreFactory.DatabaseOf(spec)})", store.Description);
        Assert.DoesNotContain(services.PgAdminPassword, store.Description, StringComparison.Ordinal);
        Assert.Equal([written], await store.ResultsAsync("db", Origin, Origin.AddHours(1)));
        Assert.Equal((long)Schema.Latest, Convert.ToInt64(await StoreFactory.ScalarAsync(spec, "SELECT MAX(version) FROM schema_version"), System.Globalization.CultureInfo.InvariantCulture));

        // The store's pooled session is there, and it came over the socket: PostgreSQL sees no client address.
        const string Sessions = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'faultline' AND client_addr IS {0} NULL";
        Assert.True(Convert.ToInt64(await StoreFactory.ScalarAsync(spec, string.Format(System.Globalization.CultureInfo.InvariantCulture, Sessions, string.Empty)), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.Equal(0L, Convert.ToInt64(await StoreFactory.ScalarAsync(spec, string.Format(System.Globalization.CultureInfo.InvariantCulture, Sessions, "NOT")), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task OpenIncidentAsync_WhileOneIsOpen_ReturnsTheOpenOneUntilResolved(string backend)
    {
        await using var store = HistoryStores.Open(await _factory.NewSpecAsync(backend), _time);
        var first = await store.OpenIncidentAsync(Incident("db", Origin, ["connect timed out after 5 s", "3 failures in a row"], "check the VPC connector"));
        var again = await store.OpenIncidentAsync(Incident("db", Origin.AddMinutes(1), ["something else"], null));
        var other = await store.OpenIncidentAsync(Incident("api", Origin.AddMinutes(2), [], null) with { SuppressedBy = "db", Layer = Layer.Application, Side = Side.Application });

        Assert.Equal(Key(first), Key(again));
        Assert.Equal(Origin, first.StartedAt);
        Assert.Equal(["connect timed out after 5 s", "3 failures in a row"], first.Evidence);
        Assert.Equal("check the VPC connector", first.Remedy);
        Assert.NotEqual(first.Id, other.Id);
        Assert.Equal("db", other.SuppressedBy);
        Assert.Equal([Key(first), Key(other)], (await store.OpenIncidentsAsync()).Select(Key));

        var resolved = await store.ResolveIncidentAsync("db", Origin.AddMinutes(5));
        Assert.Equal(Key(first with { ResolvedAt = Origin.AddMinutes(5) }), Key(resolved!));
        Assert.Null(await store.ResolveIncidentAsync("db", Origin.AddMinutes(6)));
        Assert.Equal([Key(other)], (await store.OpenIncidentsAsync()).Select(Key));

        var reopened = await store.OpenIncidentAsync(Incident("db", Origin.AddMinutes(10), [], null));
        Assert.NotEqual(first.Id, reopened.Id);
        var history = await store.IncidentsAsync(Origin, Origin.AddHours(1));
        Assert.Equal([reopened.Id, other.Id, first.Id], history.Select(i => i.Id));
        Assert.Empty(await store.IncidentsAsync(Origin.AddHours(1), Origin.AddHours(2)));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task TryRecordNotificationAsync_SameEventTwice_TrueOnlyTheFirstTime(string backend)
    {
        await using var store = HistoryStores.Open(await _factory.NewSpecAsync(backend), _time);
        var incident = await store.OpenIncidentAsync(Incident("db", Origin, [], null));

        Assert.True(await store.TryRecordNotificationAsync(incident.Id, "open", Origin));
        Assert.False(await store.TryRecordNotificationAsync(incident.Id, "open", Origin.AddSeconds(1)));
        Assert.True(await store.TryRecordNotificationAsync(incident.Id, "reminder-1", Origin.AddHours(1)));
        Assert.True(await store.TryRecordNotificationAsync(incident.Id, "resolve", Origin.AddHours(2)));
        Assert.False(await store.TryRecordNotificationAsync(incident.Id, "resolve", Origin.AddHours(2)));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task ApplyRetentionAsync_CompleteHours_RollsUpCountsPercentilesAndLayers(string backend)
    {
        await using var store = HistoryStores.Open(await _factory.NewSpecAsync(backend), _time);

        // Hour 0: api 100 results with durations 1..100, of which 10 fail (7 database, 3 network) and 5 warn.
        var results = new List<StoredResult>();
        for (var i = 1; i <= 100; i++)
        {
            var at = Origin.AddSeconds(i * 30);
            results.Add(i switch
            {
                <= 7 => Result("api", at, ResultStatus.Fail, i, Layer.Database, Side.Infrastructure, "connect-timeout"),
                <= 10 => Result("api", at, ResultStatus.Fail, i, Layer.Network, Side.Infrastructure, "connection-refused"),
                <= 15 => Result("api", at, ResultStatus.Warn, i),
                _ => Result("api", at, ResultStatus.Pass, i),
            });
        }

        // Hour 0: db one result; hour 2 (hour 1 empty): api one result; hour 3 is not complete at "now".
        results.Add(Result("db", Origin.AddMinutes(59), ResultStatus.Pass, 3));
        results.Add(Result("api", Origin.AddHours(2).AddMinutes(1), ResultStatus.Fail, 40, null, null, "internal"));
        results.Add(Result("api", Origin.AddHours(3).AddMinutes(1), ResultStatus.Pass, 40));
        await store.WriteResultsAsync(results);

        var now = Origin.AddHours(3).AddMinutes(30);
        await store.ApplyRetentionAsync(now, TimeSpan.FromDays(14), TimeSpan.FromDays(365));
        var rollups = await store.RollupsAsync(null, Origin, now.AddHours(1));

        Assert.Equal(3, rollups.Count);
        var api0 = rollups[0];
        Assert.Equal(("api", Origin, 100, 90), (api0.Target, api0.Hour, api0.Total, api0.Passed));
        Assert.Equal((50d, 95d, 99d), (api0.P50Ms, api0.P95Ms, api0.P99Ms));
        Assert.Equal(new Dictionary<Layer, int> { [Layer.Database] = 7, [Layer.Network] = 3 }, api0.FailuresByLayer);
        Assert.Equal(0.9, api0.Uptime, 6);
        Assert.Equal(("db", Origin, 1, 1, 3d), (rollups[1].Target, rollups[1].Hour, rollups[1].Total, rollups[1].Passed, rollups[1].P99Ms));
        Assert.Equal(("api", Origin.AddHours(2), 1, 0), (rollups[2].Target, rollups[2].Hour, rollups[2].Total, rollups[2].Passed));
        Assert.Equal(new Dictionary<Layer, int> { [Layer.Unknown] = 1 }, rollups[2].FailuresByLayer);
        Assert.Equal(2, (await store.RollupsAsync("api", Origin, now)).Count);

        // Idempotent: running again at the same time changes nothing.
        await store.ApplyRetentionAsync(now, TimeSpan.FromDays(14), TimeSpan.FromDays(365));
        Assert.Equal(rollups.Select(Key), (await store.RollupsAsync(null, Origin, now.AddHours(1))).Select(Key));
        Assert.Equal(results.Count, (await store.ResultsAsync(null, Origin, now)).Count);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task ApplyRetentionAsync_ResultWrittenJustAfterItsHour_CountsInTheNextRun(string backend)
    {
        await using var store = HistoryStores.Open(await _factory.NewSpecAsync(backend), _time);
        await store.WriteResultsAsync([Result("api", Origin.AddMinutes(10), ResultStatus.Pass, 10)]);
        await store.ApplyRetentionAsync(Origin.AddHours(1), TimeSpan.FromDays(14), TimeSpan.FromDays(365));

        // A probe that finished at 00:59:59 is written after the run at 01:00.
        await store.WriteResultsAsync([Result("api", Origin.AddMinutes(59).AddSeconds(59), ResultStatus.Fail, 20, Layer.Tls, Side.Infrastructure, "tls-expired")]);
        await store.ApplyRetentionAsync(Origin.AddHours(1).AddMinutes(1), TimeSpan.FromDays(14), TimeSpan.FromDays(365));

        var rollup = Assert.Single(await store.RollupsAsync("api", Origin, Origin.AddHours(2)));
        Assert.Equal((2, 1), (rollup.Total, rollup.Passed));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task ApplyRetentionAsync_AsTimePasses_DeletesOldRawAndOldRollupsOnly(string backend)
    {
        await using var store = HistoryStores.Open(await _factory.NewSpecAsync(backend), _time);
        var raw = TimeSpan.FromDays(2);
        var keep = TimeSpan.FromDays(5);

        // Six days, one result per target per hour, retention applied every simulated hour as the monitor does.
        for (var hour = 0; hour < 24 * 6; hour++)
        {
            var at = Origin.AddHours(hour).AddMinutes(5);
            await store.WriteResultsAsync([Result("api", at, ResultStatus.Pass, hour), Result("db", at, ResultStatus.Pass, hour)]);
            _time.SetUtcNow(Origin.AddHours(hour + 1));
            await store.ApplyRetentionAsync(_time.GetUtcNow(), raw, keep);
        }

        var now = _time.GetUtcNow();
        var results = await store.ResultsAsync(null, Origin, now);
        Assert.Equal(2 * 48, results.Count);
        Assert.All(results, r => Assert.True(r.At >= now - raw));

        var rollups = await store.RollupsAsync(null, Origin, now);
        Assert.Equal(2 * 24 * 5, rollups.Count);
        Assert.All(rollups, r => Assert.True(r.Hour >= now - keep));
        Assert.All(rollups, r => Assert.Equal((1, 1), (r.Total, r.Passed)));
        Assert.Equal(24 * 5, (await store.RollupsAsync("db", Origin, now)).Count);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task RollupsAsync_YearOfOneTarget_ServesWellUnderTheBudget(string backend)
    {
        var spec = await _factory.NewSpecAsync(backend);
        await using var store = HistoryStores.Open(spec, _time);

        // A year of hours for 4 targets, rolled up in one backlog run (one result per target per hour keeps it quick).
        var batch = new List<StoredResult>();
        for (var hour = 0; hour < 24 * 365; hour++)
        {
            for (var t = 0; t < 4; t++)
            {
                batch.Add(Result($"t{t}", Origin.AddHours(hour).AddMinutes(t), ResultStatus.Pass, t));
            }

            if (batch.Count >= 20_000)
            {
                await store.WriteResultsAsync(batch);
                batch.Clear();
            }
        }

        await store.WriteResultsAsync(batch);
        var now = Origin.AddDays(365);
        await store.ApplyRetentionAsync(now, TimeSpan.FromDays(14), TimeSpan.FromDays(400));

        await store.RollupsAsync("t3", Origin, now);
        var watch = Stopwatch.StartNew();
        var year = await store.RollupsAsync("t3", Origin, now);
        watch.Stop();
        Assert.Equal(24 * 365, year.Count);

        // The goal is < 100 ms (bench/RESULTS-store.md measures it); the bound here only catches a missing index on a shared machine.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"a year of rollups took {watch.Elapsed.TotalMilliseconds} ms");
        Assert.Equal((long)14 * 24 * 4, Convert.ToInt64(await StoreFactory.ScalarAsync(spec, "SELECT COUNT(*) FROM results"), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Description_NeverShowsThePassword(string backend)
    {
        var spec = await _factory.NewSpecAsync(backend);
        await using var store = HistoryStores.Open(spec, _time);

        Assert.DoesNotContain(services.PgAdminPassword, store.Description, StringComparison.Ordinal);
        Assert.StartsWith(backend + ":", store.Description, StringComparison.Ordinal);
    }

    internal static StoredResult Result(string target, DateTimeOffset at, ResultStatus status, double durationMs, Layer? layer = null, Side? side = null, string? errorKind = null, string? message = null) => new()
    {
        Target = target,
        ScheduledAt = at.AddMilliseconds(-durationMs - 1).AddTicks(-(at.AddMilliseconds(-durationMs - 1).Ticks % TimeSpan.TicksPerMillisecond)),
        At = at,
        Status = status,
        Layer = layer,
        Side = side,
        ErrorKind = errorKind,
        DurationMs = durationMs,
        Message = message,
    };

    /// <summary>Everything an incident holds, comparable by value (records compare lists by reference).</summary>
    internal static string Key(StoredIncident i) =>
        $"{i.Id}|{i.Target}|{i.Layer}|{i.Side}|{i.Signature}|{i.StartedAt:O}|{i.ResolvedAt:O}|{i.SuppressedBy}|{string.Join(";", i.Evidence)}|{i.Remedy}";

    internal static string Key(HourlyRollup r) =>
        $"{r.Target}|{r.Hour:O}|{r.Total}|{r.Passed}|{r.P50Ms}|{r.P95Ms}|{r.P99Ms}|{string.Join(",", r.FailuresByLayer.OrderBy(f => f.Key).Select(f => $"{f.Key}:{f.Value}"))}";

    internal static StoredIncident Incident(string target, DateTimeOffset startedAt, IReadOnlyList<string> evidence, string? remedy) => new()
    {
        Id = 0,
        Target = target,
        Layer = Layer.Database,
        Side = Side.Infrastructure,
        Signature = "database/connect-timeout",
        StartedAt = startedAt,
        Evidence = evidence,
        Remedy = remedy,
    };
}
