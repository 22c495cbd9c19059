using Faultline.Core.Config;

namespace Faultline.Monitor.Tests.Engine;

public sealed class ReloadTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ApplyConfig_TargetsAddedRemovedAndUnchanged_UnchangedKeepStateAndIncident()
    {
        var config = EngineHarness.Config(EngineHarness.Target("api", failureThreshold: 1), EngineHarness.Target("old"));
        await using var h = new EngineHarness(config);
        h.Probe.Set("api", Outcome.Fail());
        await h.AdvanceAsync(Interval * 2);
        var before = await h.StatusAsync("api");
        Assert.Equal(TargetState.Down, before.State);
        Assert.Single(h.Sink.Alerts);

        // A new file: the same api (new record instances, as the loader builds them), old gone, new added.
        var reloaded = EngineHarness.Config(EngineHarness.Target("api", failureThreshold: 1) with { Location = new SourceLocation("f.yaml", 9, 3) }, EngineHarness.Target("new"));
        await h.Engine.ApplyConfigAsync(reloaded);
        var oldCalls = h.Probe.CallsFor("old");
        await h.AdvanceAsync(Interval * 3);

        var after = await h.StatusAsync("api");
        Assert.Equal(TargetState.Down, after.State);
        Assert.Equal(before.IncidentId, after.IncidentId);
        Assert.True(after.Signatures["network/connection-refused"] > before.Signatures["network/connection-refused"]);
        Assert.Single(h.Sink.Alerts);
        Assert.Equal(oldCalls, h.Probe.CallsFor("old"));
        Assert.True(h.Probe.CallsFor("new") >= 2);
        Assert.DoesNotContain(await h.Engine.SnapshotAsync(), s => s.Name == "old");
        Assert.Same(reloaded, h.Engine.Config);
    }

    [Fact]
    public async Task ApplyConfig_IntervalChanged_NewIntervalAppliesAndStateKept()
    {
        await using var h = new EngineHarness(EngineHarness.Config(EngineHarness.Target("api")));
        await h.ProbesAsync("api", 3);
        Assert.Equal(TargetState.Up, (await h.StatusAsync("api")).State);

        await h.Engine.ApplyConfigAsync(EngineHarness.Config(EngineHarness.Target("api", intervalSeconds: 60)));
        await h.ProbesAsync("api");
        var calls = h.Probe.CallsFor("api");
        await h.AdvanceAsync(TimeSpan.FromSeconds(50));

        Assert.Equal(calls, h.Probe.CallsFor("api"));
        Assert.Equal(TargetState.Up, (await h.StatusAsync("api")).State);
        Assert.Single(h.Sink.StatesOf("api"));
    }

    [Fact]
    public async Task ApplyConfig_DuplicateTargetNames_RejectedAndOldConfigKept()
    {
        var config = EngineHarness.Config(EngineHarness.Target("api"));
        await using var h = new EngineHarness(config);

        await Assert.ThrowsAsync<ArgumentException>(() => h.Engine.ApplyConfigAsync(EngineHarness.Config(EngineHarness.Target("a"), EngineHarness.Target("a"))));

        Assert.Same(config, h.Engine.Config);
    }
}
