using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Reporting;
using Faultline.Core.Running;
using Faultline.Probes.Net;
using Faultline.TestSupport;
using Xunit.Abstractions;

namespace Faultline.Probes.Postgres.Tests;

/// <summary>
/// A <c>concurrency</c> target against a real PostgreSQL of the test's own with <c>max_connections = 20</c>
/// (17 slots for non-superusers): 50 probes at once, each holding its connection for half a second,
/// cannot all get a slot. The failures keep their layer: database, capacity (SQLSTATE 53300).
/// </summary>
[Trait(TestTiers.Name, TestTiers.Services)]
public sealed class ConcurrencyLoadTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int MaxConnections = 20;
    private const int Parallel = 50;

    private ScratchPostgres _server = null!;

    public async Task InitializeAsync() => _server = await ScratchPostgres.StartAsync(MaxConnections);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private TargetSpec Db => new()
    {
        Name = "db",
        Kind = TargetKinds.Postgres,
        ConnectionString = _server.ConnectionString,
        Query = "SELECT pg_sleep(0.5)",
        Timeout = TimeSpan.FromSeconds(30),
        Category = "database",
    };

    private async Task<TargetResult> RunAsync(TargetSpec load)
    {
        var runner = new CheckRunner([PostgresProbes.Create()], HostResolvers.For, TimeProvider.System);
        var report = await runner.RunAsync(new FaultlineConfig { Targets = [Db, load] }, new CheckOptions { Category = "load" });

        using var table = new StringWriter();
        ReportWriters.Create("table").Write(report, table);
        output.WriteLine(table.ToString());
        using var json = new StringWriter();
        ReportWriters.Create("json").Write(report, json);
        Assert.DoesNotContain(_server.Password, table.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(_server.Password, json.ToString(), StringComparison.Ordinal);
        return Assert.Single(report.Results);
    }

    [Fact]
    public async Task RunAsync_FiftyAtOnceAgainstMaxConnections20_FailsWithRateP95AndTheDatabaseCapacityLayer()
    {
        var result = await RunAsync(new TargetSpec { Name = "db-load", Kind = TargetKinds.Concurrency, Of = "db", Parallel = Parallel, Category = "load" });

        var load = result.Observation!.Load!;
        Assert.Equal(ResultStatus.Fail, result.Status);
        Assert.Equal(Parallel, load.Attempts);
        Assert.InRange(load.Successes, 1, Parallel - 1);
        Assert.InRange(load.SuccessRate, 0.01, 0.99);
        Assert.InRange(load.P95Ms!.Value, 500, 30_000);
        Assert.True(load.MaxMs >= load.P95Ms && load.P95Ms >= load.P50Ms);
        var capacity = load.FailureGroups[0];
        Assert.Equal((Layer.Database, Side.Infrastructure, "database-too-many-connections"), (capacity.Layer, capacity.Side, capacity.ErrorKind));
        Assert.Contains("53300", capacity.Example, StringComparison.Ordinal);
        Assert.Equal(Layer.Database, result.Layer);
        Assert.Equal(Side.Infrastructure, result.Side);
        var condition = Assert.Single(result.Conditions);
        Assert.Equal("[SUCCESS_RATE] == 1", condition.Expr);
        Assert.False(condition.Ok);
        Assert.Contains(result.Evidence, line => line.StartsWith($"{capacity.Count} of {Parallel} connects failed: database-too-many-connections (database, infrastructure)", StringComparison.Ordinal)
            && line.Contains("(53300: ", StringComparison.Ordinal));
        Assert.Contains("raise max_connections", result.Remedy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_WithinTheSlots_PassesWithRateOneAndP95OfTheHeldQuery()
    {
        var parallel = _server.AppSlots - 5;
        var result = await RunAsync(new TargetSpec
        {
            Name = "db-load",
            Kind = TargetKinds.Concurrency,
            Of = "db",
            Parallel = parallel,
            Category = "load",
            Conditions = ["[SUCCESS_RATE] == 1", "[FAILURES] == 0", "[P95] >= 500ms", "[MAX] < 30s"],
        });

        Assert.Equal(ResultStatus.Pass, result.Status);
        Assert.All(result.Conditions, c => Assert.True(c.Ok, $"{c.Expr}: {c.Actual}"));
        Assert.Equal(parallel, result.Observation!.Load!.Successes);
    }
}
