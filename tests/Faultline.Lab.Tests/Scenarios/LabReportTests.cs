using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Reporting;
using Faultline.Core.Running;
using Faultline.Lab.Scenarios;
using Faultline.Probes;
using Faultline.Probes.Net;

namespace Faultline.Lab.Tests.Scenarios;

public sealed class LabReportTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 26, 0, 0, 0, TimeSpan.Zero);

    private static TargetResult Result(string name, ResultStatus status, Layer? layer = null, Side? side = null, bool critical = true, params string[] dependsOn) => new()
    {
        Name = name,
        Kind = "http",
        Target = name,
        Status = status,
        Layer = layer,
        Side = side,
        Critical = critical,
        DependsOn = dependsOn,
    };

    private static Report ReportOf(params TargetResult[] results) => ReportBuilder.Build("lab", Start, TimeSpan.FromSeconds(1), results);

    private static Scenario ScenarioOf(string name, ScenarioExpectation expect) =>
        ScenarioLoader.LoadText($"name: {name}\nfaults: [{{ stop: redis }}]\nexpect: {{ status: unhealthy }}\n", "s.yaml") with { Expect = expect };

    [Fact]
    public void VerdictOf_UnhealthyReport_IsTheRootCauseRulesPrimary()
    {
        var report = ReportOf(
            Result("api", ResultStatus.Fail, Layer.Proxy, Side.Infrastructure, true, "api/postgres"),
            Result("api/postgres", ResultStatus.Fail, Layer.Database, Side.Infrastructure));

        Assert.Equal(new ScenarioVerdict(OverallStatus.Unhealthy, "api/postgres", Layer.Database, Side.Infrastructure), ScenarioJudge.VerdictOf(report));
    }

    [Fact]
    public void VerdictOf_DegradedReport_NamesTheLeadingDegradation()
    {
        var report = ReportOf(
            Result("api", ResultStatus.Pass, dependsOn: "api/redis"),
            Result("api/redis", ResultStatus.Fail, Layer.Cache, Side.Infrastructure, critical: false));

        Assert.Null(report.Summary.Primary);
        Assert.Equal(new ScenarioVerdict(OverallStatus.Degraded, "api/redis", Layer.Cache, Side.Infrastructure), ScenarioJudge.VerdictOf(report));
    }

    [Fact]
    public void VerdictOf_HealthyReport_HasNoTarget()
    {
        Assert.Equal(new ScenarioVerdict(OverallStatus.Healthy, null, null, null), ScenarioJudge.VerdictOf(ReportOf(Result("api", ResultStatus.Pass))));
    }

    [Theory]
    [InlineData("healthy", null, null, null, true)]
    [InlineData("unhealthy", null, null, null, false)]
    [InlineData(null, "api/postgres", null, null, false)]
    [InlineData(null, null, "database", null, false)]
    [InlineData(null, null, null, "application", false)]
    public void Matches_AgainstHealthyVerdict(string? status, string? target, string? layer, string? side, bool expected)
    {
        var expect = new ScenarioExpectation
        {
            Status = status is null ? null : Enum.Parse<OverallStatus>(status, true),
            Target = target,
            Layer = layer is null ? null : Enum.Parse<Layer>(layer, true),
            Side = side is null ? null : Enum.Parse<Side>(side, true),
        };

        Assert.Equal(expected, ScenarioJudge.Matches(expect, new ScenarioVerdict(OverallStatus.Healthy, null, null, null)));
    }

    [Theory]
    [InlineData(null, "api/postgres", "database", "infrastructure", true)]
    [InlineData(null, null, "database", "infrastructure", true)]
    [InlineData("unhealthy", null, null, "infrastructure", true)]
    [InlineData("degraded", null, "database", null, false)]
    [InlineData(null, "api/redis", "database", "infrastructure", false)]
    [InlineData(null, null, "cache", null, false)]
    [InlineData(null, null, "database", "application", false)]
    public void Matches_AgainstUnhealthyVerdict_EveryGivenFieldMustMatch(string? status, string? target, string? layer, string? side, bool expected)
    {
        var expect = new ScenarioExpectation
        {
            Status = status is null ? null : Enum.Parse<OverallStatus>(status, true),
            Target = target,
            Layer = layer is null ? null : Enum.Parse<Layer>(layer, true),
            Side = side is null ? null : Enum.Parse<Side>(side, true),
        };
        var got = new ScenarioVerdict(OverallStatus.Unhealthy, "api/postgres", Layer.Database, Side.Infrastructure);

        Assert.Equal(expected, ScenarioJudge.Matches(expect, got));
    }

    [Fact]
    public void Matches_NoVerdict_IsAMiss()
    {
        Assert.False(ScenarioJudge.Matches(new ScenarioExpectation { Status = OverallStatus.Healthy }, null));
    }

    private static LabRunReport SampleRun() => new()
    {
        Scenarios =
        [
            new ScenarioOutcome
            {
                Scenario = ScenarioOf("healthy-baseline", new ScenarioExpectation { Status = OverallStatus.Healthy }),
                Got = new ScenarioVerdict(OverallStatus.Healthy, null, null, null),
                Pass = true,
                Settled = true,
                VerdictMs = 1234.5,
            },
            new ScenarioOutcome
            {
                Scenario = ScenarioOf("db-path-blackhole", new ScenarioExpectation { Target = "api/postgres", Layer = Layer.Database, Side = Side.Infrastructure }),
                Got = new ScenarioVerdict(OverallStatus.Unhealthy, "api/postgres", Layer.Database, Side.Infrastructure),
                Pass = true,
                Settled = true,
                VerdictMs = 6100,
            },
            new ScenarioOutcome
            {
                Scenario = ScenarioOf("lb-cert-expired", new ScenarioExpectation { Target = "lb-tls", Layer = Layer.Tls, Side = Side.Infrastructure }),
                Got = new ScenarioVerdict(OverallStatus.Unhealthy, "api", Layer.Proxy, Side.Infrastructure),
                Pass = false,
                Settled = true,
                VerdictMs = 3000,
            },
            new ScenarioOutcome
            {
                Scenario = ScenarioOf("app-bug-login-500", new ScenarioExpectation { Target = "golden-path", Layer = Layer.Application, Side = Side.Application }),
                Error = "app bug login-500 (s.yaml:2:10): the lab cannot switch on the application bug",
                VerdictMs = 2,
            },
        ],
    };

    [Fact]
    public void Confusion_CountsExpectedAgainstGotInRootCauseOrder()
    {
        var matrix = SampleRun().Confusion();

        Assert.Equal(["tls", "database", "application", "healthy"], matrix.Rows);
        Assert.Equal(["proxy", "database", "healthy", "error"], matrix.Columns);
        Assert.Equal(1, matrix["database", "database"]);
        Assert.Equal(1, matrix["tls", "proxy"]);
        Assert.Equal(1, matrix["healthy", "healthy"]);
        Assert.Equal(1, matrix["application", "error"]);
        Assert.Equal(0, matrix["tls", "tls"]);
    }

    [Fact]
    public void Accuracy_IsTheShareOfPasses()
    {
        var run = SampleRun();

        Assert.Equal(0.5, run.Accuracy);
        Assert.False(run.AllPassed);
        Assert.Equal(1, LabRunner.ExitCode(run));
        Assert.Equal(0, LabRunner.ExitCode(new LabRunReport { Scenarios = [run.Scenarios[0]] }));
    }

    [Fact]
    public void WriteJson_HasTheDocumentedShape()
    {
        using var writer = new StringWriter();
        LabReportWriter.WriteJson(SampleRun(), writer);
        using var json = JsonDocument.Parse(writer.ToString());
        var root = json.RootElement;

        Assert.Equal(0.5, root.GetProperty("accuracy").GetDouble());
        var scenarios = root.GetProperty("scenarios");
        Assert.Equal(4, scenarios.GetArrayLength());
        var healthy = scenarios[0];
        Assert.Equal("healthy-baseline", healthy.GetProperty("name").GetString());
        Assert.Equal("healthy", healthy.GetProperty("expected").GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, healthy.GetProperty("expected").GetProperty("target").ValueKind);
        Assert.Equal("healthy", healthy.GetProperty("got").GetProperty("status").GetString());
        Assert.True(healthy.GetProperty("pass").GetBoolean());
        Assert.Equal(1234.5, healthy.GetProperty("verdictMs").GetDouble());
        Assert.False(healthy.TryGetProperty("error", out _));

        var miss = scenarios[2];
        Assert.Equal("lb-tls", miss.GetProperty("expected").GetProperty("target").GetString());
        Assert.Equal("tls", miss.GetProperty("expected").GetProperty("layer").GetString());
        Assert.Equal("infrastructure", miss.GetProperty("expected").GetProperty("side").GetString());
        Assert.Equal("unhealthy", miss.GetProperty("got").GetProperty("status").GetString());
        Assert.Equal("api", miss.GetProperty("got").GetProperty("target").GetString());
        Assert.Equal("proxy", miss.GetProperty("got").GetProperty("layer").GetString());
        Assert.False(miss.GetProperty("pass").GetBoolean());

        var error = scenarios[3];
        Assert.Equal(JsonValueKind.Null, error.GetProperty("got").ValueKind);
        Assert.StartsWith("app bug login-500", error.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void WriteTable_ListsEveryScenarioTheMissesTheMatrixAndTheAccuracy()
    {
        using var writer = new StringWriter();
        LabReportWriter.WriteTable(SampleRun(), writer);
        var text = writer.ToString();
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();

        Assert.StartsWith("scenario", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"^healthy-baseline\s+healthy\s+healthy\s+1\.2 s\s+pass$", lines[2]);
        Assert.Matches(@"^db-path-blackhole\s+api/postgres \(database, infrastructure\)\s+api/postgres \(database, infrastructure\)\s+6\.1 s\s+pass$", lines[3]);
        Assert.Matches(@"^lb-cert-expired\s+lb-tls \(tls, infrastructure\)\s+api \(proxy, infrastructure\)\s+3\.0 s\s+MISS$", lines[4]);
        Assert.Matches(@"^app-bug-login-500\s+golden-path \(application, application\)\s+\(no verdict\)\s+0\.0 s\s+MISS$", lines[5]);
        Assert.Contains("Misses (2):", lines);
        Assert.Contains("  lb-cert-expired: expected lb-tls (tls, infrastructure), got api (proxy, infrastructure)", lines);
        Assert.Contains("    error: app bug login-500 (s.yaml:2:10): the lab cannot switch on the application bug", lines);
        Assert.Contains("Confusion matrix (rows: expected, columns: got)", lines);
        Assert.Contains(lines, l => l.StartsWith("tls ", StringComparison.Ordinal) && l.Split(' ', StringSplitOptions.RemoveEmptyEntries).SequenceEqual(["tls", "1", ".", ".", "."]));
        Assert.Equal("Accuracy: 2/4 (50%)", lines[^3]);
        Assert.StartsWith("Result accuracy: ", lines[^2], StringComparison.Ordinal);
    }

    private static readonly ScenarioExpectation DatabaseExpected = new() { Target = "api/postgres", Layer = Layer.Database, Side = Side.Infrastructure };

    [Fact]
    public void Problems_OneRootWithConsequences_Passes()
    {
        var report = ReportOf(
            Result("api", ResultStatus.Pass, dependsOn: "api/postgres"),
            Result("api/postgres", ResultStatus.Fail, Layer.Database, Side.Infrastructure),
            Result("ready", ResultStatus.Fail, Layer.Application, Side.Application, true, "api"));

        Assert.Empty(ScenarioJudge.Problems(DatabaseExpected, report));
        Assert.Equal((Layer.Database, Side.Infrastructure), ScenarioJudge.EffectiveCause(report.Results[2]));
    }

    [Fact]
    public void Problems_AFailingResultNotLinkedToTheRoot_IsAMismatchEvenWhenThePrimaryMatches()
    {
        // The primary is right, but "ready" is its own root on the application side: the report reads mixed.
        var report = ReportOf(
            Result("api/postgres", ResultStatus.Fail, Layer.Database, Side.Infrastructure),
            Result("ready", ResultStatus.Fail, Layer.Application, Side.Application));

        var problems = ScenarioJudge.Problems(DatabaseExpected, report);

        Assert.Contains("attribution: expected infrastructure, got mixed", problems);
        Assert.Contains("ready: effective cause (application, application), expected (database, infrastructure)", problems);
        Assert.DoesNotContain(problems, p => p.StartsWith("verdict:", StringComparison.Ordinal));
    }

    [Fact]
    public void Problems_HealthyExpectedWithAWarning_IsAMismatch()
    {
        var report = ReportOf(Result("api", ResultStatus.Pass), Result("cert", ResultStatus.Warn, Layer.Tls, Side.Infrastructure));

        var problems = ScenarioJudge.Problems(new ScenarioExpectation { Status = OverallStatus.Healthy }, report);

        Assert.Contains(problems, p => p.StartsWith("verdict: expected healthy, got degraded", StringComparison.Ordinal));
        Assert.Contains("a healthy stack has 0 failing and 1 warning results: cert", problems);
    }

    [Fact]
    public void Problems_Findings_MustMatchExactly()
    {
        var chat = Result("golden-path", ResultStatus.Fail, Layer.Application, Side.Application, true, "api") with
        {
            Error = new ResultError("read-timeout", "no agent_completed within 3 s"),
        };
        var report = ReportOf(
            Result("api", ResultStatus.Pass, dependsOn: "api/redis"),
            Result("api/redis", ResultStatus.Fail, Layer.Cache, Side.Infrastructure, critical: false) with { Vantage = Vantage.Inside },
            chat);
        var expected = new ScenarioExpectation { Status = OverallStatus.Unhealthy, Target = "api/redis", Layer = Layer.Cache, Side = Side.Infrastructure };

        Assert.Contains(ScenarioJudge.Problems(expected, report), p => p.StartsWith("finding not expected: golden-path waits on optional dependency redis", StringComparison.Ordinal));
        Assert.Empty(ScenarioJudge.Problems(expected with { Findings = [new ExpectedFinding("golden-path", "api/redis")] }, report));
        Assert.Contains("finding missing: ready waits on api/redis",
            ScenarioJudge.Problems(expected with { Findings = [new ExpectedFinding("golden-path", "api/redis"), new ExpectedFinding("ready", "api/redis")] }, report));
    }

    [Fact]
    public void ResultAccuracyAndStability_CountEveryRunAndEveryFailingResult()
    {
        var good = ReportOf(
            Result("api", ResultStatus.Pass, dependsOn: "api/postgres"),
            Result("api/postgres", ResultStatus.Fail, Layer.Database, Side.Infrastructure),
            Result("ready", ResultStatus.Fail, Layer.Application, Side.Application, true, "api"));
        var bad = ReportOf(
            Result("api/postgres", ResultStatus.Fail, Layer.Database, Side.Infrastructure),
            Result("ready", ResultStatus.Fail, Layer.Application, Side.Application));
        var scenario = ScenarioOf("db-path-saturated", DatabaseExpected);
        var run = new LabRunReport
        {
            Repeat = 2,
            Scenarios =
            [
                new ScenarioOutcome { Scenario = scenario, Report = good, Pass = true, Run = 1, VerdictMs = 100, BaselineMs = 10 },
                new ScenarioOutcome { Scenario = scenario, Report = bad, Pass = false, Run = 2, VerdictMs = 300, BaselineMs = 30 },
            ],
        };

        Assert.Equal(0.75, run.ResultAccuracy);
        var stability = Assert.Single(run.Stability());
        Assert.Equal(new ScenarioStability("db-path-saturated", 1, 2, 200, 20), stability);
        Assert.False(stability.Stable);

        using var writer = new StringWriter();
        LabReportWriter.WriteJson(run, writer);
        using var json = JsonDocument.Parse(writer.ToString());
        Assert.Equal(0.75, json.RootElement.GetProperty("resultAccuracy").GetDouble());
        Assert.Equal(2, json.RootElement.GetProperty("repeat").GetInt32());
        Assert.False(json.RootElement.GetProperty("stability")[0].GetProperty("stable").GetBoolean());
        var first = json.RootElement.GetProperty("scenarios")[0];
        Assert.Equal("infrastructure", first.GetProperty("attribution").GetString());
        Assert.Equal("api/postgres", first.GetProperty("roots")[0].GetProperty("target").GetString());
        Assert.Equal("api/postgres", first.GetProperty("results")[2].GetProperty("cause").GetString());
    }

    [Fact]
    public void Write_UnknownFormat_Throws()
    {
        Assert.Throws<ArgumentException>(() => LabReportWriter.Write(SampleRun(), "junit", TextWriter.Null));
    }

    /// <summary>
    /// A scenario whose expectation is wrong (here: a refused TCP connection expected to be a database
    /// failure) is reported as a miss with the check's evidence, never hidden: a real probe against a
    /// real closed port, judged and written as <c>faultline lab run</c> writes it.
    /// </summary>
    [Fact]
    public async Task WriteTable_DeliberatelyWrongExpect_IsReportedAsAMissWithTheEvidence()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var config = ConfigLoader.LoadText($"targets:\n  - {{ name: lb-tcp, kind: tcp, host: 127.0.0.1, port: {port}, timeout: 2s }}\n", "check.yaml", Path.GetTempPath());
        var check = await new CheckRunner(BuiltInProbes.Create(), HostResolvers.For, TimeProvider.System).RunAsync(config);
        var scenario = ScenarioLoader.LoadText(
            "name: wrong-expect\nfaults:\n  - { stop: nginx }\nexpect: { target: lb-tcp, layer: database, side: infrastructure }\n",
            "wrong-expect.yaml");
        var got = ScenarioJudge.VerdictOf(check);
        var run = new LabRunReport
        {
            Scenarios = [new ScenarioOutcome { Scenario = scenario, Got = got, Pass = ScenarioJudge.Matches(scenario.Expect, got), Settled = true, Checks = 2, VerdictMs = 40, Report = check }],
        };
        using var writer = new StringWriter();
        LabReportWriter.WriteTable(run, writer);
        var output = writer.ToString();

        Assert.Equal(new ScenarioVerdict(OverallStatus.Unhealthy, "lb-tcp", Layer.Network, Side.Infrastructure), got);
        Assert.False(run.Scenarios[0].Pass);
        Assert.Equal(1, LabRunner.ExitCode(run));
        Assert.Contains("MISS", output, StringComparison.Ordinal);
        Assert.Contains("  wrong-expect: expected lb-tcp (database, infrastructure), got lb-tcp (network, infrastructure)", output, StringComparison.Ordinal);
        Assert.Contains("    faults: stop nginx", output, StringComparison.Ordinal);
        Assert.Contains("    lb-tcp: connection-refused: ", output, StringComparison.Ordinal);
        Assert.Contains("Accuracy: 0/1 (0%)", output, StringComparison.Ordinal);
    }
}
