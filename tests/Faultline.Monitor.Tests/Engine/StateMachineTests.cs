using Faultline.Core.Config;
using Faultline.Core.Model;

namespace Faultline.Monitor.Tests.Engine;

public sealed class StateMachineTests
{
    [Fact]
    public async Task Run_PassesReachSuccessThreshold_PendingBecomesUp()
    {
        await using var h = new EngineHarness(EngineHarness.Config(EngineHarness.Target("api")));

        await h.ProbesAsync("api");
        Assert.Equal(TargetState.Pending, (await h.StatusAsync("api")).State);

        await h.ProbesAsync("api");
        Assert.Equal(TargetState.Up, (await h.StatusAsync("api")).State);
        var change = Assert.Single(h.Sink.StatesOf("api"));
        Assert.Equal((TargetState.Pending, TargetState.Up), (change.From, change.To));
    }

    [Fact]
    public async Task Run_FailuresBelowThreshold_NoIncident()
    {
        await using var h = new EngineHarness(EngineHarness.Config(EngineHarness.Target("api")));
        await h.ProbesAsync("api", 3);
        h.Probe.Set("api", Outcome.Fail());

        await h.ProbesAsync("api", 2);

        Assert.Equal(TargetState.Up, (await h.StatusAsync("api")).State);
        Assert.Empty(h.Sink.Alerts);
    }

    [Fact]
    public async Task Run_ThirdFailureThenTwoPasses_OpensOneIncidentAndResolvesIt()
    {
        await using var h = new EngineHarness(EngineHarness.Config(EngineHarness.Target("api")));
        await h.ProbesAsync("api", 3);
        h.Probe.Set("api", Outcome.Fail(Layer.Database, "connect-timeout"));

        await h.ProbesAsync("api", 3);
        var down = h.Sink.StatesOf("api")[^1];
        Assert.Equal(TargetState.Down, down.To);
        Assert.Equal("database/connect-timeout", down.Signature);
        var open = Assert.Single(h.Sink.Alerts);
        Assert.Equal(AlertEventKind.Open, open.Event);
        Assert.Equal(down.IncidentId, open.Incident.Id);
        Assert.Equal(Layer.Database, open.Incident.Layer);
        Assert.Equal(["ops"], open.Channels);
        Assert.Contains("evidence for api", open.Evidence);
        Assert.StartsWith("api: database infrastructure", open.Summary, StringComparison.Ordinal);

        // More failures: still one incident, no new alert; the signature is counted.
        await h.ProbesAsync("api", 2);
        Assert.Single(h.Sink.Alerts);
        Assert.Equal(5, (await h.StatusAsync("api")).Signatures["database/connect-timeout"]);

        h.Probe.Set("api", Outcome.Pass());
        await h.ProbesAsync("api");
        Assert.Equal(TargetState.Down, (await h.StatusAsync("api")).State);
        await h.ProbesAsync("api");

        Assert.Equal(TargetState.Up, (await h.StatusAsync("api")).State);
        Assert.Equal([AlertEventKind.Open, AlertEventKind.Resolve], h.Sink.Alerts.Select(a => a.Event));
        var resolve = h.Sink.Alerts[1];
        Assert.Equal(open.Incident.Id, resolve.Incident.Id);
        Assert.NotNull(resolve.Incident.ResolvedAt);
    }

    [Fact]
    public async Task Run_PassSlowerThanDegradedAbove_DegradedThenUpAgain()
    {
        var target = EngineHarness.Target("api") with { DegradedAbove = TimeSpan.FromMilliseconds(500) };
        await using var h = new EngineHarness(EngineHarness.Config(target));
        await h.ProbesAsync("api", 3);
        Assert.Equal(TargetState.Up, (await h.StatusAsync("api")).State);

        h.Probe.Set("api", Outcome.Pass(durationMs: 800));
        await h.ProbesAsync("api");
        Assert.Equal(TargetState.Degraded, (await h.StatusAsync("api")).State);
        Assert.Empty(h.Sink.Alerts);

        h.Probe.Set("api", Outcome.Pass(durationMs: 100));
        await h.ProbesAsync("api");
        Assert.Equal(TargetState.Up, (await h.StatusAsync("api")).State);
        Assert.Equal([TargetState.Up, TargetState.Degraded, TargetState.Up], h.Sink.StatesOf("api").Select(s => s.To));
    }

    [Fact]
    public async Task Run_ChangesEveryInterval_FlappingThenQuietWindowLeavesIt()
    {
        var monitor = new MonitorSpec { FlapWindow = TimeSpan.FromMinutes(2), FlapChanges = 4 };
        var config = EngineHarness.Config(EngineHarness.Target("api", failureThreshold: 1, successThreshold: 1)) with { Monitor = monitor };
        await using var h = new EngineHarness(config);
        await h.ProbesAsync("api", 2);

        for (var i = 0; i < 4; i++)
        {
            h.Probe.Set("api", i % 2 == 0 ? Outcome.Fail() : Outcome.Pass());
            await h.ProbesAsync("api");
        }

        Assert.Equal(TargetState.Flapping, (await h.StatusAsync("api")).State);
        Assert.Contains(h.Sink.StatesOf("api"), s => s.To == TargetState.Flapping);

        h.Probe.Set("api", Outcome.Pass());
        await h.AdvanceAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(TargetState.Flapping, (await h.StatusAsync("api")).State);

        await h.AdvanceAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(TargetState.Up, (await h.StatusAsync("api")).State);
        var last = h.Sink.StatesOf("api")[^1];
        Assert.Equal((TargetState.Flapping, TargetState.Up), (last.From, last.To));
    }

    [Fact]
    public async Task Run_FailingResults_PercentilesOverRecentResults()
    {
        await using var h = new EngineHarness(EngineHarness.Config(EngineHarness.Target("api")));
        h.Probe.Set("api", Outcome.Pass(durationMs: 40));

        await h.ProbesAsync("api", 10);

        var status = await h.StatusAsync("api");
        Assert.Equal(40, status.P50Ms);
        Assert.Equal(40, status.P95Ms);
        Assert.NotNull(status.LastResultAt);
    }
}
