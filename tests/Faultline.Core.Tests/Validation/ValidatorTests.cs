using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Validation;
using static Faultline.Core.Tests.Validation.ValidationSamples;

namespace Faultline.Core.Tests.Validation;

public sealed class ValidatorTests
{
    private static readonly ValidationSpec Spec = new()
    {
        MinPassRate = 0.8,
        Categories =
        [
            new CategorySpec { Name = "connectivity", Critical = true, MinPassRate = 1.0 },
            new CategorySpec { Name = "database", Critical = true },
            new CategorySpec { Name = "startup", Critical = true },
            new CategorySpec { Name = "agents", Critical = false },
        ],
    };

    [Fact]
    public void Evaluate_TargetCheckedInThreeRuns_CountsThreeNotNine()
    {
        var runs = Enumerable.Range(0, 3).Select(_ => Report(Pass("db", "database"))).ToList();

        var v = Validator.Evaluate(runs, new ValidationSpec { Categories = [new CategorySpec { Name = "database" }] });

        var database = v.Categories.Single();
        Assert.Equal(3, database.Total);
        Assert.Equal(3, database.Passed);
        Assert.Equal(1.0, database.PassRate);
        Assert.Equal(3, v.Total);
        Assert.Equal(3, v.Targets.Single().Runs.Count);
    }

    [Fact]
    public void Evaluate_SameNameTwiceInOneRun_CountsOnce()
    {
        var v = Validator.Evaluate([Report(Pass("db"), Fail("db"))]);

        Assert.Equal(1, v.Total);
        Assert.Equal(1, v.Passed);
        Assert.Equal(ResultStatus.Pass, v.Targets.Single().Runs.Single().Status);
    }

    [Fact]
    public void Evaluate_AConsequenceStillCountsAsFailed_AndItsReasonNamesTheRoot()
    {
        var chat = Fail("chat", "connectivity", layer: Layer.Application, kind: "read-timeout", message: "no answer within 5 s") with
        {
            Side = Side.Application,
            DependsOn = ["db"],
        };
        var v = Validator.Evaluate([Report(Fail("db", "database"), chat)], Spec);

        var connectivity = v.Categories.Single(c => c.Name == "connectivity");
        Assert.Equal(0, connectivity.Passed);
        Assert.False(connectivity.Met);
        Assert.Equal(SignoffStatus.RequiresAttention, v.Signoff.Status);
        Assert.Equal("db", v.Targets.Single(t => t.Name == "chat").Runs.Single().Cause?.Target);
        Assert.Contains("connectivity: chat — 1 of 1 run failed — layer database (infrastructure) as a consequence of db, read-timeout: no answer within 5 s", v.Signoff.Reasons);
    }

    [Fact]
    public void Evaluate_MixedRuns_TargetIsFlakyWithEachRunsLayerAndEvidence()
    {
        var v = Validator.Evaluate([Report(Pass("db", "database")), Report(Fail("db", "database")), Report(Pass("db", "database"))], Spec);

        var db = v.Targets.Single();
        Assert.Equal(TargetOutcome.Flaky, db.Outcome);
        Assert.Equal([1, 2, 3], db.Runs.Select(r => r.Run));
        var failed = db.Runs[1];
        Assert.Equal(ResultStatus.Fail, failed.Status);
        Assert.Equal(Layer.Database, failed.Layer);
        Assert.Equal(Side.Infrastructure, failed.Side);
        Assert.Equal("connect-timeout", failed.ErrorKind);
        Assert.Equal("connect timed out after 3 s", failed.Evidence);
        Assert.Null(db.Runs[0].Layer);
        Assert.Null(db.Runs[0].Evidence);
    }

    [Fact]
    public void Evaluate_WarnEveryRun_CountsAsPassAndTargetIsPassing()
    {
        var v = Validator.Evaluate([Report(Warn("lb", "connectivity")), Report(Warn("lb", "connectivity"))], Spec);

        Assert.Equal(TargetOutcome.Passing, v.Targets.Single().Outcome);
        Assert.Equal(2, v.Categories.Single(c => c.Name == "connectivity").Passed);
    }

    [Fact]
    public void Evaluate_CriticalCategoryBelowItsMinimum_FailsWithReasonsInWords()
    {
        Report Run(bool dbUp) => Report(Pass("dns", "connectivity"), Pass("lb", "connectivity"), dbUp ? Pass("db", "database") : Fail("db", "database"), Pass("api", "startup"), Pass("chat", "agents"));
        var v = Validator.Evaluate([Run(false), Run(false), Run(true)], Spec);

        var database = v.Categories.Single(c => c.Name == "database");
        Assert.False(database.Met);
        Assert.Equal(1, database.Passed);
        Assert.Equal(3, database.Total);
        Assert.Equal(ValidationVerdict.Fail, v.Verdict);
        Assert.Equal(SignoffStatus.RequiresAttention, v.Signoff.Status);
        Assert.Contains("database: 1 of 3 checks passed (33.3%), needs 80%", v.Signoff.Reasons);
        Assert.Contains("database: db — 2 of 3 runs failed — layer database (infrastructure), connect-timeout: connect timed out after 3 s", v.Signoff.Reasons);

        // 13 of 15 overall (86.7%) is above 80%: only the critical category fails the verdict.
        Assert.Equal(13, v.Passed);
        Assert.Equal(15, v.Total);
        Assert.DoesNotContain(v.Signoff.Reasons, r => r.StartsWith("overall", StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_NonCriticalCategoryFailing_StillPassesWhenOverallRateIsMet()
    {
        Report Run() => Report(Pass("dns", "connectivity"), Pass("lb", "connectivity"), Pass("db", "database"), Pass("api", "startup"), Fail("chat", "agents", critical: false, layer: Layer.Application, kind: "unexpected-status", message: "HTTP 500"));
        var v = Validator.Evaluate([Run(), Run()], Spec);

        Assert.False(v.Categories.Single(c => c.Name == "agents").Met);
        Assert.Equal(ValidationVerdict.Pass, v.Verdict);
        Assert.Equal(SignoffStatus.Approved, v.Signoff.Status);
        Assert.Empty(v.Signoff.Reasons);
    }

    [Fact]
    public void Evaluate_OverallBelowMinimum_FailsNamingOverallAndTheFailingTargets()
    {
        var spec = new ValidationSpec { MinPassRate = 0.9, Categories = [new CategorySpec { Name = "agents", Critical = false }, new CategorySpec { Name = "connectivity" }] };
        Report Run() => Report(Pass("dns", "connectivity"), Fail("chat", "agents", critical: false, layer: Layer.Application, kind: "unexpected-status", message: "HTTP 500"));

        var v = Validator.Evaluate([Run(), Run()], spec);

        Assert.Equal(ValidationVerdict.Fail, v.Verdict);
        Assert.Equal("overall: 2 of 4 checks passed (50%), needs 90%", v.Signoff.Reasons[0]);
        Assert.Equal("agents: chat — 2 of 2 runs failed — layer application (infrastructure), unexpected-status: HTTP 500", v.Signoff.Reasons[1]);
    }

    [Fact]
    public void Evaluate_EmptyDeclaredCategory_ReportedWithTotalZeroAndNoRate()
    {
        var v = Validator.Evaluate([Report(Pass("dns", "connectivity"), Pass("db", "database"), Pass("api", "startup"))], Spec);

        var agents = v.Categories.Single(c => c.Name == "agents");
        Assert.Equal(0, agents.Total);
        Assert.Null(agents.PassRate);
        Assert.Equal("no targets", agents.Note);
        Assert.True(agents.Met);
        Assert.Equal(ValidationVerdict.Pass, v.Verdict);
    }

    [Fact]
    public void Evaluate_EmptyCriticalCategory_IsNotMetAndSaysSo()
    {
        var v = Validator.Evaluate([Report(Pass("dns", "connectivity"), Pass("db", "database"))], Spec);

        var startup = v.Categories.Single(c => c.Name == "startup");
        Assert.False(startup.Met);
        Assert.Equal(ValidationVerdict.Fail, v.Verdict);
        Assert.Contains("startup: no targets — a critical category with nothing checked cannot be signed off", v.Signoff.Reasons);
    }

    [Fact]
    public void Evaluate_NoCategoriesDeclared_GroupsByTargetCategoryWithOverallMinimum()
    {
        var v = Validator.Evaluate([Report(Pass("a", "web"), Fail("b", "web"), Pass("c", "db"), Pass("d", "extra", critical: false))]);

        Assert.Equal(["web", "db", "extra"], v.Categories.Select(c => c.Name));
        Assert.All(v.Categories, c => Assert.False(c.Declared));
        Assert.All(v.Categories, c => Assert.Equal(0.8, c.MinPassRate));
        Assert.True(v.Categories[0].Critical);
        Assert.False(v.Categories[2].Critical);
        Assert.All(v.Categories, c => Assert.Null(c.Note));
    }

    [Fact]
    public void Evaluate_InsideOutChildren_AreTargetsOfTheirParentsCategory()
    {
        var child = Fail("api/postgres", "startup") with { Vantage = Vantage.Inside };
        var v = Validator.Evaluate([Report(Pass("api", "startup"), child), Report(Pass("api", "startup"), child)], Spec);

        var target = v.Targets.Single(t => t.Name == "api/postgres");
        Assert.Equal(TargetOutcome.Failing, target.Outcome);
        Assert.Equal(4, v.Categories.Single(c => c.Name == "startup").Total);
    }

    [Fact]
    public void Evaluate_ExactlyAtMinimum_Meets()
    {
        var spec = new ValidationSpec { MinPassRate = 0.8 };
        var runs = new[] { true, true, true, true, false }.Select(up => Report(up ? Pass("db") : Fail("db"))).ToList();

        var v = Validator.Evaluate(runs, spec);

        Assert.Equal(0.8, v.PassRate);
        Assert.Equal(ValidationVerdict.Pass, v.Verdict);
    }

    [Fact]
    public void Evaluate_NoRuns_Throws()
    {
        Assert.Throws<ArgumentException>(() => Validator.Evaluate([]));
    }

    [Fact]
    public void Evaluate_MinPassRateAboveOne_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Validator.Evaluate([Report(Pass("a"))], new ValidationSpec { MinPassRate = 1.5 }));
    }

    [Fact]
    public void Evaluate_WithBaseline_LabelsEveryTarget()
    {
        var baseline = new Baseline(new Dictionary<string, TargetOutcome>
        {
            ["fixed"] = TargetOutcome.Failing,
            ["broken"] = TargetOutcome.Failing,
            ["regressed"] = TargetOutcome.Passing,
            ["same"] = TargetOutcome.Passing,
            ["flaky"] = TargetOutcome.Failing,
        });
        Report Run(bool odd) => Report(Pass("fixed"), Fail("broken"), Fail("regressed"), Pass("same"), odd ? Pass("flaky") : Fail("flaky"), Pass("added"));

        var v = Validator.Evaluate([Run(true), Run(false)], null, baseline, "/tmp/before.json");

        var labels = v.Targets.ToDictionary(t => t.Name, t => t.Baseline);
        Assert.Equal(BaselineChange.Fixed, labels["fixed"]);
        Assert.Equal(BaselineChange.StillBroken, labels["broken"]);
        Assert.Equal(BaselineChange.Regressed, labels["regressed"]);
        Assert.Equal(BaselineChange.Unchanged, labels["same"]);
        Assert.Equal(BaselineChange.Flaky, labels["flaky"]);
        Assert.Equal(BaselineChange.New, labels["added"]);
        Assert.Equal("/tmp/before.json", v.BaselineSource);
    }

    [Theory]
    [InlineData(null, TargetOutcome.Passing, BaselineChange.New)]
    [InlineData(null, TargetOutcome.Failing, BaselineChange.New)]
    [InlineData(null, TargetOutcome.Flaky, BaselineChange.New)]
    [InlineData(TargetOutcome.Passing, TargetOutcome.Passing, BaselineChange.Unchanged)]
    [InlineData(TargetOutcome.Passing, TargetOutcome.Failing, BaselineChange.Regressed)]
    [InlineData(TargetOutcome.Passing, TargetOutcome.Flaky, BaselineChange.Flaky)]
    [InlineData(TargetOutcome.Failing, TargetOutcome.Passing, BaselineChange.Fixed)]
    [InlineData(TargetOutcome.Failing, TargetOutcome.Failing, BaselineChange.StillBroken)]
    [InlineData(TargetOutcome.Failing, TargetOutcome.Flaky, BaselineChange.Flaky)]
    [InlineData(TargetOutcome.Flaky, TargetOutcome.Passing, BaselineChange.Fixed)]
    [InlineData(TargetOutcome.Flaky, TargetOutcome.Failing, BaselineChange.StillBroken)]
    [InlineData(TargetOutcome.Flaky, TargetOutcome.Flaky, BaselineChange.Flaky)]
    public void Compare_EveryPair_MatchesTheDocumentedTable(TargetOutcome? before, TargetOutcome now, BaselineChange expected)
    {
        Assert.Equal(expected, Baseline.Compare(before, now));
    }
}
