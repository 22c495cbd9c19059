using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Reporting;
using Faultline.Core.Running;

namespace Faultline.Core.Tests.LoadCheck;

/// <summary>The runner's concurrency kind: the <c>of</c> target's probe, <c>parallel</c> times at once, judged and aggregated.</summary>
public sealed class ConcurrencyRunTests
{
    private const string Secret = "pg-secret-4f1d9a";

    /// <summary>
    /// A postgres-kind probe that waits until <paramref name="parallel"/> calls are in flight together (or
    /// gives up after a while), then answers: the first <paramref name="slots"/> connect, the rest get 53300.
    /// </summary>
    private sealed class SlotProbe(int parallel, int slots) : IProbe
    {
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _arrived;
        private int _served;

        public string Kind => TargetKinds.Postgres;

        public string AttemptNoun => "connects";

        public int MaxTogether { get; private set; }

        public int Calls => _arrived;

        public async Task<Observation> ProbeAsync(TargetSpec target, ProbeContext context, CancellationToken cancellationToken)
        {
            context.Redactor.Add(Secret);
            var arrived = Interlocked.Increment(ref _arrived);
            lock (_all)
            {
                MaxTogether = Math.Max(MaxTogether, arrived);
            }

            if (arrived == parallel)
            {
                _all.TrySetResult();
            }

            await Task.WhenAny(_all.Task, Task.Delay(TimeSpan.FromSeconds(10), cancellationToken));
            var served = Interlocked.Increment(ref _served);
            if (served <= slots)
            {
                return new Observation { Target = "127.0.0.1:5433", Connected = true, Elapsed = TimeSpan.FromMilliseconds(100 + served) };
            }

            return new Observation
            {
                Target = "127.0.0.1:5433",
                Elapsed = TimeSpan.FromMilliseconds(5),
                Error = new ProbeError(ErrorKind.DatabaseTooManyConnections, $"PostgreSQL at 127.0.0.1:5433 has no connection slot left for user 'faultline' (53300: sorry, too many clients already) password={Secret}") { Code = "53300", Phase = "connect" },
            };
        }
    }

    private sealed class NoResolver : IHostResolver
    {
        public string Name => "none";

        public Task<IReadOnlyList<System.Net.IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    private static readonly TargetSpec Db = new()
    {
        Name = "db",
        Kind = TargetKinds.Postgres,
        ConnectionString = $"Host=127.0.0.1;Port=5433;Username=faultline;Password={Secret}",
        Timeout = TimeSpan.FromSeconds(30),
        Category = "database",
    };

    /// <summary>Runs the targets of category <c>load</c>; <see cref="Db"/> is in the config (for <c>of</c>) but runs only when asked.</summary>
    private static Task<Report> RunAsync(IProbe probe, params TargetSpec[] targets) =>
        new CheckRunner([probe], _ => new NoResolver(), TimeProvider.System)
            .RunAsync(new FaultlineConfig { Defaults = new DefaultsSpec { Concurrency = 2 }, Targets = [Db, .. targets] }, new CheckOptions { Category = "load" });

    [Fact]
    public async Task RunAsync_Concurrency50AgainstTwentySlots_FailsWithRateP95AndTheDatabaseCapacityLayer()
    {
        var probe = new SlotProbe(parallel: 50, slots: 20);
        var load = new TargetSpec { Name = "db-load", Kind = TargetKinds.Concurrency, Of = "db", Parallel = 50, Category = "load" };

        var report = await RunAsync(probe, load);

        var result = Assert.Single(report.Results);
        Assert.Equal(50, probe.MaxTogether);
        Assert.Equal(ResultStatus.Fail, result.Status);
        Assert.Equal(Layer.Database, result.Layer);
        Assert.Equal(Side.Infrastructure, result.Side);
        Assert.Equal(new ConditionResult("[SUCCESS_RATE] == 1", false, "0.4"), Assert.Single(result.Conditions));
        var observed = result.Observation!.Load!;
        Assert.Equal((50, 20, 0.4), (observed.Attempts, observed.Successes, observed.SuccessRate));
        Assert.Equal(119, observed.P95Ms);
        Assert.Equal(120, observed.MaxMs);
        Assert.StartsWith("30 of 50 connects failed: database-too-many-connections (database, infrastructure) — PostgreSQL at 127.0.0.1:5433 has no connection slot left", result.Evidence[1], StringComparison.Ordinal);
        Assert.Contains("raise max_connections", result.Remedy, StringComparison.Ordinal);
        Assert.Equal("50 × db (127.0.0.1:5433)", result.Target);

        using var json = new StringWriter();
        ReportWriters.Create("json").Write(report, json);
        Assert.DoesNotContain(Secret, json.ToString(), StringComparison.Ordinal);
        Assert.Contains("\"p95Ms\": 119", json.ToString(), StringComparison.Ordinal);
        Assert.Contains("\"errorKind\": \"database-too-many-connections\"", json.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_ConditionOnTheRateMet_Passes()
    {
        var probe = new SlotProbe(parallel: 10, slots: 9);
        var load = new TargetSpec { Name = "db-load", Kind = TargetKinds.Concurrency, Of = "db", Parallel = 10, Category = "load", Conditions = ["[SUCCESS_RATE] >= 0.9", "[FAILURES] <= 1", "[P95] < 5s"] };

        var report = await RunAsync(probe, load);

        var result = Assert.Single(report.Results);
        Assert.Equal(ResultStatus.Pass, result.Status);
        Assert.All(result.Conditions, c => Assert.True(c.Ok));
        Assert.Equal(10, probe.Calls);
    }

    [Fact]
    public async Task RunAsync_OfTargetAlsoListed_BothRunAndTheOfTargetIsJudgedByItsOwnConditions()
    {
        var probe = new SlotProbe(parallel: 5, slots: 100);
        var load = new TargetSpec { Name = "db-load", Kind = TargetKinds.Concurrency, Of = "db", Parallel = 4 };

        var runner = new CheckRunner([probe], _ => new NoResolver(), TimeProvider.System);

        var report = await runner.RunAsync(new FaultlineConfig { Targets = [Db, load] });

        Assert.Equal(["db", "db-load"], report.Results.Select(r => r.Name));
        Assert.All(report.Results, r => Assert.Equal(ResultStatus.Pass, r.Status));
        Assert.Equal(5, probe.Calls);
    }

    [Theory]
    [InlineData("nope", "of: 'nope' names no target of this config")]
    [InlineData("other-load", "of: 'other-load' is a concurrency target")]
    public async Task RunAsync_OfNotAProbeTarget_FailsAsConfiguration(string of, string message)
    {
        var probe = new SlotProbe(parallel: 1, slots: 1);
        var load = new TargetSpec { Name = "db-load", Kind = TargetKinds.Concurrency, Of = of, Category = "load" };
        var other = new TargetSpec { Name = "other-load", Kind = TargetKinds.Concurrency, Of = "db-load", Critical = false, Category = "load" };

        var report = await RunAsync(probe, load, other);

        var result = report.Results[0];
        Assert.Equal(ResultStatus.Fail, result.Status);
        Assert.Equal("config-invalid", result.Error!.Kind);
        Assert.StartsWith(message, result.Error.Message, StringComparison.Ordinal);
        Assert.Equal(0, probe.Calls);
    }

    [Fact]
    public void EffectiveConditions_ConcurrencyWithoutConditions_EverySuccessRequired()
    {
        Assert.Equal([LoadChecks.DefaultCondition], ProbeCatalog.Empty.EffectiveConditions(new TargetSpec { Name = "x", Kind = TargetKinds.Concurrency }));
        Assert.Equal("[SUCCESS_RATE] == 1", LoadChecks.DefaultCondition);
    }

    [Fact]
    public void EffectiveConditions_KindWithoutADefault_NoneAndTheTargetsOwnWin()
    {
        var catalog = ProbeCatalog.Empty.With(new SlotProbe(parallel: 1, slots: 1));

        Assert.Empty(catalog.EffectiveConditions(Db));
        Assert.Equal(["[CONNECTED] == true"], catalog.EffectiveConditions(Db with { Conditions = ["[CONNECTED] == true"] }));
        Assert.Equal(["[CONNECTED] == true"], catalog.EffectiveConditions(new TargetSpec { Name = "x", Kind = TargetKinds.Concurrency, Conditions = ["[CONNECTED] == true"] }));
    }

    [Fact]
    public void TimeoutOf_StartupWithoutTimeout_DeadlinePlusTheStopAllowance()
    {
        var startup = new TargetSpec { Name = "s", Kind = TargetKinds.Startup, Deadline = TimeSpan.FromSeconds(60) };

        Assert.Equal(TimeSpan.FromSeconds(75), LoadChecks.StartupTimeout(startup));
        Assert.Equal(TimeSpan.FromSeconds(60), LoadChecks.ReadyDeadline(startup, TimeSpan.FromSeconds(75)));
        Assert.Equal(TimeSpan.FromSeconds(20), LoadChecks.ReadyDeadline(startup with { Deadline = null }, TimeSpan.FromSeconds(35)));
        Assert.Equal(DefaultsSpec.DefaultTimeout, ProbeCatalog.Empty.With(new SlotProbe(parallel: 1, slots: 1)).TimeoutOf(Db with { Timeout = null }, new DefaultsSpec()));
    }
}
