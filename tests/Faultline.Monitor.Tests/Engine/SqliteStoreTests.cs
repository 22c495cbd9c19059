using Faultline.Core.Model;
using Faultline.Store;
using Microsoft.Extensions.Time.Testing;

namespace Faultline.Monitor.Tests.Engine;

/// <summary>The engine on the real SQLite history store (a temp file).</summary>
public sealed class SqliteStoreTests : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "faultline-engine-" + Guid.NewGuid().ToString("N"));

    public SqliteStoreTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<IHistoryStore> OpenAsync()
    {
        var store = HistoryStores.Open("sqlite:" + Path.Combine(_dir, "history.db"), new FakeTimeProvider(EngineHarness.Start));
        await store.MigrateAsync();
        return store;
    }

    [Fact]
    public async Task Run_ParentAndChildFailThenRecover_StoreKeepsBothIncidentsChildAttributedToParent()
    {
        await using var store = await OpenAsync();
        var config = EngineHarness.Config(EngineHarness.Target("db"), EngineHarness.Target("api", dependsOn: "db"));
        await using (var h = new EngineHarness(config, store))
        {
            await h.AdvanceAsync(Interval * 3);
            h.Probe.Set("db", Outcome.Fail(Layer.Database, "connection-refused"));
            h.Probe.Set("api", Outcome.Fail(Layer.Application, "http-5xx"));
            await h.AdvanceAsync(Interval * 5);
            h.Probe.Set("db", Outcome.Pass());
            h.Probe.Set("api", Outcome.Pass());
            await h.AdvanceAsync(Interval * 4);

            Assert.Equal([AlertEventKind.Open, AlertEventKind.Resolve], h.Sink.Alerts.Select(a => a.Event));
        }

        var incidents = await store.IncidentsAsync(EngineHarness.Start, EngineHarness.Start.AddDays(1));
        Assert.Equal(2, incidents.Count);
        var db = Assert.Single(incidents, i => i.Target == "db");
        var api = Assert.Single(incidents, i => i.Target == "api");
        Assert.Null(db.SuppressedBy);
        Assert.Equal("db", api.SuppressedBy);
        Assert.Equal("database/connection-refused", db.Signature);
        Assert.All(incidents, i => Assert.NotNull(i.ResolvedAt));

        var results = await store.ResultsAsync(null, EngineHarness.Start, EngineHarness.Start.AddDays(1));
        Assert.InRange(results.Count(r => r.Target == "db"), 11, 13);
        Assert.Contains(results, r => r.Target == "api" && r is { Status: ResultStatus.Fail, Layer: Layer.Application, ErrorKind: "http-5xx" });
    }

    [Fact]
    public async Task Run_MonitorRestartsDuringIncident_SameIncidentNoSecondOpenThenResolve()
    {
        await using var store = await OpenAsync();
        var config = EngineHarness.Config(EngineHarness.Target("api", failureThreshold: 1));
        long id;
        await using (var first = new EngineHarness(config, store))
        {
            first.Probe.Set("api", Outcome.Fail());
            await first.AdvanceAsync(Interval * 2);
            id = Assert.Single(first.Sink.Alerts).Incident.Id;
        }

        await using var second = new EngineHarness(config, store);
        second.Probe.Set("api", Outcome.Fail());
        await second.AdvanceAsync(Interval * 2);
        Assert.Empty(second.Sink.Alerts);
        Assert.Equal(id, (await second.StatusAsync("api")).IncidentId);

        second.Probe.Set("api", Outcome.Pass());
        await second.AdvanceAsync(Interval * 3);

        var resolve = Assert.Single(second.Sink.Alerts);
        Assert.Equal((AlertEventKind.Resolve, id), (resolve.Event, resolve.Incident.Id));
        Assert.Empty(await store.OpenIncidentsAsync());
    }
}
