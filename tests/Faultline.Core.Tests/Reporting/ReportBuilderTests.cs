using Faultline.Core.Model;
using Faultline.Core.Reporting;

namespace Faultline.Core.Tests.Reporting;

public class ReportBuilderTests
{
    private static readonly DateTimeOffset Started = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    internal static TargetResult Pass(string name, string kind = "http") => new()
    {
        Name = name,
        Kind = kind,
        Target = name + ".lab.test:443",
        Status = ResultStatus.Pass,
        DurationMs = 12,
    };

    internal static TargetResult Fail(string name, Layer layer, Side side = Side.Infrastructure, bool critical = true, string[]? dependsOn = null) => new()
    {
        Name = name,
        Kind = "tcp",
        Target = name + ".lab.test:5432",
        Status = ResultStatus.Fail,
        Critical = critical,
        Layer = layer,
        Side = side,
        DurationMs = 5000,
        Error = new ResultError("connect-timeout", $"connect to {name}.lab.test:5432 timed out after 5 s"),
        Evidence = ["no answer to the connection attempt"],
        Remedy = "check the path",
        DependsOn = dependsOn ?? [],
    };

    internal static TargetResult Warn(string name) => Pass(name, "postgres") with
    {
        Status = ResultStatus.Warn,
        Layer = Layer.Database,
        Side = Side.Infrastructure,
        Evidence = ["connection headroom low"],
        Remedy = "shrink pools",
    };

    [Fact]
    public void PickPrimary_DependencyChain_PicksTheDeepestFailure()
    {
        var results = new[]
        {
            Fail("api", Layer.Application, Side.Application, dependsOn: ["db"]),
            Fail("db", Layer.Database, dependsOn: ["db-port"]),
            Fail("db-port", Layer.Network),
        };

        var primary = ReportBuilder.PickPrimary(results);

        Assert.Equal(new PrimaryFailure("db-port", Layer.Network, Side.Infrastructure), primary);
    }

    [Fact]
    public void PickPrimary_ChainThroughAPassingTarget_StillFollowsDependsOn()
    {
        var results = new[]
        {
            Fail("api", Layer.Network, dependsOn: ["gateway"]),
            Pass("gateway") with { DependsOn = ["db"] },
            Fail("db", Layer.Database),
        };

        Assert.Equal("db", ReportBuilder.PickPrimary(results)?.Target);
    }

    [Fact]
    public void PickPrimary_IndependentFailures_TieBrokenByLayerOrder()
    {
        var results = new[]
        {
            Fail("app", Layer.Application, Side.Application),
            Fail("cache", Layer.Cache),
            Fail("cert", Layer.Tls),
            Fail("db", Layer.Database),
        };

        Assert.Equal("cert", ReportBuilder.PickPrimary(results)?.Target);
    }

    [Fact]
    public void PickPrimary_SameLayer_FirstInResultsWins()
    {
        var results = new[] { Fail("b", Layer.Database), Fail("a", Layer.Database) };

        Assert.Equal("b", ReportBuilder.PickPrimary(results)?.Target);
    }

    [Fact]
    public void PickPrimary_NonCriticalFailures_AreIgnored()
    {
        var results = new[]
        {
            Fail("dns", Layer.Dns, critical: false),
            Fail("api", Layer.Application, Side.Application),
        };

        Assert.Equal("api", ReportBuilder.PickPrimary(results)?.Target);
    }

    [Fact]
    public void PickPrimary_OnlyNonCriticalFailures_IsNull()
    {
        Assert.Null(ReportBuilder.PickPrimary([Fail("dns", Layer.Dns, critical: false), Pass("api"), Warn("db")]));
    }

    [Fact]
    public void PickPrimary_Cycle_FallsBackToLayerOrder()
    {
        var results = new[]
        {
            Fail("a", Layer.Cache, dependsOn: ["b"]),
            Fail("b", Layer.Network, dependsOn: ["a"]),
        };

        Assert.Equal("b", ReportBuilder.PickPrimary(results)?.Target);
    }

    [Fact]
    public void PickPrimary_DependencyOnAnUnknownName_IsIgnored()
    {
        Assert.Equal("api", ReportBuilder.PickPrimary([Fail("api", Layer.Application, Side.Application, dependsOn: ["missing"])])?.Target);
    }

    [Fact]
    public void Build_CountsStatusAndAttribution()
    {
        var results = new[]
        {
            Pass("a"),
            Pass("b"),
            Warn("db-headroom"),
            Fail("cert", Layer.Tls),
            Fail("db", Layer.Database),
            Fail("app", Layer.Application, Side.Application, critical: false),
        };

        var report = ReportBuilder.Build("staging", Started, TimeSpan.FromMilliseconds(1234.56), results);

        Assert.Equal(OverallStatus.Unhealthy, report.Status);
        Assert.Equal("staging", report.Environment);
        Assert.Equal(1234.6, report.DurationMs);
        Assert.Equal(1, report.SchemaVersion);
        var s = report.Summary;
        Assert.Equal((6, 2, 3, 1, 2), (s.Total, s.Passed, s.Failed, s.Warnings, s.CriticalFailures));
        Assert.Equal(new Dictionary<Layer, int> { [Layer.Tls] = 1, [Layer.Database] = 1, [Layer.Application] = 1 }, s.ByLayer);
        Assert.Equal([Layer.Tls, Layer.Database, Layer.Application], s.ByLayer.Keys);
        Assert.Equal(Attribution.Mixed, s.Attribution);
        Assert.Equal("cert", s.Primary?.Target);
    }

    [Fact]
    public void Build_AllInfrastructureFailures_AttributionInfrastructure()
    {
        var report = ReportBuilder.Build(null, Started, TimeSpan.Zero, [Fail("a", Layer.Dns), Fail("b", Layer.Network)]);

        Assert.Equal(Attribution.Infrastructure, report.Summary.Attribution);
    }

    [Fact]
    public void Build_OnlyApplicationFailures_AttributionApplication()
    {
        var report = ReportBuilder.Build(null, Started, TimeSpan.Zero, [Fail("a", Layer.Application, Side.Application)]);

        Assert.Equal(Attribution.Application, report.Summary.Attribution);
    }

    [Fact]
    public void Build_NonCriticalFailure_IsDegraded()
    {
        var report = ReportBuilder.Build(null, Started, TimeSpan.Zero, [Pass("a"), Fail("b", Layer.Cache, critical: false)]);

        Assert.Equal(OverallStatus.Degraded, report.Status);
        Assert.Equal(0, report.Summary.CriticalFailures);
        Assert.Null(report.Summary.Primary);
    }

    [Fact]
    public void Build_WarningOnly_IsDegraded()
    {
        var report = ReportBuilder.Build(null, Started, TimeSpan.Zero, [Pass("a"), Warn("b")]);

        // A warning is a root of its own: it decides the attribution when nothing fails, but byLayer counts failures only.
        Assert.Equal(OverallStatus.Degraded, report.Status);
        Assert.Equal(Attribution.Infrastructure, report.Summary.Attribution);
        Assert.Equal("b", Assert.Single(report.Summary.Roots).Target);
        Assert.Empty(report.Summary.ByLayer);
    }

    [Fact]
    public void Build_AllPass_IsHealthy()
    {
        var report = ReportBuilder.Build(null, Started, TimeSpan.Zero, [Pass("a"), Pass("b")]);

        Assert.Equal(OverallStatus.Healthy, report.Status);
        Assert.Equal(Attribution.None, report.Summary.Attribution);
        Assert.Null(report.Summary.Primary);
    }
}
