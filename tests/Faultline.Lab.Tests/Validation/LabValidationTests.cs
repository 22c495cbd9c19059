using System.Globalization;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Faultline.Core.Validation;
using Faultline.Lab.Relay;
using Faultline.Lab.Stack;
using Faultline.Lab.Tests.Stack;
using Faultline.Probes;
using Faultline.Probes.Net;
using Faultline.Probes.Postgres;
using Faultline.Probes.Redis;
using Xunit.Abstractions;
using Faultline.TestSupport;

namespace Faultline.Lab.Tests.Validation;

/// <summary>
/// <c>validate</c> on the real lab (examples/lab/validate.yaml): a broken stack fails with the right
/// categories and reasons; once the fault is cleared the failed report as baseline marks the targets
/// fixed and the verdict passes; a relay dropping every second connection makes a target flaky.
/// </summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LabStackCollection.Name)]
public sealed class LabValidationTests(LabFixture lab, ITestOutputHelper output)
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    private LabEnvironment Env => lab.Stack.Environment;

    private FaultlineConfig LoadExample() =>
        ConfigLoader.LoadFile(Path.Combine(lab.Stack.RepositoryRoot, "examples", "lab", "validate.yaml"), Variable);

    private string? Variable(string name) => Env.Variables.TryGetValue(name, out var value) ? value : null;

    private static CheckRunner NewCheckRunner() =>
        new([.. BuiltInProbes.Create(), PostgresProbes.Create(), RedisProbes.Create()], HostResolvers.For, TimeProvider.System);

    private static async Task<ValidationResult> ValidateAsync(FaultlineConfig config, int runs, Baseline? baseline = null, string? source = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        return await new ValidationRunner(NewCheckRunner(), TimeProvider.System).ValidateAsync(config, runs, Interval, baseline, source, null, timeout.Token);
    }

    /// <summary>Checks once a second until <paramref name="settled"/> holds for a report (the service's inside view is evaluated in the background).</summary>
    private static async Task<Report> SettleAsync(FaultlineConfig config, Func<Report, bool> settled, TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        var runner = NewCheckRunner();
        while (true)
        {
            var report = await runner.RunAsync(config, null, timeout.Token);
            if (settled(report) || timeout.IsCancellationRequested)
            {
                return report;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), timeout.Token);
        }
    }

    private static bool Fails(Report report, string name) =>
        report.Results.Any(r => r.Name == name && r.Status == ResultStatus.Fail);

    private static string Write(string format, ValidationResult validation)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        ValidationWriters.Create(format).Write(validation, text);
        return text.ToString();
    }

    [Fact]
    public async Task Validate_PostgresStoppedThenRestored_FailsDatabaseThenBaselineMarksFixed()
    {
        var config = LoadExample();
        string before;
        try
        {
            await lab.Stack.StopAsync("postgres");
            var settled = await SettleAsync(config, r => Fails(r, "db") && Fails(r, "api/postgres"), TimeSpan.FromSeconds(30));
            Assert.True(Fails(settled, "api/postgres"), Describe(settled));

            var broken = await ValidateAsync(config, runs: 2);
            output.WriteLine(Write("markdown", broken));
            output.WriteLine(Write("junit", broken));

            Assert.Equal(ValidationVerdict.Fail, broken.Verdict);
            Assert.Equal(SignoffStatus.RequiresAttention, broken.Signoff.Status);
            var categories = broken.Categories.ToDictionary(c => c.Name);
            Assert.True(categories["connectivity"].Met, Write("markdown", broken));
            Assert.False(categories["database"].Met);
            Assert.False(categories["startup"].Met);
            var db = broken.Targets.Single(t => t.Name == "db");
            Assert.Equal(TargetOutcome.Failing, db.Outcome);
            Assert.All(db.Runs, r => Assert.Equal(Layer.Database, r.Layer));
            var apiPostgres = broken.Targets.Single(t => t.Name == "api/postgres");
            Assert.Equal("startup", apiPostgres.Category);
            Assert.Equal(TargetOutcome.Failing, apiPostgres.Outcome);
            Assert.Contains(broken.Signoff.Reasons, r => r.StartsWith("database: db — 2 of 2 runs failed — layer database (infrastructure)", StringComparison.Ordinal));
            Assert.Contains(broken.Signoff.Reasons, r => r.StartsWith("startup: api/postgres — 2 of 2 runs failed — layer database (infrastructure)", StringComparison.Ordinal));
            before = Write("json", broken);
        }
        finally
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await lab.Stack.RestoreAsync(timeout.Token);
        }

        var healthy = await SettleAsync(config, r => r.Summary.Failed == 0, TimeSpan.FromSeconds(90));
        Assert.True(healthy.Summary.Failed == 0, "after restore: " + Describe(healthy));

        var fixedRun = await ValidateAsync(config, runs: 2, Baseline.Parse(before, "before.json"), "before.json");
        output.WriteLine(Write("markdown", fixedRun));
        output.WriteLine(Write("junit", fixedRun));

        Assert.Equal(ValidationVerdict.Pass, fixedRun.Verdict);
        Assert.Equal(SignoffStatus.Approved, fixedRun.Signoff.Status);
        var labels = fixedRun.Targets.ToDictionary(t => t.Name, t => t.Baseline);
        Assert.Equal(BaselineChange.Fixed, labels["db"]);
        Assert.Equal(BaselineChange.Fixed, labels["api/postgres"]);
        Assert.Equal(BaselineChange.Unchanged, labels["dns"]);
        Assert.All(fixedRun.Categories, c => Assert.True(c.Met, c.Name));
    }

    [Fact]
    public async Task Validate_RelayDropsEverySecondUpstreamConnection_ReadinessIsFlaky()
    {
        // One request per run reaches the service through the load balancer's upstream link, so with
        // every second new connection on that link closed at once, the runs alternate.
        var p = (int port) => port.ToString(CultureInfo.InvariantCulture);
        var yaml = $$"""
            resolver: "127.0.0.1:{{p(Env.DnsPort)}}"
            defaults: { timeout: 3s }
            validation:
              minPassRate: 0.8
              categories:
                - { name: connectivity, minPassRate: 1.0 }
                - { name: startup }
            targets:
              - name: lb-tcp
                kind: tcp
                category: connectivity
                host: api.lab.test
                port: {{p(Env.LoadBalancerPort)}}
              - name: ready
                kind: http
                category: startup
                url: "https://api.lab.test:{{p(Env.LoadBalancerPort)}}/health/ready"
                tls: { caFile: "{{Env.CaFile}}" }
                conditions: ["[STATUS] == 200"]
            """;
        var config = ConfigLoader.LoadText(yaml, "flaky.yaml", Env.Directory);
        var baseline = new Baseline(new Dictionary<string, TargetOutcome> { ["ready"] = TargetOutcome.Passing, ["lb-tcp"] = TargetOutcome.Passing });
        using var relay = new RelayClient(Env.RelayControl);
        ValidationResult flaky;
        try
        {
            await relay.SetFaultAsync("upstream", FaultSpec.Drop(2), CancellationToken.None);

            flaky = await ValidateAsync(config, runs: 4, baseline, "healthy.json");
            output.WriteLine(Write("markdown", flaky));
        }
        finally
        {
            await relay.ClearAllAsync(CancellationToken.None);
        }

        var ready = flaky.Targets.Single(t => t.Name == "ready");
        Assert.Equal(TargetOutcome.Flaky, ready.Outcome);
        Assert.Equal(BaselineChange.Flaky, ready.Baseline);
        Assert.Equal(2, ready.Passed);
        Assert.Equal(2, ready.Failed);
        for (var i = 1; i < ready.Runs.Count; i++)
        {
            Assert.NotEqual(ready.Runs[i - 1].Status, ready.Runs[i].Status);
        }

        Assert.All(ready.Runs.Where(r => !r.Passed), r => Assert.NotNull(r.Layer));
        Assert.Equal(TargetOutcome.Passing, flaky.Targets.Single(t => t.Name == "lb-tcp").Outcome);
        var startup = flaky.Categories.Single(c => c.Name == "startup");
        Assert.Equal(2, startup.Passed);
        Assert.Equal(4, startup.Total);
        Assert.False(startup.Met);
        Assert.Equal(ValidationVerdict.Fail, flaky.Verdict);
        Assert.Contains(flaky.Signoff.Reasons, r => r.StartsWith("startup: ready — 2 of 4 runs failed", StringComparison.Ordinal));
    }

    private static string Describe(Report report) =>
        string.Join("; ", report.Results.Select(r => $"{r.Name}: {r.Status} {r.Layer} {r.Error?.Kind} {r.Error?.Message}"));
}
