using System.Diagnostics;
using Faultline.Core.Config;
using Faultline.Core.Running;
using Faultline.TestSupport;
using Xunit.Abstractions;

namespace Faultline.Cli.Tests;

/// <summary>
/// Every probe stops its own work at its deadline: probing a hung server (it accepts, then never
/// answers) again and again, as a monitor does, each run ends at the target's deadline with the probe's
/// own typed timeout (a plain <c>timeout</c> would mean the runner gave up on a probe still running),
/// and leaves no probe running behind — the runner's count of probes in flight is back to zero as soon
/// as each run has reported.
/// </summary>
public sealed class InFlightProbeTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("postgres", "read-timeout")]
    [InlineData("redis", "read-timeout")]
    [InlineData("http", "read-timeout")]
    [InlineData("tls", "tls-timeout")]
    [InlineData("websocket", "read-timeout")]
    [InlineData("remote", "read-timeout")]
    public async Task RunAsync_HungServerProbedFiveTimes_NoProbeOutlivesItsRun(string kind, string expected)
    {
        await using var hung = TestServers.Hung();
        var runner = new CheckRunner(ProbeSet.Create(), ProbeSet.Resolver, TimeProvider.System);
        var endpoint = $"127.0.0.1:{hung.Port}";
        var target = kind switch
        {
            "postgres" => new TargetSpec { Name = "db", Kind = kind, ConnectionString = $"postgres://faultline:x1y2z3w4@{endpoint}/faultline" },
            "redis" => new TargetSpec { Name = "cache", Kind = kind, ConnectionString = $"redis://:x1y2z3w4@{endpoint}/0" },
            "http" => new TargetSpec { Name = "api", Kind = kind, Url = $"http://{endpoint}/health" },
            "tls" => new TargetSpec { Name = "cert", Kind = kind, Host = "127.0.0.1", Port = hung.Port },
            "websocket" => new TargetSpec { Name = "chat", Kind = kind, Url = $"ws://{endpoint}/ws", Expect = ["pong"] },
            _ => new TargetSpec { Name = "svc", Kind = kind, Url = $"http://{endpoint}/health/infrastructure" },
        } with { Timeout = TimeSpan.FromSeconds(1) };
        var config = new FaultlineConfig { Targets = [target] };

        var lingering = new List<TimeSpan>();
        var took = new List<TimeSpan>();
        for (var run = 0; run < 5; run++)
        {
            var started = Stopwatch.StartNew();
            var report = await runner.RunAsync(config);
            took.Add(started.Elapsed);
            Assert.Equal(expected, Assert.Single(report.Results, r => r.Name == target.Name).Error?.Kind);

            var watch = Stopwatch.StartNew();
            while (runner.InFlightProbes > 0 && watch.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(10);
            }

            lingering.Add(watch.Elapsed);
            Assert.Equal(0, runner.InFlightProbes);
        }

        output.WriteLine($"{kind}: each run took (ms): " + string.Join(", ", took.Select(t => Math.Round(t.TotalMilliseconds))));
        output.WriteLine($"{kind}: time each probe outlived its run (ms): " + string.Join(", ", lingering.Select(t => Math.Round(t.TotalMilliseconds))));

        // The probe itself ends at its 1 s deadline, not whenever a driver's own timer fires (a postgres probe took 2 s
        // in every run before). Judged by the median of the runs after the first (which pays for loading and compiling
        // the probe): one run stretched by a loaded machine is noise, a probe that overruns its deadline does so every time.
        var median = took.Skip(1).Order().ElementAt(took.Count / 2 - 1);
        Assert.True(median < target.Timeout!.Value + TimeSpan.FromMilliseconds(500), $"a {kind} run took {median.TotalMilliseconds:F0} ms (median) for a 1 s deadline");
        Assert.All(lingering, t => Assert.True(t < TimeSpan.FromMilliseconds(250), $"a {kind} probe kept working {t.TotalMilliseconds:F0} ms after its run had reported"));
    }
}
