using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;

namespace Faultline.Core.Tests.Running;

/// <summary>The runner turns a probe's inside view into results of their own.</summary>
public class InsideResultsTests
{
    private sealed class InsideProbe(Observation observation) : IProbe
    {
        public string Kind => TargetKinds.Remote;

        public Task<Observation> ProbeAsync(TargetSpec target, ProbeContext context, CancellationToken cancellationToken) => Task.FromResult(observation);
    }

    private sealed class NoResolver : IHostResolver
    {
        public string Name => "none";

        public Task<IReadOnlyList<System.Net.IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    private static Task<Report> RunAsync(Observation observation, bool critical = true, Side? owner = null)
    {
        var runner = new CheckRunner([new InsideProbe(observation)], _ => new NoResolver(), TimeProvider.System);
        var api = new TargetSpec { Name = "api", Kind = TargetKinds.Remote, Url = "https://api.lab.test/health/infrastructure", Critical = critical, Category = "connectivity", Owner = owner };
        return runner.RunAsync(new FaultlineConfig { Targets = [api] });
    }

    private static ComponentObservation Component(string name, string status, bool critical = true, Layer? layer = null) => new()
    {
        Name = name,
        Status = status,
        Critical = critical,
        Layer = layer,
        Source = ComponentSources.Endpoint,
        Service = "api",
        ErrorKind = status == "healthy" ? null : "connect-timeout",
        Message = status == "healthy" ? null : $"{name} check failed with token s3cr3t-value-123",
        LatencyMs = 12.34,
    };

    [Fact]
    public async Task RunAsync_Components_BecomeInsideResultsAfterTheirTarget()
    {
        var observation = new Observation
        {
            Target = "https://api.lab.test/health/infrastructure",
            Connected = true,
            Components = [Component("database", "unhealthy", layer: Layer.Database), Component("cache", "degraded", critical: false), Component("queue", "healthy")],
        };

        var report = await RunAsync(observation);

        Assert.Equal(["api", "api/database", "api/cache", "api/queue"], report.Results.Select(r => r.Name));
        Assert.Equal([Vantage.Outside, Vantage.Inside, Vantage.Inside, Vantage.Inside], report.Results.Select(r => r.Vantage));
        Assert.Equal([ResultStatus.Pass, ResultStatus.Fail, ResultStatus.Warn, ResultStatus.Pass], report.Results.Select(r => r.Status));
        Assert.Equal(["api/database", "api/cache", "api/queue"], report.Results[0].DependsOn);
        var database = report.Results[1];
        Assert.Equal("connectivity", database.Category);
        Assert.Equal("remote", database.Kind);
        Assert.Equal("api (inside): database", database.Target);
        Assert.Equal(12.3, database.DurationMs);
        Assert.Equal(new ResultError("connect-timeout", "database check failed with token s3cr3t-value-123"), database.Error);
        Assert.False(report.Results[2].Critical);
        Assert.Equal(new PrimaryFailure("api/database", Layer.Database, Side.Infrastructure), report.Summary.Primary);
        Assert.Equal(OverallStatus.Unhealthy, report.Status);

        using var table = new StringWriter();
        new Core.Reporting.TableReportWriter(color: false).Write(report, table);
        Assert.Contains("api/database (remote, seen from inside the service) — database (infrastructure)", table.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_OwnerOnTheRemoteTarget_DecidesTheSideOfItsConfigurationComponentsOnly()
    {
        var observation = new Observation
        {
            Target = "https://api.lab.test/health/infrastructure",
            Connected = true,
            Components =
            [
                Component("configuration", "unhealthy", layer: Layer.Configuration) with { ErrorKind = "secret-missing", Side = Side.Infrastructure },
                Component("database", "unhealthy", layer: Layer.Database) with { Side = Side.Infrastructure },
            ],
        };

        var withoutOwner = await RunAsync(observation);
        var withOwner = await RunAsync(observation, owner: Side.Application);

        Assert.Equal(Side.Infrastructure, withoutOwner.Results.Single(r => r.Name == "api/configuration").Side);
        var configuration = withOwner.Results.Single(r => r.Name == "api/configuration");
        Assert.Equal((Layer.Configuration, Side.Application), (configuration.Layer, configuration.Side));
        Assert.Contains(configuration.Evidence, e => e.StartsWith("owner: application", StringComparison.Ordinal));
        var database = withOwner.Results.Single(r => r.Name == "api/database");
        Assert.Equal((Layer.Database, Side.Infrastructure), (database.Layer, database.Side));
    }

    [Fact]
    public async Task RunAsync_ErrorKindNotOnTheClosedList_StaysInTheEvidenceOnly()
    {
        var observation = new Observation { Target = "x", Components = [Component("database", "unhealthy") with { ErrorKind = "pool-drained" }] };

        var report = await RunAsync(observation);

        var database = report.Results[1];
        Assert.Equal(ResultStatus.Fail, database.Status);
        Assert.Null(database.Error);
        Assert.Contains("error kind reported by api: pool-drained", database.Evidence);
    }

    [Fact]
    public async Task RunAsync_NonCriticalTarget_ItsComponentsAreNotCriticalEither()
    {
        var observation = new Observation { Target = "x", Components = [Component("database", "unhealthy")] };

        var report = await RunAsync(observation, critical: false);

        Assert.False(report.Results[1].Critical);
        Assert.Null(report.Summary.Primary);
        Assert.Equal(OverallStatus.Degraded, report.Status);
    }

    [Fact]
    public async Task RunAsync_KnownSecretInAComponentMessage_IsRedacted()
    {
        var observation = new Observation { Target = "x", Components = [Component("database", "unhealthy")] };
        var runner = new CheckRunner([new InsideProbe(observation)], _ => new NoResolver(), TimeProvider.System);

        var report = await runner.RunAsync(
            new FaultlineConfig { Targets = [new TargetSpec { Name = "api", Kind = TargetKinds.Remote, Url = "https://h/" }] },
            new CheckOptions { KnownSecrets = ["s3cr3t-value-123"] });

        var text = Core.Reporting.JsonReportWriter.Serialize(report);
        Assert.DoesNotContain("s3cr3t-value-123", text, StringComparison.Ordinal);
        Assert.Contains("token ***", report.Results[1].Error!.Message, StringComparison.Ordinal);
    }
}
