using CsCheck;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Validation;
using static Faultline.Core.Tests.Validation.ValidationSamples;

namespace Faultline.Core.Tests.Validation;

/// <summary>The counting rules, over random runs: random targets (some absent from some runs, some repeated), statuses, categories and minimums.</summary>
public sealed class ValidationPropertyTests
{
    private static readonly string[] CategoryNames = ["connectivity", "startup", "database", "golden-path", "agents", "extra"];

    /// <summary>One run: up to 8 results over 6 target names (names may repeat within a run), each in one of the categories.</summary>
    private static readonly Gen<TargetResult[]> GenRun =
        Gen.Select(Gen.Int[0, 5], Gen.Int[0, 2], Gen.Bool)
            .Select((target, status, critical) =>
            {
                var name = "t" + target.ToString(System.Globalization.CultureInfo.InvariantCulture);

                // A target keeps its category across runs, as it does in a config.
                var cat = CategoryNames[target];
                return status switch
                {
                    0 => Pass(name, cat, critical),
                    1 => Warn(name, cat) with { Critical = critical },
                    _ => Fail(name, cat, critical),
                };
            })
            .Array[0, 8];

    private static readonly Gen<ValidationSpec> GenSpec =
        Gen.Select(
            Gen.Int[0, 10].Select(i => i / 10.0),
            Gen.Select(Gen.Int[0, CategoryNames.Length - 1], Gen.Bool, Gen.Int[-1, 10])
                .Select((i, critical, min) => new CategorySpec { Name = CategoryNames[i], Critical = critical, MinPassRate = min < 0 ? null : min / 10.0 })
                .Array[0, 5],
            (min, categories) => new ValidationSpec { MinPassRate = min, Categories = categories.DistinctBy(c => c.Name, StringComparer.Ordinal).ToList() });

    private static readonly Gen<(Report[] Runs, ValidationSpec Spec)> GenCase =
        Gen.Select(GenRun.Select(r => Report(r)).Array[1, 5], GenSpec);

    [Fact]
    public void Evaluate_AnyRuns_RatesWithinZeroAndOneAndPassedAtMostTotal()
    {
        GenCase.Sample((runs, spec) =>
        {
            var v = Validator.Evaluate(runs, spec);

            Assert.InRange(v.Passed, 0, v.Total);
            if (v.PassRate is { } rate)
            {
                Assert.InRange(rate, 0, 1);
            }

            foreach (var c in v.Categories)
            {
                Assert.InRange(c.Passed, 0, c.Total);
                Assert.Equal(c.Total == 0, c.PassRate is null);
                if (c.PassRate is { } r)
                {
                    Assert.InRange(r, 0, 1);
                }
            }
        }, iter: 5_000);
    }

    [Fact]
    public void Evaluate_AnyRuns_EachTargetRunCountsOnceAndCategoriesSumToOverall()
    {
        GenCase.Sample((runs, spec) =>
        {
            var v = Validator.Evaluate(runs, spec);

            // Each (target, run) once: the number of distinct names in each run, summed.
            var expected = runs.Sum(r => r.Results.Select(x => x.Name).Distinct(StringComparer.Ordinal).Count());
            Assert.Equal(expected, v.Total);
            Assert.Equal(v.Total, v.Categories.Sum(c => c.Total));
            Assert.Equal(v.Passed, v.Categories.Sum(c => c.Passed));
            Assert.Equal(v.Total, v.Targets.Sum(t => t.Runs.Count));
            Assert.All(v.Targets, t => Assert.InRange(t.Runs.Count, 1, runs.Length));
            Assert.All(v.Targets, t => Assert.Equal(t.Runs.Count, t.Runs.Select(r => r.Run).Distinct().Count()));
            Assert.Equal(v.Categories.Count, v.Categories.Select(c => c.Name).Distinct(StringComparer.Ordinal).Count());
        }, iter: 5_000);
    }

    [Fact]
    public void Evaluate_SameTargetInEveryRun_CountsRunsNeverRunsSquared()
    {
        Gen.Select(Gen.Int[1, 10], Gen.Int[0, 2]).Sample((n, status) =>
        {
            var result = status switch { 0 => Pass("db"), 1 => Warn("db"), _ => Fail("db") };
            var v = Validator.Evaluate(Enumerable.Range(0, n).Select(_ => Report(result)).ToList());

            Assert.Equal(n, v.Total);
            Assert.Equal(n, v.Categories.Single().Total);
        });
    }

    [Fact]
    public void Evaluate_AnyRuns_EmptyCategoriesHaveNoRateAndNeverThrow()
    {
        GenSpec.Sample(spec =>
        {
            var v = Validator.Evaluate([Report()], spec);

            Assert.Equal(0, v.Total);
            Assert.Null(v.PassRate);
            Assert.All(v.Categories, c =>
            {
                Assert.Equal(0, c.Total);
                Assert.Null(c.PassRate);
                Assert.Equal("no targets", c.Note);
                Assert.Equal(!c.Critical, c.Met);
            });
            Assert.Equal(ValidationVerdict.Fail, v.Verdict);
        });
    }

    [Fact]
    public void Evaluate_AnyRuns_VerdictFollowsTheRule()
    {
        GenCase.Sample((runs, spec) =>
        {
            var v = Validator.Evaluate(runs, spec);

            var overallMet = v.Total > 0 && (double)v.Passed / v.Total >= spec.MinPassRate - 1e-9;
            var criticalMet = v.Categories.Where(c => c.Critical).All(c =>
                c.Total == 0 ? false : (double)c.Passed / c.Total >= c.MinPassRate - 1e-9);
            var expected = overallMet && criticalMet ? ValidationVerdict.Pass : ValidationVerdict.Fail;
            Assert.Equal(expected, v.Verdict);
            Assert.Equal(v.Verdict == ValidationVerdict.Pass, v.Signoff.Status == SignoffStatus.Approved);
            Assert.Equal(v.Verdict == ValidationVerdict.Pass, v.Signoff.Reasons.Count == 0);
            foreach (var declared in spec.Categories)
            {
                var c = v.Categories.Single(x => x.Name == declared.Name);
                Assert.Equal(declared.MinPassRate ?? spec.MinPassRate, c.MinPassRate);
            }
        }, iter: 5_000);
    }

    [Fact]
    public void Evaluate_AnyRuns_FlakyIffMixed()
    {
        GenCase.Sample((runs, spec) =>
        {
            var v = Validator.Evaluate(runs, spec);

            foreach (var t in v.Targets)
            {
                var passes = t.Runs.Count(r => r.Status != ResultStatus.Fail);
                var fails = t.Runs.Count - passes;
                var expected = passes > 0 && fails > 0 ? TargetOutcome.Flaky : fails == 0 ? TargetOutcome.Passing : TargetOutcome.Failing;
                Assert.Equal(expected, t.Outcome);
            }
        }, iter: 5_000);
    }

    [Fact]
    public void Compare_FlakyNow_StaysFlakyWhateverTheBaseline()
    {
        Gen.Int[0, 3].Sample(i =>
        {
            TargetOutcome? before = i == 3 ? null : (TargetOutcome)i;
            var change = Baseline.Compare(before, TargetOutcome.Flaky);
            Assert.Equal(before is null ? BaselineChange.New : BaselineChange.Flaky, change);
        });
    }
}
