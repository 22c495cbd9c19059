using Faultline.Core.Model;
using Faultline.Lab.Scenarios;
using Xunit.Abstractions;
using Faultline.TestSupport;

namespace Faultline.Lab.Tests.Scenarios;

/// <summary>Every shipped scenario against the real lab: the attribution must match its expectation within 20 s.</summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LabCollection.Name)]
public sealed class LabScenarioTests(LabFixture lab, ITestOutputHelper output)
{
    public static TheoryData<string> ShippedScenarios()
    {
        var data = new TheoryData<string>();
        foreach (var scenario in ScenarioLoader.LoadDirectory(LabPaths.ExamplesDirectory))
        {
            data.Add(scenario.Name);
        }

        return data;
    }

    private async Task<(ScenarioOutcome Outcome, string Table)> RunAsync(Scenario scenario)
    {
        var runner = new LabRunner(lab.Stack);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var outcome = await runner.RunAsync(scenario, timeout.Token);
        using var writer = new StringWriter();
        LabReportWriter.WriteTable(new LabRunReport { Scenarios = [outcome] }, writer);
        output.WriteLine(writer.ToString());
        return (outcome, writer.ToString());
    }

    [Theory]
    [MemberData(nameof(ShippedScenarios))]
    public async Task RunAsync_ShippedScenario_IsAttributedAsExpectedWithin20Seconds(string name)
    {
        var scenario = LabRunner.SelectScenarios(LabPaths.RepositoryRoot, name: name).Single();

        var (outcome, table) = await RunAsync(scenario);

        Assert.True(outcome.Pass, table);
        Assert.True(outcome.VerdictMs <= ScenarioSettle.MaxTimeout.TotalMilliseconds, $"verdict after {outcome.VerdictMs} ms");
        if (scenario.Expect.Status == OverallStatus.Healthy)
        {
            Assert.Equal(0, outcome.Report!.Summary.Failed);
            Assert.Equal(0, outcome.Report.Summary.Warnings);
        }
    }

    /// <summary>A deliberately wrong expectation on a real fault is reported as a miss, with the evidence of what was found.</summary>
    [Fact]
    public async Task RunAsync_DeliberatelyWrongExpect_IsReportedAsAMiss()
    {
        var scenario = Faultline.Lab.Scenarios.ScenarioLoader.LoadText(
            "name: nginx-down-wrong-expect\nfaults:\n  - { stop: nginx }\nexpect: { target: api/postgres, layer: database, side: infrastructure }\n",
            "nginx-down-wrong-expect.yaml");

        var (outcome, table) = await RunAsync(scenario);

        Assert.False(outcome.Pass);
        Assert.Equal(new ScenarioVerdict(OverallStatus.Unhealthy, "lb-tcp", Layer.Network, Side.Infrastructure), outcome.Got);
        Assert.Contains("MISS", table, StringComparison.Ordinal);
        Assert.Contains("nginx-down-wrong-expect: expected api/postgres (database, infrastructure), got lb-tcp (network, infrastructure)", table, StringComparison.Ordinal);
        Assert.Contains("lb-tcp: connection-refused", table, StringComparison.Ordinal);
    }
}
