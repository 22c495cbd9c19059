using Faultline.Core.Reporting;
using Faultline.Core.Validation;
using static Faultline.Core.Tests.Validation.ValidationSamples;

namespace Faultline.Core.Tests.Validation;

public sealed class BaselineTests
{
    [Fact]
    public void Parse_CheckReport_ReadsEachResultStatus()
    {
        var json = JsonReportWriter.Serialize(Report(Pass("dns"), Warn("lb"), Fail("db"), Fail("api/postgres")));

        var baseline = Baseline.Parse(json, "check.json");

        Assert.Equal(TargetOutcome.Passing, baseline.Targets["dns"]);
        Assert.Equal(TargetOutcome.Passing, baseline.Targets["lb"]);
        Assert.Equal(TargetOutcome.Failing, baseline.Targets["db"]);
        Assert.Equal(TargetOutcome.Failing, baseline.Targets["api/postgres"]);
    }

    [Fact]
    public void Parse_ValidateReport_ReadsOutcomesNotTheLastRun()
    {
        var v = Validator.Evaluate([Report(Fail("db")), Report(Pass("db"))]);
        using var text = new StringWriter();
        ValidationWriters.Create("json").Write(v, text);

        var baseline = Baseline.Parse(text.ToString(), "validate.json");

        Assert.Equal(TargetOutcome.Flaky, baseline.Targets["db"]);
    }

    [Theory]
    [InlineData("not json at all", "not JSON")]
    [InlineData("[1, 2]", "not a Faultline report")]
    [InlineData("{\"name\": \"package\", \"version\": \"1.0.0\"}", "not a Faultline report")]
    [InlineData("{\"schemaVersion\": 1, \"results\": [{\"name\": \"a\"}]}", "no 'status' string")]
    [InlineData("{\"schemaVersion\": 1, \"results\": [{\"name\": \"a\", \"status\": \"maybe\"}]}", "unknown status 'maybe'")]
    [InlineData("{\"schemaVersion\": 9, \"results\": []}", "unsupported report schemaVersion 9")]
    [InlineData("{\"schemaVersion\": 1, \"results\": [], \"validation\": {}}", "validation.targets[] is missing")]
    public void Parse_NotAFaultlineReport_ThrowsNamingTheFileAndTheProblem(string json, string expected)
    {
        var ex = Assert.Throws<BaselineException>(() => Baseline.Parse(json, "/tmp/x.json"));

        Assert.StartsWith("/tmp/x.json: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
