using CsCheck;
using Faultline.Core.Model;

namespace Faultline.Core.Tests.LoadCheck;

/// <summary>Aggregation of load attempts: counts, rate, nearest-rank percentiles, failure groups.</summary>
public sealed class LoadObservationTests
{
    private static LoadAttempt Ok(double ms) => new() { Succeeded = true, Latency = TimeSpan.FromMilliseconds(ms) };

    private static LoadAttempt Failed(Layer layer, Side side, string? kind, string message) => new()
    {
        Succeeded = false,
        Latency = TimeSpan.FromMilliseconds(3),
        Layer = layer,
        Side = side,
        ErrorKind = kind,
        Message = message,
        Remedy = "remedy of " + message,
    };

    [Fact]
    public void From_TwentySuccessesFiveFailures_CountsRateAndNearestRankPercentiles()
    {
        var attempts = Enumerable.Range(1, 20).Select(i => Ok(i * 10))
            .Concat(Enumerable.Range(0, 5).Select(i => Failed(Layer.Database, Side.Infrastructure, "database-too-many-connections", $"no slot {i}")))
            .ToList();

        var load = LoadObservation.From("postgres", "connects", attempts);

        Assert.Equal(25, load.Attempts);
        Assert.Equal(20, load.Successes);
        Assert.Equal(5, load.Failures);
        Assert.Equal(0.8, load.SuccessRate, 10);
        Assert.Equal(100, load.P50Ms);
        Assert.Equal(190, load.P95Ms);
        Assert.Equal(200, load.MaxMs);
    }

    [Fact]
    public void From_Failures_GroupedByLayerSideAndKindMostFrequentFirstWithTheFirstMessage()
    {
        LoadAttempt[] attempts =
        [
            Failed(Layer.Network, Side.Infrastructure, "connect-timeout", "timed out a"),
            Failed(Layer.Database, Side.Infrastructure, "database-too-many-connections", "too many 1"),
            Failed(Layer.Database, Side.Infrastructure, "database-too-many-connections", "too many 2"),
            Failed(Layer.Application, Side.Application, null, "[STATUS] < 400 (actual: 503)"),
            Failed(Layer.Database, Side.Infrastructure, "database-too-many-connections", "too many 3"),
            Ok(5),
        ];

        var load = LoadObservation.From("postgres", "connects", attempts);

        Assert.Equal(
            [
                new LoadFailureGroup(Layer.Database, Side.Infrastructure, "database-too-many-connections", 3, "too many 1") { Remedy = "remedy of too many 1" },
                new LoadFailureGroup(Layer.Network, Side.Infrastructure, "connect-timeout", 1, "timed out a") { Remedy = "remedy of timed out a" },
                new LoadFailureGroup(Layer.Application, Side.Application, LoadAttempt.ConditionFailed, 1, "[STATUS] < 400 (actual: 503)") { Remedy = "remedy of [STATUS] < 400 (actual: 503)" },
            ],
            load.FailureGroups);
        Assert.Equal(5, load.FailureGroups.Sum(g => g.Count));
    }

    [Fact]
    public void From_NoSuccess_RateZeroAndNoPercentiles()
    {
        var load = LoadObservation.From("http", "requests", [Failed(Layer.Application, Side.Application, "read-timeout", "slow")]);

        Assert.Equal(0, load.SuccessRate);
        Assert.Null(load.P50Ms);
        Assert.Null(load.P95Ms);
        Assert.Null(load.MaxMs);
    }

    [Fact]
    public void From_NoAttempts_RateZeroNotDividedByZero()
    {
        var load = LoadObservation.From("http", "requests", []);

        Assert.Equal(0, load.Attempts);
        Assert.Equal(0, load.SuccessRate);
        Assert.Empty(load.FailureGroups);
    }

    [Fact]
    public void From_AnyAttempts_RateWithinZeroAndOneAndGroupsCountEveryFailureOnce()
    {
        Gen.Bool.Select(Gen.Int[0, 3], Gen.Double[0, 5000]).List[0, 80].Sample(items =>
        {
            var attempts = items.Select(x => x.Item1
                ? Ok(x.Item3)
                : Failed((Layer)x.Item2, Side.Infrastructure, "kind-" + x.Item2, "m")).ToList();

            var load = LoadObservation.From("tcp", "connects", attempts);

            Assert.InRange(load.SuccessRate, 0, 1);
            Assert.Equal(attempts.Count, load.Successes + load.FailureGroups.Sum(g => g.Count));
            if (load.P95Ms is { } p95)
            {
                Assert.True(load.P50Ms <= p95 && p95 <= load.MaxMs);
            }
        });
    }

    [Fact]
    public void Percentile_AnySortedValues_IsAValueWithAtLeastTheQuantileAtOrBelowIt()
    {
        Gen.Double[0, 1e6].List[1, 100].Select(Gen.Double[0.01, 1]).Sample((values, quantile) =>
        {
            var sorted = values.Select(v => Math.Round(v, 1)).Order().ToList();

            var p = LoadObservation.Percentile(sorted, quantile)!.Value;

            Assert.Contains(p, sorted);
            Assert.True(sorted.Count(v => v <= p) >= quantile * sorted.Count - 1e-9);
            Assert.True(sorted.Count(v => v < p) < quantile * sorted.Count);
        });
    }
}
