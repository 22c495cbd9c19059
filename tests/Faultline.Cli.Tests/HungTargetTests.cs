using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Faultline.TestSupport;

namespace Faultline.Cli.Tests;

/// <summary>Timing tests run alone, so the deadlines they measure are not stretched by the rest of the suite.</summary>
[CollectionDefinition(nameof(HungTargetTests), DisableParallelization = true)]
public sealed class HungTargetCollection;

/// <summary>A target that accepts and never answers must not hold up the others, and must end at its own deadline.</summary>
[Collection(nameof(HungTargetTests))]
public sealed class HungTargetTests
{
    [Fact]
    public async Task Run_HungTargetNextToHealthyOnes_HealthyUnchangedAndHungEndsAtItsTimeout()
    {
        await using var hung = TestServers.Hung();
        await using var healthy = TestServers.Http(TestServers.RawResponse(200, "OK", "{\"status\":\"ok\"}", "Content-Type: application/json"));
        var timeout = TimeSpan.FromSeconds(3);
        var yaml = $$"""
            defaults: { timeout: 3s }
            targets:
              - { name: hung, kind: http, url: "http://{{hung.Address}}/health" }
              - { name: api-1, kind: http, url: "{{healthy.BaseUrl}}/a", conditions: ["[STATUS] == 200", "[BODY].status == ok"] }
              - { name: api-2, kind: http, url: "{{healthy.BaseUrl}}/b", conditions: ["[STATUS] == 200"] }
              - { name: port, kind: tcp, host: 127.0.0.1, port: {{healthy.Port}} }
            """;
        var config = ConfigLoader.LoadText(yaml, "hung.yaml", Path.GetTempPath());
        var alone = config with { Targets = config.Targets.Where(t => t.Name != "hung").ToList() };
        var runner = new CheckRunner(ProbeSet.Create(), ProbeSet.Resolver, TimeProvider.System);

        var baseline = await runner.RunAsync(alone);
        var report = await runner.RunAsync(config);

        var hungResult = report.Results.Single(r => r.Name == "hung");
        Assert.Equal(ResultStatus.Fail, hungResult.Status);
        Assert.Equal("read-timeout", hungResult.Error?.Kind);
        Assert.InRange(hungResult.DurationMs, timeout.TotalMilliseconds * 0.9, timeout.TotalMilliseconds * 1.1);

        foreach (var expected in baseline.Results)
        {
            var actual = report.Results.Single(r => r.Name == expected.Name);
            Assert.Equal(ResultStatus.Pass, actual.Status);
            Assert.Equal(expected.Status, actual.Status);
            Assert.Equal(expected.Conditions.Select(c => (c.Expr, c.Ok, c.Actual)), actual.Conditions.Select(c => (c.Expr, c.Ok, c.Actual)));

            // Generous: a healthy loopback target takes milliseconds; it must not wait for the hung one.
            Assert.True(actual.DurationMs < 1500, $"{actual.Name} took {actual.DurationMs} ms next to a hung target");
        }
    }

    [Fact]
    public async Task Run_CallerCancels_ReportsCancelledNotTimeout()
    {
        await using var hung = TestServers.Hung();
        var config = ConfigLoader.LoadText(
            $"defaults: {{ timeout: 30s }}\ntargets:\n  - {{ name: hung, kind: http, url: \"http://{hung.Address}/\" }}\n",
            "cancel.yaml",
            Path.GetTempPath());
        var runner = new CheckRunner(ProbeSet.Create(), ProbeSet.Resolver, TimeProvider.System);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        var report = await runner.RunAsync(config, cancellationToken: cts.Token);

        var result = Assert.Single(report.Results);
        Assert.Equal("cancelled", result.Error?.Kind);
        Assert.True(result.DurationMs < 10_000, $"took {result.DurationMs} ms after cancellation");
    }
}
