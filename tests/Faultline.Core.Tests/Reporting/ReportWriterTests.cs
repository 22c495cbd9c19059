using System.Text.Json;
using System.Xml.Linq;
using Faultline.Core.Model;
using Faultline.Core.Reporting;

namespace Faultline.Core.Tests.Reporting;

public class ReportWriterTests
{
    private static readonly DateTimeOffset Started = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private static Report Unhealthy()
    {
        var api = new TargetResult
        {
            Name = "api",
            Kind = "http",
            Target = "https://api.lab.test:8443/health",
            Category = "connectivity",
            Status = ResultStatus.Pass,
            DurationMs = 41.5,
            Phases = new PhaseTimings { DnsMs = 1.2, ConnectMs = 0.4, TlsMs = 6, FirstByteMs = 30 },
            Conditions = [new ConditionResult("[STATUS] == 200", true, "200")],
            Observation = new Observation
            {
                Target = "https://api.lab.test:8443/health",
                Connected = true,
                Http = new HttpObservation
                {
                    StatusCode = 200,
                    ReasonPhrase = "OK",
                    Body = "{\"status\":\"ok\",\"token\":\"do-not-print\"}",
                    Headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
                    {
                        ["Server"] = "Kestrel",
                        ["Set-Cookie"] = "session=abcdef",
                        ["Authorization"] = "Bearer xyz",
                    },
                },
            },
        };
        var db = new TargetResult
        {
            Name = "db",
            Kind = "postgres",
            Target = "db.lab.test:5432",
            Category = "database",
            Status = ResultStatus.Fail,
            Layer = Layer.Database,
            Side = Side.Infrastructure,
            DurationMs = 5003,
            Phases = new PhaseTimings { DnsMs = 0.8 },
            Error = new ResultError("connect-timeout", "connect timed out after 5 s"),
            Evidence = ["no answer to the connection attempt to db.lab.test:5432: a filtered or blackholed path to the database", "connect timed out after 5 s"],
            Remedy = "check the network path to the database",
            DependsOn = ["db-port"],
            Observation = new Observation { Target = "db.lab.test:5432", Error = new ProbeError(ErrorKind.ConnectTimeout, "connect timed out after 5 s") },
        };
        var cert = new TargetResult
        {
            Name = "api-cert",
            Kind = "tls",
            Target = "api.lab.test:8443",
            Category = "connectivity",
            Status = ResultStatus.Fail,
            Layer = Layer.Tls,
            Side = Side.Infrastructure,
            DurationMs = 20,
            Conditions = [new ConditionResult("[CERT_EXPIRES_IN] > 14d", false, "9d")],
            Evidence = ["certificate expires in 9 days, wanted > 14d", "leaf CN=api|lab, issued by CN=Lab CA"],
            Remedy = "renew the certificate before it expires",
        };
        var cache = new TargetResult
        {
            Name = "cache",
            Kind = "redis",
            Target = "cache.lab.test:6379",
            Category = "database",
            Critical = false,
            Status = ResultStatus.Warn,
            Layer = Layer.Cache,
            Side = Side.Infrastructure,
            DurationMs = 3,
            Evidence = ["used_memory 95% of maxmemory"],
            Remedy = "raise maxmemory",
            Observation = new Observation { Target = "cache.lab.test:6379", Connected = true, Warnings = ["used_memory 95% of maxmemory"] },
        };

        return ReportBuilder.Build("staging", Started, TimeSpan.FromMilliseconds(5010), [api, db, cert, cache]);
    }

    private static string Render(string format, Report report)
    {
        using var output = new StringWriter();
        ReportWriters.Create(format).Write(report, output);
        return output.ToString();
    }

    [Fact]
    public void Formats_AreTheFourDocumented()
    {
        Assert.Equal(["table", "json", "junit", "markdown"], ReportWriters.Formats);
        foreach (var format in ReportWriters.Formats)
        {
            Assert.Equal(format, ReportWriters.Create(format).Format);
        }
    }

    [Fact]
    public void Create_UnknownFormat_Throws()
    {
        Assert.Throws<ArgumentException>(() => ReportWriters.Create("yaml"));
    }

    [Fact]
    public void Json_FollowsTheContract()
    {
        var json = JsonReportWriter.Serialize(Unhealthy());
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;

        Assert.Equal(
            ["schemaVersion", "status", "environment", "startedAt", "durationMs", "summary", "results"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(1, root.GetProperty("schemaVersion").GetInt32());
        Assert.Equal("unhealthy", root.GetProperty("status").GetString());
        Assert.Equal("staging", root.GetProperty("environment").GetString());
        Assert.Equal(Started, root.GetProperty("startedAt").GetDateTimeOffset());
        Assert.Equal(5010, root.GetProperty("durationMs").GetDouble());

        var summary = root.GetProperty("summary");
        Assert.Equal(
            ["total", "passed", "failed", "warnings", "criticalFailures", "notStarted", "byLayer", "attribution", "primary", "roots", "findings"],
            summary.EnumerateObject().Select(p => p.Name));
        Assert.Equal(4, summary.GetProperty("total").GetInt32());
        Assert.Equal(2, summary.GetProperty("criticalFailures").GetInt32());
        Assert.Equal(["tls", "database"], summary.GetProperty("byLayer").EnumerateObject().Select(p => p.Name));
        Assert.Equal("infrastructure", summary.GetProperty("attribution").GetString());
        var primary = summary.GetProperty("primary");
        Assert.Equal("api-cert", primary.GetProperty("target").GetString());
        Assert.Equal("tls", primary.GetProperty("layer").GetString());
        Assert.Equal("infrastructure", primary.GetProperty("side").GetString());

        var results = root.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(4, results.Count);
        string[] fields = ["name", "kind", "target", "category", "critical", "vantage", "status", "layer", "side", "cause", "durationMs", "phases", "conditions", "error", "evidence", "remedy", "warnings", "details"];
        Assert.All(results, r => Assert.Equal(fields, r.EnumerateObject().Select(p => p.Name)));

        var api = results[0];
        Assert.Equal("pass", api.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, api.GetProperty("layer").ValueKind);
        Assert.Equal(JsonValueKind.Null, api.GetProperty("side").ValueKind);
        Assert.Equal(JsonValueKind.Null, api.GetProperty("error").ValueKind);
        Assert.Equal(JsonValueKind.Null, api.GetProperty("remedy").ValueKind);
        Assert.Equal(["dnsMs", "connectMs", "tlsMs", "firstByteMs"], api.GetProperty("phases").EnumerateObject().Select(p => p.Name));
        var condition = api.GetProperty("conditions")[0];
        Assert.Equal("[STATUS] == 200", condition.GetProperty("expr").GetString());
        Assert.True(condition.GetProperty("ok").GetBoolean());
        Assert.Equal("200", condition.GetProperty("actual").GetString());
        var http = api.GetProperty("details").GetProperty("http");
        Assert.Equal(200, http.GetProperty("status").GetInt32());
        Assert.Equal(["server"], http.GetProperty("headers").EnumerateObject().Select(p => p.Name));
        Assert.False(http.TryGetProperty("bodyExcerpt", out _));

        var db = results[1];
        Assert.Equal("fail", db.GetProperty("status").GetString());
        Assert.Equal("database", db.GetProperty("layer").GetString());
        Assert.Equal("infrastructure", db.GetProperty("side").GetString());
        Assert.Equal("connect-timeout", db.GetProperty("error").GetProperty("kind").GetString());
        Assert.Equal(["dnsMs"], db.GetProperty("phases").EnumerateObject().Select(p => p.Name));
        Assert.Equal(2, db.GetProperty("evidence").GetArrayLength());

        Assert.Equal(JsonValueKind.Null, results[2].GetProperty("details").ValueKind);
        Assert.Equal("warn", results[3].GetProperty("status").GetString());
        Assert.Equal("used_memory 95% of maxmemory", results[3].GetProperty("warnings")[0].GetString());

        Assert.DoesNotContain("do-not-print", json, StringComparison.Ordinal);
        Assert.DoesNotContain("session=abcdef", json, StringComparison.Ordinal);
        Assert.DoesNotContain("Bearer xyz", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_FailedHttpResult_HasABoundedBodyExcerpt()
    {
        var result = new TargetResult
        {
            Name = "api",
            Kind = "http",
            Target = "https://api.lab.test/",
            Status = ResultStatus.Fail,
            Layer = Layer.Application,
            Side = Side.Application,
            Observation = new Observation { Target = "https://api.lab.test/", Http = new HttpObservation { StatusCode = 500, Body = new string('x', 5000) } },
        };

        using var doc = JsonDocument.Parse(JsonReportWriter.Serialize(ReportBuilder.Build(null, Started, TimeSpan.Zero, [result])));

        var excerpt = doc.RootElement.GetProperty("results")[0].GetProperty("details").GetProperty("http").GetProperty("bodyExcerpt").GetString();
        Assert.Equal(JsonReportWriter.BodyExcerptLength, excerpt?.Length);
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("environment").ValueKind);
        Assert.Equal("api", doc.RootElement.GetProperty("summary").GetProperty("primary").GetProperty("target").GetString());
    }

    [Fact]
    public void Json_ProtocolDetails_AreWritten()
    {
        var observation = new Observation
        {
            Target = "x",
            Tls = new TlsObservation
            {
                ServerName = "api.lab.test",
                Protocol = "Tls13",
                Trusted = true,
                HostnameMatches = false,
                Leaf = new CertificateInfo { Subject = "CN=a", Issuer = "CN=b", SubjectAlternativeNames = ["a.lab.test"], NotAfter = Started.AddDays(9) },
            },
            Dns = new DnsObservation { Server = "127.0.0.1:5353", ResponseCode = "NOERROR", Answers = [new DnsAnswer("A", "127.0.0.1", 30)], AnswersDropped = 7 },
            Database = new DatabaseObservation { ServerVersion = "16.4", MaxConnections = 100, ConnectionsInUse = 7 },
            Cache = new CacheObservation { ServerVersion = "7.2.4", Role = "master", UsedMemoryBytes = 1024 },
            Secrets = new SecretObservation { Source = "env", Entries = [new SecretEntry { Name = "JWT_SECRET", Present = true, Fingerprint = "0a1b2c3d", Length = 40 }] },
        };
        var result = ReportBuilderTests.Pass("x") with { Observation = observation };

        using var doc = JsonDocument.Parse(JsonReportWriter.Serialize(ReportBuilder.Build(null, Started, TimeSpan.Zero, [result])));
        var details = doc.RootElement.GetProperty("results")[0].GetProperty("details");

        Assert.Equal("a.lab.test", details.GetProperty("tls").GetProperty("leaf").GetProperty("subjectAlternativeNames")[0].GetString());
        Assert.False(details.GetProperty("tls").GetProperty("hostnameMatches").GetBoolean());
        Assert.Equal("NOERROR", details.GetProperty("dns").GetProperty("rcode").GetString());
        Assert.Equal(7, details.GetProperty("dns").GetProperty("answersDropped").GetInt32());
        Assert.Equal(100, details.GetProperty("database").GetProperty("maxConnections").GetInt32());
        Assert.Equal(7, details.GetProperty("database").GetProperty("connectionsInUse").GetInt32());
        Assert.Equal("master", details.GetProperty("cache").GetProperty("role").GetString());
        Assert.Equal("0a1b2c3d", details.GetProperty("secrets").GetProperty("entries")[0].GetProperty("fingerprint").GetString());
    }

    [Fact]
    public void JUnit_IsValidXml_OneSuitePerCategory_OneCasePerTarget()
    {
        var xml = XDocument.Parse(Render("junit", Unhealthy()));

        var root = xml.Root!;
        Assert.Equal("testsuites", root.Name.LocalName);
        Assert.Equal("faultline", (string?)root.Attribute("name"));
        var suites = root.Elements("testsuite").ToList();
        Assert.Equal(["connectivity", "database"], suites.Select(s => (string?)s.Attribute("name")));
        Assert.Equal(["api", "api-cert"], suites[0].Elements("testcase").Select(c => (string?)c.Attribute("name")));
        Assert.Equal("1", (string?)suites[0].Attribute("failures"));

        var db = suites[1].Elements("testcase").Single(c => (string?)c.Attribute("name") == "db");
        Assert.Equal("database", (string?)db.Attribute("classname"));
        Assert.Equal("5.003", (string?)db.Attribute("time"));
        var failure = db.Element("failure")!;
        Assert.Equal("database (infrastructure): connect timed out after 5 s", (string?)failure.Attribute("message"));
        Assert.Contains("evidence: no answer to the connection attempt", failure.Value, StringComparison.Ordinal);
        Assert.Contains("remedy: check the network path to the database", failure.Value, StringComparison.Ordinal);

        var cache = suites[1].Elements("testcase").Single(c => (string?)c.Attribute("name") == "cache");
        Assert.Null(cache.Element("failure"));
        Assert.Contains("warning: used_memory 95% of maxmemory", cache.Element("system-out")!.Value, StringComparison.Ordinal);
    }

    [Fact]
    public void JUnit_NonCriticalFailure_IsMarked()
    {
        var result = ReportBuilderTests.Fail("dns", Layer.Dns, critical: false);

        var xml = XDocument.Parse(Render("junit", ReportBuilder.Build(null, Started, TimeSpan.Zero, [result])));

        var message = (string?)xml.Descendants("failure").Single().Attribute("message");
        Assert.StartsWith("dns (infrastructure) (non-critical): ", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Markdown_HasVerdictTableRootCauseAndEvidence()
    {
        var md = Render("markdown", Unhealthy());
        var lines = md.Split('\n').Select(l => l.TrimEnd('\r')).ToList();

        Assert.StartsWith("## Faultline: UNHEALTHY — 2 critical failures, 1 warning — 2 root causes (infrastructure): tls (infrastructure) at api-cert, database (infrastructure) at db", lines[0], StringComparison.Ordinal);
        var header = lines.IndexOf("| target | kind | status | layer | side | time | detail |");
        Assert.True(header > 0);
        Assert.Equal("|---|---|---|---|---|---|---|", lines[header + 1]);
        var rows = lines.Skip(header + 2).TakeWhile(l => l.StartsWith('|')).ToList();
        Assert.Equal(4, rows.Count);
        Assert.All(rows, r => Assert.Equal(8, CountUnescapedPipes(r)));
        Assert.Contains("| db | postgres | **FAIL** | database | infrastructure |", md, StringComparison.Ordinal);
        Assert.Contains("### Root cause", md, StringComparison.Ordinal);
        Assert.Contains("**api-cert** — tls (infrastructure): certificate expires in 9 days, wanted &gt; 14d", md, StringComparison.Ordinal);
        Assert.Contains("- leaf CN=api\\|lab, issued by CN=Lab CA", md, StringComparison.Ordinal);
        Assert.Contains("**Remedy:** check the network path to the database", md, StringComparison.Ordinal);
    }

    [Fact]
    public void Table_EndsWithRootCauseAndVerdict()
    {
        var text = Render("table", Unhealthy());
        var lines = text.TrimEnd('\n').Split('\n');

        Assert.Equal("Root cause: api-cert — tls (infrastructure): certificate expires in 9 days, wanted > 14d", lines[^2]);
        Assert.Equal("UNHEALTHY — 2 critical failures, 1 warning — 2 root causes (infrastructure): tls (infrastructure) at api-cert, database (infrastructure) at db", lines[^1]);
        Assert.StartsWith("PASS  api ", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("FAIL  db ", lines[2], StringComparison.Ordinal);
        Assert.All(lines, l => Assert.True(l.Length <= 100 || !l.StartsWith("PASS", StringComparison.Ordinal), l));
        Assert.Contains("    remedy: check the network path to the database", lines);
        Assert.DoesNotContain('\u001b', text);
    }

    [Fact]
    public void Table_RowsAlignAndFitOneHundredColumns()
    {
        var words = string.Join(' ', Enumerable.Repeat("timed out", 40));
        var long1 = ReportBuilderTests.Fail("a-very-long-target-name-that-goes-on", Layer.Network) with
        {
            Error = new ResultError("connect-timeout", words),
            Evidence = ["evidence " + words],
            Remedy = "remedy " + words,
        };
        var report = ReportBuilder.Build(null, Started, TimeSpan.Zero, [ReportBuilderTests.Pass("api"), long1]);

        var lines = Render("table", report).TrimEnd('\n').Split('\n');
        var rows = lines.Skip(1).Take(2).ToList();

        Assert.All(lines[..^2], l => Assert.True(l.Length <= 100, l));
        Assert.Contains(lines, l => l.StartsWith("    remedy: remedy timed out", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("      timed out", StringComparison.Ordinal));
        Assert.Equal(lines[0].IndexOf("KIND", StringComparison.Ordinal), rows[1].IndexOf("tcp", StringComparison.Ordinal));
    }

    [Fact]
    public void Table_Healthy_EndsWithVerdictOnly()
    {
        var report = ReportBuilder.Build(null, Started, TimeSpan.Zero, [ReportBuilderTests.Pass("a"), ReportBuilderTests.Pass("b")]);

        var lines = Render("table", report).TrimEnd('\n').Split('\n');

        Assert.Equal("HEALTHY — 2 targets passed", lines[^1]);
        Assert.Equal(string.Empty, lines[^2]);
    }

    [Fact]
    public void Table_Degraded_NamesNonCriticalFailuresAndWarnings()
    {
        var report = ReportBuilder.Build(null, Started, TimeSpan.Zero,
            [ReportBuilderTests.Fail("cache", Layer.Cache, critical: false), ReportBuilderTests.Warn("db")]);

        var lines = Render("table", report).TrimEnd('\n').Split('\n');

        Assert.Equal("DEGRADED — 1 non-critical failure, 1 warning — root cause: cache (infrastructure) at cache", lines[^1]);
        Assert.DoesNotContain(lines, l => l.StartsWith("Root cause:", StringComparison.Ordinal));
    }

    [Fact]
    public void Table_Color_PaintsStatusWords()
    {
        using var output = new StringWriter();
        ReportWriters.Create("table", color: true).Write(Unhealthy(), output);

        Assert.Contains("\u001b[31mFAIL\u001b[0m", output.ToString(), StringComparison.Ordinal);
    }

    private static int CountUnescapedPipes(string row)
    {
        var count = 0;
        for (var i = 0; i < row.Length; i++)
        {
            if (row[i] == '|' && (i == 0 || row[i - 1] != '\\'))
            {
                count++;
            }
        }

        return count;
    }
}
