using Faultline.Core.Conditions;
using Faultline.Core.Model;

namespace Faultline.Core.Tests.LoadCheck;

/// <summary>[SUCCESS_RATE], [P95], [MAX] and [FAILURES] read a load check's aggregate.</summary>
public sealed class LoadPlaceholderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 3, 0, 0, TimeSpan.Zero);

    private static Observation Load(int successes, int failures, double p95Ms = 420, double maxMs = 980)
    {
        var attempts = Enumerable.Range(0, successes).Select(_ => new LoadAttempt { Succeeded = true, Latency = TimeSpan.FromMilliseconds(10) })
            .Concat(Enumerable.Range(0, failures).Select(_ => new LoadAttempt { Layer = Layer.Database, Side = Side.Infrastructure, ErrorKind = "database-too-many-connections" }))
            .ToList();
        var load = LoadObservation.From("postgres", "connects", attempts);
        return new Observation
        {
            Target = "50 × db",
            Load = successes == 0 ? load : load with { P50Ms = 10, P95Ms = p95Ms, MaxMs = maxMs },
        };
    }

    private static ConditionResult Evaluate(string condition, Observation observation) =>
        ConditionEvaluator.Evaluate(ConditionParser.Parse(condition), observation, Now);

    [Theory]
    [InlineData("[SUCCESS_RATE] >= 0.95", 48, 2, true, "0.96")]
    [InlineData("[SUCCESS_RATE] >= 0.95", 31, 19, false, "0.62")]
    [InlineData("[SUCCESS_RATE] == 1", 50, 0, true, "1")]
    [InlineData("[SUCCESS_RATE] == 1", 49, 1, false, "0.98")]
    [InlineData("[FAILURES] == 0", 31, 19, false, "19")]
    [InlineData("[FAILURES] <= 20", 31, 19, true, "19")]
    public void Evaluate_RateAndFailures_ComparedAsNumbers(string condition, int successes, int failures, bool ok, string actual)
    {
        var result = Evaluate(condition, Load(successes, failures));

        Assert.Equal(ok, result.Ok);
        Assert.Equal(actual, result.Actual);
    }

    [Theory]
    [InlineData("[P95] < 500ms", true, "420ms")]
    [InlineData("[P95] < 400ms", false, "420ms")]
    [InlineData("[MAX] < 1s", true, "980ms")]
    [InlineData("[MAX] <= 900ms", false, "980ms")]
    public void Evaluate_LatencyPlaceholders_ComparedAsDurations(string condition, bool ok, string actual)
    {
        var result = Evaluate(condition, Load(40, 10));

        Assert.Equal(ok, result.Ok);
        Assert.Equal(actual, result.Actual);
    }

    [Fact]
    public void Evaluate_P95WhenNothingSucceeded_FailsSayingSo()
    {
        var result = Evaluate("[P95] < 10s", Load(0, 5));

        Assert.False(result.Ok);
        Assert.Equal("(no attempt succeeded)", result.Actual);
    }

    [Theory]
    [InlineData("[SUCCESS_RATE] == 1")]
    [InlineData("[P95] < 1s")]
    [InlineData("[MAX] < 1s")]
    [InlineData("[FAILURES] == 0")]
    public void Evaluate_OnAnObservationThatIsNotALoadCheck_FailsSayingSo(string condition)
    {
        var result = Evaluate(condition, new Observation { Target = "https://api.test/", Connected = true });

        Assert.False(result.Ok);
        Assert.Equal("(not a load check)", result.Actual);
    }

    [Theory]
    [InlineData("[P95] < 500", "has no unit")]
    [InlineData("[SUCCESS_RATE] >= 95%", "SUCCESS_RATE")]
    [InlineData("[FAILURES] < 2s", "cannot be compared with a duration")]
    public void Parse_WrongLiteralForLoadPlaceholder_IsASyntaxError(string condition, string expected)
    {
        var error = Assert.Throws<ConditionSyntaxException>(() => ConditionParser.Parse(condition));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
