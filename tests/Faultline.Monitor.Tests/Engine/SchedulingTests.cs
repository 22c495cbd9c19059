using Faultline.Core.Config;
using Faultline.Monitor.Engine;

namespace Faultline.Monitor.Tests.Engine;

public sealed class SchedulingTests
{
    [Fact]
    public async Task Run_ManyTargetsSameInterval_FirstProbesSpreadOverFirstInterval()
    {
        var targets = Enumerable.Range(0, 20).Select(i => EngineHarness.Target($"t{i}")).ToArray();
        await using var h = new EngineHarness(EngineHarness.Config(targets));

        await h.AdvanceAsync(TimeSpan.FromSeconds(10));

        var first = h.Probe.Calls.ToList();
        Assert.Equal(20, first.Count);
        Assert.All(targets, t => Assert.Equal(1, h.Probe.CallsFor(t.Name)));
        Assert.All(first, c => Assert.InRange(c.At, EngineHarness.Start, EngineHarness.Start.AddSeconds(10)));

        // Spread, not a burst at t=0: with 1 s steps at least a handful of distinct start seconds.
        Assert.True(first.Select(c => c.At).Distinct().Count() >= 5, string.Join(", ", first.Select(c => c.At.ToString("ss", System.Globalization.CultureInfo.InvariantCulture))));
    }

    [Fact]
    public async Task Run_OneTarget_ProbesEveryIntervalWithJitterWithinATenth()
    {
        await using var h = new EngineHarness(EngineHarness.Config(EngineHarness.Target("api")));

        await h.AdvanceAsync(TimeSpan.FromSeconds(210), TimeSpan.FromMilliseconds(250));

        var results = h.Sink.ResultsOf("api");
        Assert.InRange(results.Count, 19, 22);
        var gaps = results.Zip(results.Skip(1), (a, b) => b.ScheduledAt - a.ScheduledAt).ToList();
        Assert.All(gaps, g => Assert.InRange(g, TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(11)));
        Assert.True(gaps.Distinct().Count() > 1, "jitter: the gaps are not all equal");

        // Lag = start − due: never negative, at most one fake-time step here.
        Assert.All(results, r => Assert.InRange(r.StartedAt - r.ScheduledAt, TimeSpan.Zero, TimeSpan.FromMilliseconds(250)));
    }

    [Fact]
    public void Jitter_ManySequences_StaysInZeroToATenthOfTheInterval()
    {
        var interval = TimeSpan.FromSeconds(30);
        var jitters = Enumerable.Range(0, 2000).Select(i => Schedule.Jitter("api", i, interval)).ToList();

        Assert.All(jitters, j => Assert.InRange(j, TimeSpan.Zero, TimeSpan.FromSeconds(3) - TimeSpan.FromTicks(1)));
        Assert.True(jitters.Max() > TimeSpan.FromSeconds(2.5), "jitter uses most of its range");
        Assert.Equal(Schedule.Jitter("api", 7, interval), Schedule.Jitter("api", 7, interval));
        Assert.InRange(Schedule.FirstOffset("api", interval), TimeSpan.Zero, interval);
    }

    [Fact]
    public async Task Run_ConcurrencyTwo_NeverMoreThanTwoProbesAtOnce()
    {
        var targets = Enumerable.Range(0, 10).Select(i => EngineHarness.Target($"t{i}")).ToArray();
        var config = EngineHarness.Config(targets) with { Defaults = new DefaultsSpec { Concurrency = 2 } };
        await using var h = new EngineHarness(config);
        h.Probe.RealDelay = TimeSpan.FromMilliseconds(30);
        await h.WaitIdleAsync();

        // Every first probe becomes due at once: they queue on the gate.
        h.Time.Advance(TimeSpan.FromSeconds(10));
        await h.WaitIdleAsync();

        Assert.Equal(10, h.Probe.Calls.Count);
        Assert.Equal(2, h.Probe.MaxInFlight);

        // Queued probes started late: their schedule lag shows it.
        Assert.Contains(h.Sink.Results, r => r.StartedAt > r.ScheduledAt);
    }
}
