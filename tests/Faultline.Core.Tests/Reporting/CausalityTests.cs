using CsCheck;
using Faultline.Core.Model;
using Faultline.Core.Reporting;
using static Faultline.Core.Tests.Reporting.ReportBuilderTests;

namespace Faultline.Core.Tests.Reporting;

/// <summary>The causal rules of docs/attribution.md ("Causal links"), one test per rule, and the single-root property.</summary>
public sealed class CausalityTests
{
    private static readonly DateTimeOffset Started = new(2026, 12, 3, 9, 0, 0, TimeSpan.Zero);
    private const string Origin = "https://api.lab.test:58443";

    private static Report Build(params TargetResult[] results) => ReportBuilder.Build("lab", Started, TimeSpan.FromSeconds(1), results);

    /// <summary>A <c>remote</c> target (the outside view of the service) that passes and depends on its inside components.</summary>
    private static TargetResult Remote(string name, params string[] components) => Pass(name, "remote") with
    {
        Target = Origin + "/health/infrastructure",
        DependsOn = [.. components],
    };

    /// <summary>One component of a service's inside view, failing.</summary>
    private static TargetResult Inside(string name, Layer layer, bool critical, string errorKind = "timeout") => Fail(name, layer, critical: critical) with
    {
        Kind = "remote",
        Target = Origin + "/health/infrastructure",
        Vantage = Vantage.Inside,
        Error = new ResultError(errorKind, name + " is unhealthy as seen from inside GoldenPath"),
    };

    private static TargetResult Http(string name, string path, int status, string body = "", string? errorKind = null) => Fail(name, Layer.Application, Side.Application) with
    {
        Kind = "http",
        Target = Origin + path,
        Error = errorKind is null ? null : new ResultError(errorKind, $"HTTP {status}"),
        Observation = new Observation
        {
            Target = Origin + path,
            Connected = true,
            Http = new HttpObservation { StatusCode = status, Body = body },
        },
    };

    private static TargetResult Chat(string errorKind, string url = "wss://api.lab.test:58443/ws") => Fail("golden-path", Layer.Application, Side.Application) with
    {
        Kind = "websocket",
        Target = url,
        Error = new ResultError(errorKind, "the chat stopped"),
    };

    [Fact]
    public void Analyze_ExplicitDependsOn_TransitiveThroughPassingTargets_LinksToTheRoot()
    {
        var report = Build(
            Fail("db", Layer.Database),
            Pass("pool") with { DependsOn = ["db"] },
            Fail("api", Layer.Application, Side.Application, dependsOn: ["pool"]),
            Fail("web", Layer.Proxy, dependsOn: ["api"]));

        var root = Assert.Single(report.Summary.Roots);
        Assert.Equal("db", root.Target);
        Assert.Equal(["api", "web"], root.Consequences);
        Assert.Null(report.Results[0].Cause);
        Assert.Equal(new CauseRef("db", Layer.Database, Side.Infrastructure), report.Results[2].Cause);
        Assert.Equal(new CauseRef("db", Layer.Database, Side.Infrastructure), report.Results[3].Cause);
        Assert.Equal(Attribution.Infrastructure, report.Summary.Attribution);
        Assert.Equal(new Dictionary<Layer, int> { [Layer.Database] = 1 }, report.Summary.ByLayer);
        Assert.Equal(3, report.Summary.Failed);
        Assert.Equal(3, report.Summary.CriticalFailures);
        Assert.Equal("db", report.Summary.Primary?.Target);
    }

    [Fact]
    public void Analyze_InsideView_SameOriginTargetsFollowTheServicesFailingComponent()
    {
        var report = Build(
            Remote("api", "api/postgres", "api/redis"),
            Inside("api/postgres", Layer.Database, critical: true),
            Pass("api/redis", "remote") with { Vantage = Vantage.Inside },
            Http("ready", "/health/ready", 503, "{\"status\":\"unhealthy\"}"),
            Chat("read-timeout"));

        Assert.Equal("api/postgres", Assert.Single(report.Summary.Roots).Target);
        Assert.Equal(["ready", "golden-path"], report.Summary.Roots[0].Consequences);
        Assert.Equal(Attribution.Infrastructure, report.Summary.Attribution);
        Assert.Equal("UNHEALTHY — 3 critical failures — root cause: database (infrastructure) at api/postgres; 2 consequences", ReportText.Verdict(report));
        Assert.Empty(report.Summary.Findings);
    }

    [Fact]
    public void Analyze_InsideView_DeclaredServiceLinksATargetOnAnotherOrigin()
    {
        var report = Build(
            Remote("api", "api/postgres"),
            Inside("api/postgres", Layer.Database, critical: true),
            Http("public", "/", 503) with { Target = "https://www.example.test/", Service = "api" });

        Assert.Equal("api/postgres", report.Results[2].Cause?.Target);
    }

    [Fact]
    public void Analyze_InsideView_AnotherOriginWithoutServiceIsNotLinked()
    {
        var report = Build(
            Remote("api", "api/postgres"),
            Inside("api/postgres", Layer.Database, critical: true),
            Http("other", "/", 503) with { Target = "https://other.lab.test:58443/" });

        Assert.Null(report.Results[2].Cause);
        Assert.Equal(2, report.Summary.Roots.Count);
        Assert.Equal(Attribution.Mixed, report.Summary.Attribution);
    }

    [Theory]
    [InlineData("read-timeout")]
    [InlineData("timeout")]
    public void Analyze_OptionalRoot_AStalledCriticalPathFollowsTheOptionalDependency(string errorKind)
    {
        var report = Build(
            Remote("api", "api/postgres", "api/redis"),
            Pass("api/postgres", "remote") with { Vantage = Vantage.Inside },
            Inside("api/redis", Layer.Cache, critical: false),
            Chat(errorKind));

        var root = Assert.Single(report.Summary.Roots);
        Assert.Equal("api/redis", root.Target);
        Assert.Equal(["golden-path"], root.Consequences);
        Assert.Equal(OverallStatus.Unhealthy, report.Status);
        Assert.Equal(new PrimaryFailure("api/redis", Layer.Cache, Side.Infrastructure), report.Summary.Primary);
        Assert.Equal(Attribution.Infrastructure, report.Summary.Attribution);
        var finding = Assert.Single(report.Summary.Findings);
        Assert.Equal(Finding.Kinds.OptionalDependencyBlocks, finding.Kind);
        Assert.Equal("golden-path", finding.Target);
        Assert.Equal("api/redis", finding.Dependency);
        Assert.Equal(Side.Application, finding.Side);
        Assert.StartsWith("golden-path waits on optional dependency redis: the service does not degrade when its cache fails", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_OptionalRoot_A504OrA5xxNamingTheDependencyIsLinked()
    {
        var gateway = Build(Remote("api", "api/redis"), Inside("api/redis", Layer.Cache, critical: false), Http("ready", "/health/ready", 504));
        var named = Build(Remote("api", "api/redis"), Inside("api/redis", Layer.Cache, critical: false),
            Http("ready", "/health/ready", 503, "{\"components\":{\"redis\":\"unhealthy\"}}"));

        Assert.Equal("api/redis", gateway.Results[2].Cause?.Target);
        Assert.Equal("api/redis", named.Results[2].Cause?.Target);
    }

    [Theory]
    [InlineData("event-out-of-order", 0, "")]
    [InlineData("unexpected-status", 404, "")]
    [InlineData("unexpected-status", 401, "redis")]
    [InlineData(null, 500, "NullReferenceException at ChatHub")]
    [InlineData("connection-closed", 0, "")]
    public void Analyze_OptionalRoot_ExplicitApplicationErrorsAreNotLinked(string? errorKind, int status, string body)
    {
        var app = status == 0 ? Chat(errorKind!) : Http("ready", "/health/ready", status, body, errorKind);
        var report = Build(Remote("api", "api/redis"), Inside("api/redis", Layer.Cache, critical: false), app);

        Assert.Null(report.Results[2].Cause);
        Assert.Equal(2, report.Summary.Roots.Count);
        Assert.Empty(report.Summary.Findings);
        Assert.Equal(app.Name, report.Summary.Primary?.Target);
        Assert.Equal(Attribution.Mixed, report.Summary.Attribution);
    }

    [Fact]
    public void Analyze_CriticalRootsArePreferredToOptionalOnes()
    {
        var report = Build(
            Remote("api", "api/postgres", "api/redis"),
            Inside("api/postgres", Layer.Database, critical: true),
            Inside("api/redis", Layer.Cache, critical: false),
            Chat("read-timeout"));

        Assert.Equal("api/postgres", report.Results[3].Cause?.Target);
        Assert.Empty(report.Summary.Findings);
        Assert.Equal(["api/postgres", "api/redis"], report.Summary.Roots.Select(r => r.Target));
    }

    [Fact]
    public void Analyze_AWarningIsNeverACause()
    {
        var report = Build(Warn("cert") with { Layer = Layer.Tls }, Fail("api", Layer.Application, Side.Application) with { DependsOn = ["cert"] });

        Assert.Null(report.Results[1].Cause);
        Assert.Equal(["api", "cert"], report.Summary.Roots.Select(r => r.Target).Order(StringComparer.Ordinal));
        Assert.Equal(Attribution.Application, report.Summary.Attribution);
    }

    [Fact]
    public void Analyze_Cycle_LeavesOneRootFirstInLayerOrder()
    {
        var report = Build(
            Fail("a", Layer.Application, Side.Application, dependsOn: ["b"]),
            Fail("b", Layer.Network, dependsOn: ["a"]));

        var root = Assert.Single(report.Summary.Roots);
        Assert.Equal("b", root.Target);
        Assert.Equal(["a"], root.Consequences);
    }

    [Fact]
    public void Writers_ShowTheConsequenceArrowAndTheRootInEveryFormat()
    {
        var report = Build(
            Remote("api", "api/postgres"),
            Inside("api/postgres", Layer.Database, critical: true),
            Http("ready", "/health/ready", 503));

        var table = Render("table", report);
        var markdown = Render("markdown", report);
        var junit = Render("junit", report);
        var json = Render("json", report);

        Assert.Matches(@"FAIL  ready\s+http\s+← api/postgres\s", table);
        Assert.Contains("FAIL ready (http) — consequence of api/postgres — database (infrastructure)\n    as seen here: application (application)", table.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.EndsWith("UNHEALTHY — 2 critical failures — root cause: database (infrastructure) at api/postgres; 1 consequence\n", table.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("    remedy: this follows from api/postgres: fix that first; if ready still fails afterwards:", table, StringComparison.Ordinal);
        Assert.Contains("| ready | http | **FAIL** | ← api/postgres |  |", markdown, StringComparison.Ordinal);
        Assert.Contains("#### ready (http) — consequence of api/postgres — database (infrastructure), failure", markdown, StringComparison.Ordinal);
        Assert.Contains("- as seen here: application (application)", markdown, StringComparison.Ordinal);
        Assert.Contains("message=\"consequence of api/postgres — database (infrastructure): ", junit, StringComparison.Ordinal);
        Assert.Contains("name=\"verdict\" value=\"UNHEALTHY — 2 critical failures — root cause: database (infrastructure) at api/postgres; 1 consequence\"", junit, StringComparison.Ordinal);
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var ready = doc.RootElement.GetProperty("results")[2];
        Assert.Equal("api/postgres", ready.GetProperty("cause").GetProperty("target").GetString());
        Assert.Equal("application", ready.GetProperty("layer").GetString());
        var root = doc.RootElement.GetProperty("summary").GetProperty("roots")[0];
        Assert.Equal("api/postgres", root.GetProperty("target").GetString());
        Assert.Equal("ready", root.GetProperty("consequences")[0].GetString());
    }

    private static string Render(string format, Report report)
    {
        using var output = new StringWriter();
        ReportWriters.Create(format, color: false).Write(report, output);
        return output.ToString();
    }

    private static readonly Layer[] Layers = [Layer.Dns, Layer.Network, Layer.Tls, Layer.Proxy, Layer.Application, Layer.Database, Layer.Cache, Layer.Configuration, Layer.Unknown];

    /// <summary>
    /// Any report whose failing and warning results all follow from one root — through dependsOn chains of
    /// any shape, passing links in between, critical or not, any layers and sides — reads that root's side.
    /// </summary>
    [Fact]
    public void Build_ExactlyOneRoot_AttributionIsThatRootsSide()
    {
        var genRoot = Gen.Select(Gen.Int[0, Layers.Length - 1], Gen.Bool).Select((layer, app) => (Layer: Layers[layer], Side: app ? Side.Application : Side.Infrastructure));

        // Each later result: passes (0), or fails (critical) with a random layer and side; it depends on one earlier result.
        var genOthers = Gen.Select(Gen.Int[0, 1], Gen.Int[0, Layers.Length - 1], Gen.Bool, Gen.Int[0, 1000]).Array[0, 12];

        Gen.Select(genRoot, genOthers, Gen.Bool).Sample((root, others, rootCritical) =>
        {
            var results = new List<TargetResult> { Fail("r0", root.Layer, root.Side, critical: rootCritical) };
            for (var i = 0; i < others.Length; i++)
            {
                var (fails, layer, app, pick) = others[i];
                var parent = results[pick % results.Count].Name;
                var name = "r" + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);

                // A result that depends on a non-critical root is linked only when the dependency can block it: a deadline.
                results.Add(fails == 1
                    ? Fail(name, Layers[layer], app ? Side.Application : Side.Infrastructure, dependsOn: [parent]) with { Error = new ResultError("timeout", "no answer") }
                    : Pass(name) with { DependsOn = [parent] });
            }

            var report = Build([.. results]);

            var single = Assert.Single(report.Summary.Roots);
            Assert.Equal("r0", single.Target);
            Assert.Equal(root.Side == Side.Infrastructure ? Attribution.Infrastructure : Attribution.Application, report.Summary.Attribution);
            Assert.All(report.Results.Skip(1).Where(r => r.Status == ResultStatus.Fail), r => Assert.Equal("r0", r.Cause?.Target));
            Assert.DoesNotContain(Attribution.Mixed.Wire(), ReportText.Verdict(report), StringComparison.Ordinal);
        });
    }
}
