using System.Text.Json;
using System.Xml.Linq;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Validation;
using static Faultline.Core.Tests.Validation.ValidationSamples;

namespace Faultline.Core.Tests.Validation;

public sealed class ValidationWriterTests
{
    private static readonly ValidationSpec Spec = new()
    {
        MinPassRate = 0.8,
        Categories =
        [
            new CategorySpec { Name = "connectivity", MinPassRate = 1.0 },
            new CategorySpec { Name = "database" },
            new CategorySpec { Name = "agents", Critical = false },
        ],
    };

    private static ValidationResult Sample()
    {
        Report Run(bool dbUp) => Report(Pass("dns", "connectivity"), Warn("lb", "connectivity"), dbUp ? Pass("db", "database") : Fail("db", "database"));
        var baseline = new Baseline(new Dictionary<string, TargetOutcome> { ["db"] = TargetOutcome.Failing, ["dns"] = TargetOutcome.Passing });
        return Validator.Evaluate([Run(false), Run(true), Run(false)], Spec, baseline, "/tmp/before.json");
    }

    private static string Write(string format, ValidationResult v)
    {
        using var text = new StringWriter();
        ValidationWriters.Create(format).Write(v, text);
        return text.ToString();
    }

    [Fact]
    public void Json_Validation_ExtendsTheLastRunsReport()
    {
        using var doc = JsonDocument.Parse(Write("json", Sample()));
        var root = doc.RootElement;

        Assert.Equal(1, root.GetProperty("schemaVersion").GetInt32());
        Assert.Equal("unhealthy", root.GetProperty("status").GetString());
        Assert.Equal(3, root.GetProperty("results").GetArrayLength());

        var v = root.GetProperty("validation");
        Assert.Equal(3, v.GetProperty("runs").GetInt32());
        Assert.Equal(7, v.GetProperty("passed").GetInt32());
        Assert.Equal(9, v.GetProperty("total").GetInt32());
        Assert.Equal(0.8, v.GetProperty("minPassRate").GetDouble());
        Assert.Equal("fail", v.GetProperty("verdict").GetString());
        Assert.Equal("requires-attention", v.GetProperty("signoff").GetProperty("status").GetString());
        Assert.Contains(v.GetProperty("signoff").GetProperty("reasons").EnumerateArray(), r => r.GetString()!.StartsWith("database: 1 of 3 checks passed", StringComparison.Ordinal));

        var agents = v.GetProperty("categories").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "agents");
        Assert.Equal(0, agents.GetProperty("total").GetInt32());
        Assert.Equal(JsonValueKind.Null, agents.GetProperty("passRate").ValueKind);
        Assert.Equal("no targets", agents.GetProperty("note").GetString());

        var db = v.GetProperty("targets").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "db");
        Assert.Equal("database", db.GetProperty("category").GetString());
        Assert.Equal("flaky", db.GetProperty("outcome").GetString());
        Assert.Equal("flaky", db.GetProperty("baseline").GetString());
        var run1 = db.GetProperty("runs")[0];
        Assert.Equal(1, run1.GetProperty("run").GetInt32());
        Assert.Equal("fail", run1.GetProperty("status").GetString());
        Assert.Equal("database", run1.GetProperty("layer").GetString());
        Assert.Equal("infrastructure", run1.GetProperty("side").GetString());
        Assert.Equal("connect-timeout", run1.GetProperty("errorKind").GetString());
        Assert.Equal("connect timed out after 3 s", run1.GetProperty("evidence").GetString());
        Assert.Equal(JsonValueKind.Null, db.GetProperty("runs")[1].GetProperty("layer").ValueKind);
        var lb = v.GetProperty("targets").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "lb");
        Assert.Equal("new", lb.GetProperty("baseline").GetString());
    }

    [Fact]
    public void JUnit_Validation_OneSuitePerCategoryAndOneFailurePerFailingRun()
    {
        var xml = XDocument.Parse(Write("junit", Sample()));

        var suites = xml.Root!.Elements("testsuite").ToList();
        Assert.Equal(["connectivity", "database", "agents"], suites.Select(s => (string?)s.Attribute("name")));
        var database = suites[1];
        Assert.Equal("1", (string?)database.Attribute("tests"));
        Assert.Equal("1", (string?)database.Attribute("failures"));
        var failures = database.Element("testcase")!.Elements("failure").ToList();
        Assert.Equal(2, failures.Count);
        Assert.Equal("run 1 of 3: database (infrastructure): connect timed out after 3 s", (string?)failures[0].Attribute("message"));
        Assert.Equal("connect-timeout", (string?)failures[0].Attribute("type"));
        Assert.StartsWith("run 3 of 3", (string?)failures[1].Attribute("message"), StringComparison.Ordinal);
        Assert.Contains("outcome: flaky (1 of 3 runs passed); baseline: flaky", database.Element("testcase")!.Element("system-out")!.Value, StringComparison.Ordinal);
        Assert.Empty(suites[2].Elements("testcase"));
        Assert.Equal("no targets", suites[2].Descendants("property").Single(p => (string?)p.Attribute("name") == "note").Attribute("value")!.Value);
        Assert.Empty(suites[0].Descendants("failure"));
    }

    [Fact]
    public void Markdown_Validation_VerdictCategoriesTargetsAndReasons()
    {
        var md = Write("markdown", Sample());

        Assert.StartsWith("## Faultline validate: FAIL — requires attention — 3 runs, 7 of 9 checks passed (77.8%), needs 80%", md, StringComparison.Ordinal);
        Assert.Contains("| category | critical | passed | pass rate | needs | met |", md, StringComparison.Ordinal);
        Assert.Contains("| database | yes | 1/3 | 33.3% | 80% | **no** |", md, StringComparison.Ordinal);
        Assert.Contains("| agents | no | 0/0 | — | 80% | yes — no targets |", md, StringComparison.Ordinal);
        Assert.Contains("| db | database | **flaky** | flaky | fail, pass, fail | run 3: database (infrastructure), connect-timeout: connect timed out after 3 s |", md, StringComparison.Ordinal);
        Assert.Contains("### Sign-off: requires attention", md, StringComparison.Ordinal);
        Assert.Contains("- database: db — 2 of 3 runs failed — layer database (infrastructure), connect-timeout: connect timed out after 3 s", md, StringComparison.Ordinal);
        Assert.Contains("baseline `before.json`", md, StringComparison.Ordinal);
    }

    [Fact]
    public void Markdown_EvidenceWithMarkup_IsEscaped()
    {
        var v = Validator.Evaluate([Report(Fail("api", message: "<html>|*boom*|</html>"))]);

        var md = Write("markdown", v);

        Assert.Contains("&lt;html&gt;\\|\\*boom\\*\\|&lt;/html&gt;", md, StringComparison.Ordinal);
        Assert.DoesNotContain("<html>", md, StringComparison.Ordinal);
    }

    [Fact]
    public void Table_Validation_EndsWithTheVerdictLine()
    {
        var table = Write("table", Sample());
        var lines = table.TrimEnd().Split('\n');

        Assert.Equal("VALIDATION FAIL — requires attention — 3 runs, 7 of 9 checks passed (77.8%), needs 80%", lines[^1]);
        Assert.Contains(lines, l => l.StartsWith("FLAKY", StringComparison.Ordinal) && l.Contains("FPF", StringComparison.Ordinal) && l.Contains("flaky", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("NOT MET  database", StringComparison.Ordinal));
        Assert.Contains("Needs attention:", table, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", table, StringComparison.Ordinal);
        Assert.All(lines, l => Assert.True(l.Length <= 100 || l.StartsWith("  - ", StringComparison.Ordinal) || l.StartsWith("VALIDATION", StringComparison.Ordinal), l));
    }

    [Fact]
    public void Create_UnknownFormat_Throws()
    {
        Assert.Throws<ArgumentException>(() => ValidationWriters.Create("xml"));
    }
}
