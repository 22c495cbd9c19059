using System.Net;
using System.Net.Sockets;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Faultline.Monitor.Engine;
using Faultline.Monitor.Tests.Engine;

namespace Faultline.Monitor.Tests;

/// <summary>The host on the real clock with a scripted probe: composition, subscriptions, reloads and start-up failures.</summary>
public sealed class MonitorHostTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly string _dir = Directory.CreateTempSubdirectory("faultline-host-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Subscribe_TwoSubscribers_BothSeeResultsAndStatesUntilUnsubscribed()
    {
        await using var host = await CreateAsync(EngineHarness.Config(EngineHarness.Target("api", successThreshold: 1, intervalSeconds: 0.2)));
        var first = new RecordingSink();
        var second = new RecordingSink();
        var subscription = host.Subscribe(first);
        using var kept = host.Subscribe(second);
        using var stop = new CancellationTokenSource();
        var run = host.RunAsync(stop.Token);

        await Until(() => first.StatesOf("api").Count > 0 && first.Results.Count >= 2);
        subscription.Dispose();
        var seen = first.Results.Count;
        var later = second.Results.Count + 3;
        await Until(() => second.Results.Count >= later);
        await stop.CancelAsync();
        await run;

        // At most the one delivery that was already under way when the subscription ended.
        Assert.InRange(first.Results.Count, seen, seen + 1);
        Assert.Equal((TargetState.Pending, TargetState.Up), (first.StatesOf("api")[0].From, first.StatesOf("api")[0].To));
        Assert.Equal(TargetState.Up, Assert.Single(await host.SnapshotAsync()).State);
    }

    [Fact]
    public async Task Subscribe_SubscriberThrows_MonitoringAndOtherSubscribersGoOn()
    {
        await using var host = await CreateAsync(EngineHarness.Config(EngineHarness.Target("api", successThreshold: 1, intervalSeconds: 0.2)));
        using var failing = host.Subscribe(new ThrowingSink());
        var recording = new RecordingSink();
        using var kept = host.Subscribe(recording);
        using var stop = new CancellationTokenSource();
        var run = host.RunAsync(stop.Token);

        await Until(() => recording.Results.Count >= 3 && recording.StatesOf("api").Count == 1);
        await stop.CancelAsync();
        await run;

        var status = Assert.Single(await host.SnapshotAsync());
        Assert.Equal(TargetState.Up, status.State);
        Assert.Null(status.ProbeError);
    }

    [Fact]
    public async Task ReloadAsync_ValidThenInvalidThenEmpty_AppliedThenPreviousConfigKept()
    {
        var path = Path.Combine(_dir, "monitor.yaml");
        await File.WriteAllTextAsync(path, Yaml("api"));
        var config = ConfigLoader.LoadFile(path);
        await using var host = await CreateAsync(config, path);
        var reloads = new ReloadRecorder();
        using var subscription = host.Subscribe(reloads);

        await File.WriteAllTextAsync(path, Yaml("api", "db"));
        var applied = await host.ReloadAsync(CancellationToken.None);
        Assert.Equal(ConfigReloadOutcome.Applied, applied!.Outcome);
        Assert.Equal(2, applied.Targets);
        Assert.Equal(["api", "db"], host.Config.Targets.Select(t => t.Name));

        await File.WriteAllTextAsync(path, "targets:\n  - name: api\n    kind: http\n    url: [not, a, url\n");
        var invalid = await host.ReloadAsync(CancellationToken.None);
        Assert.Equal(ConfigReloadOutcome.Invalid, invalid!.Outcome);
        Assert.NotNull(invalid.Errors);
        Assert.Equal(2, invalid.Targets);

        await File.WriteAllTextAsync(path, string.Empty);
        var refused = await host.ReloadAsync(CancellationToken.None);
        Assert.Equal(ConfigReloadOutcome.Refused, refused!.Outcome);
        Assert.EndsWith("still running the previous config", refused.Message, StringComparison.Ordinal);

        Assert.Equal(2, host.Config.Targets.Count);
        Assert.Equal([ConfigReloadOutcome.Applied, ConfigReloadOutcome.Invalid, ConfigReloadOutcome.Refused], reloads.Outcomes);
    }

    [Fact]
    public async Task CreateAsync_StoreRefusesConnection_StoreErrorWithoutThePassword()
    {
        var options = Options(EngineHarness.Config(EngineHarness.Target("api"))) with
        {
            Store = $"postgres:postgres://faultline:Hunter2Secret@127.0.0.1:{ClosedPort()}/faultline",
        };

        var error = await Assert.ThrowsAsync<MonitorHostException>(() => MonitorHost.CreateAsync(options, null, CancellationToken.None));

        Assert.Equal("store", error.Setting);
        Assert.StartsWith("cannot open the history store", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Hunter2Secret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateAsync_MetricsPortTaken_MetricsErrorAndTheStoreClosedAgain()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var db = Path.Combine(_dir, "history.db");
        var options = Options(EngineHarness.Config(EngineHarness.Target("api"))) with
        {
            Store = "sqlite:" + db,
            Metrics = (IPEndPoint)taken.LocalEndpoint,
        };

        var error = await Assert.ThrowsAsync<MonitorHostException>(() => MonitorHost.CreateAsync(options, null, CancellationToken.None));

        Assert.Equal("metrics", error.Setting);

        // The store it opened was closed: the file can be opened by a second host at once.
        await using var second = await MonitorHost.CreateAsync(options with { Metrics = null }, null, CancellationToken.None);
        Assert.Contains("history.db", second.StoreDescription, StringComparison.Ordinal);
    }

    private static Task<MonitorHost> CreateAsync(FaultlineConfig config, string? path = null) =>
        MonitorHost.CreateAsync(Options(config) with { ConfigPath = path }, null, CancellationToken.None);

    /// <summary>No history; every probe answered by the scripted probe (all pass) instead of the network.</summary>
    private static MonitorHostOptions Options(FaultlineConfig config)
    {
        var scripted = new ScriptedProbe(TimeProvider.System);
        return new MonitorHostOptions
        {
            Config = config,
            Store = MonitorHost.NoStore,
            Probes = ProbeCatalog.Empty,
            Resolver = _ => throw new InvalidOperationException("the scripted probe resolves nothing"),
            WrapProbe = _ => scripted.ProbeAsync,
        };
    }

    private static string Yaml(params string[] names) =>
        "targets:\n" + string.Concat(names.Select(n => $"  - name: {n}\n    kind: http\n    url: http://127.0.0.1:9/{n}\n    interval: 1h\n"));

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task Until(Func<bool> condition)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(waited.Elapsed < Patience, "the condition did not hold in time");
            await Task.Delay(20);
        }
    }

    private sealed class ThrowingSink : IMonitorSink
    {
        public ValueTask OnResultAsync(ResultEvent result, CancellationToken cancellationToken) => throw new IOException("the page went away");

        public ValueTask OnStateAsync(StateEvent state, CancellationToken cancellationToken) => throw new IOException("the page went away");

        public ValueTask OnAlertAsync(AlertEvent alert, CancellationToken cancellationToken) => throw new IOException("the page went away");
    }

    private sealed class ReloadRecorder : IMonitorSink, IMonitorReloadSink
    {
        public List<ConfigReloadOutcome> Outcomes { get; } = [];

        public ValueTask OnResultAsync(ResultEvent result, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask OnStateAsync(StateEvent state, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask OnAlertAsync(AlertEvent alert, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask OnConfigReloadAsync(ConfigReload reload, CancellationToken cancellationToken)
        {
            Outcomes.Add(reload.Outcome);
            return ValueTask.CompletedTask;
        }
    }
}
