using System.Text.Json;
using System.Xml.Linq;
using Faultline.TestSupport;

namespace Faultline.Cli.Tests;

/// <summary><c>faultline validate</c> end to end against HTTP servers on 127.0.0.1 that the tests start and switch.</summary>
public sealed class ValidateCommandTests
{
    /// <summary>An HTTP server whose answer the test switches: 200 when healthy, 500 otherwise; or alternating per request.</summary>
    private sealed class SwitchableServer : IAsyncDisposable
    {
        private int _requests;

        public SwitchableServer()
        {
            Server = TestServers.Http(_ =>
            {
                var n = Interlocked.Increment(ref _requests);
                var ok = Alternate ? n % 2 == 1 : Healthy;
                return ok
                    ? TestServers.RawResponse(200, "OK", "{\"status\":\"ok\"}", "Content-Type: application/json")
                    : TestServers.RawResponse(500, "Internal Server Error", "{\"status\":\"error\"}", "Content-Type: application/json");
            });
        }

        public RawHttpServer Server { get; }

        public volatile bool Healthy = true;

        public volatile bool Alternate;

        public ValueTask DisposeAsync() => Server.DisposeAsync();
    }

    private static string Config(CliHarness.TempDir dir, string url, string extraCategory = "", double minPassRate = 0.8) => dir.Write("validate.yaml", $$"""
        environment: test
        defaults: { timeout: 3s }
        validation:
          minPassRate: {{minPassRate.ToString(System.Globalization.CultureInfo.InvariantCulture)}}
          runs: 2
          interval: 10ms
          categories:
            - { name: connectivity, critical: true, minPassRate: 1.0 }
            - { name: api, critical: true }
            - { name: agents, critical: false }
        targets:
          - name: port
            kind: tcp
            category: connectivity
            host: 127.0.0.1
            port: {{new Uri(url).Port}}
          - name: health
            kind: http
            category: api{{extraCategory}}
            url: "{{url}}/health"
            conditions: ["[STATUS] == 200", "[BODY].status == ok"]
        """);

    [Fact]
    public async Task Validate_HealthyServer_ExitsZeroWithProgressPerRunAndApproved()
    {
        await using var server = new SwitchableServer();
        using var dir = new CliHarness.TempDir();

        var (exit, output, error) = await CliHarness.RunAsync("validate", "--config", Config(dir, server.Server.BaseUrl), "--runs", "3");

        Assert.True(exit == 0, output + error);
        Assert.Contains("run 1/3: 2 passed, 0 failed", error, StringComparison.Ordinal);
        Assert.Contains("run 3/3: 2 passed, 0 failed", error, StringComparison.Ordinal);
        Assert.EndsWith("VALIDATION PASS — approved — 3 runs, 6 of 6 checks passed (100%), needs 80%", output.TrimEnd(), StringComparison.Ordinal);
        Assert.Equal(3, server.Server.Requests.Count);
    }

    [Fact]
    public async Task Validate_ServerAnswering500_ExitsOneWithTheReasonInWords()
    {
        await using var server = new SwitchableServer { Healthy = false };
        using var dir = new CliHarness.TempDir();

        var (exit, output, error) = await CliHarness.RunAsync("validate", "--config", Config(dir, server.Server.BaseUrl), "--format", "markdown");

        Assert.True(exit == 1, output + error);
        Assert.Contains("## Faultline validate: FAIL — requires attention — 2 runs, 2 of 4 checks passed (50%), needs 80%", output, StringComparison.Ordinal);
        Assert.Contains("| api | yes | 0/2 | 0% | 80% | **no** |", output, StringComparison.Ordinal);
        Assert.Contains("| agents | no | 0/0 | — | 80% | yes — no targets |", output, StringComparison.Ordinal);
        Assert.Contains("- api: health — 2 of 2 runs failed — layer application (application)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_ServerAlternating_TargetIsFlakyInJson()
    {
        await using var server = new SwitchableServer { Alternate = true };
        using var dir = new CliHarness.TempDir();

        var (exit, output, error) = await CliHarness.RunAsync("validate", "--config", Config(dir, server.Server.BaseUrl), "--runs", "4", "--format", "json");

        Assert.True(exit == 1, output + error);
        using var doc = JsonDocument.Parse(output);
        var validation = doc.RootElement.GetProperty("validation");
        Assert.Equal(4, validation.GetProperty("runs").GetInt32());
        Assert.Equal(8, validation.GetProperty("total").GetInt32());
        Assert.Equal(6, validation.GetProperty("passed").GetInt32());
        var health = validation.GetProperty("targets").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "health");
        Assert.Equal("flaky", health.GetProperty("outcome").GetString());
        Assert.Equal(["pass", "fail", "pass", "fail"], health.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("status").GetString()));
        Assert.Equal("application", health.GetProperty("runs")[1].GetProperty("layer").GetString());
        var api = validation.GetProperty("categories").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "api");
        Assert.Equal(0.5, api.GetProperty("passRate").GetDouble());
        Assert.False(api.GetProperty("met").GetBoolean());

        // The report contract of the last run is still there.
        Assert.Equal(1, doc.RootElement.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(2, doc.RootElement.GetProperty("results").GetArrayLength());
    }

    [Fact]
    public async Task Validate_BaselineFromFailedCheck_MarksTheFixedTargetFixedAndPasses()
    {
        await using var server = new SwitchableServer { Healthy = false };
        using var dir = new CliHarness.TempDir();
        var config = Config(dir, server.Server.BaseUrl);
        var before = Path.Combine(dir.Path, "before.json");
        var (checkExit, _, _) = await CliHarness.RunAsync("check", "--config", config, "--format", "json", "--output", before);
        Assert.Equal(1, checkExit);

        server.Healthy = true;
        var junit = Path.Combine(dir.Path, "validate.xml");
        var (exit, output, error) = await CliHarness.RunAsync("validate", "--config", config, "--baseline", before, "--format", "junit", "--output", junit);

        Assert.True(exit == 0, output + error);
        Assert.Contains($"Validation (junit) written to {junit}", output, StringComparison.Ordinal);
        Assert.Contains(output.Split('\n'), l => l.StartsWith("PASSING", StringComparison.Ordinal) && l.Contains("health", StringComparison.Ordinal) && l.Contains("fixed", StringComparison.Ordinal));
        Assert.Contains(output.Split('\n'), l => l.StartsWith("PASSING", StringComparison.Ordinal) && l.Contains("port", StringComparison.Ordinal) && l.Contains("unchanged", StringComparison.Ordinal));
        var xml = XDocument.Load(junit);
        Assert.Equal(["connectivity", "api", "agents"], xml.Root!.Elements("testsuite").Select(s => (string?)s.Attribute("name")));
        Assert.Contains("baseline: fixed", xml.Descendants("testcase").Single(t => (string?)t.Attribute("name") == "health").Value, StringComparison.Ordinal);
        Assert.Empty(xml.Descendants("failure"));
    }

    [Fact]
    public async Task Validate_BaselineFromFailedValidate_StillBrokenWhileTheFaultStays()
    {
        await using var server = new SwitchableServer { Healthy = false };
        using var dir = new CliHarness.TempDir();
        var config = Config(dir, server.Server.BaseUrl);
        var before = Path.Combine(dir.Path, "before.json");
        Assert.Equal(1, (await CliHarness.RunAsync("validate", "--config", config, "--format", "json", "--output", before)).ExitCode);

        var (exit, output, _) = await CliHarness.RunAsync("validate", "--config", config, "--baseline", before, "--format", "json");

        Assert.Equal(1, exit);
        using var doc = JsonDocument.Parse(output);
        var targets = doc.RootElement.GetProperty("validation").GetProperty("targets").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!, t => t.GetProperty("baseline").GetString());
        Assert.Equal("still-broken", targets["health"]);
        Assert.Equal("unchanged", targets["port"]);
        Assert.Equal(before, doc.RootElement.GetProperty("validation").GetProperty("baselineSource").GetString());
    }

    [Fact]
    public async Task Validate_BaselineThatIsNotAReport_ExitsTwoWithAClearMessage()
    {
        await using var server = new SwitchableServer();
        using var dir = new CliHarness.TempDir();
        var baseline = dir.Write("package.json", "{\"name\": \"web\", \"version\": \"1.0.0\"}");

        var (exit, output, error) = await CliHarness.RunAsync("validate", "--config", Config(dir, server.Server.BaseUrl), "--baseline", baseline);

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains($"faultline: --baseline: {baseline}: not a Faultline report", error, StringComparison.Ordinal);
        Assert.Empty(server.Server.Requests);
    }

    [Fact]
    public async Task Validate_BaselineMissing_ExitsTwo()
    {
        using var dir = new CliHarness.TempDir();

        var (exit, _, error) = await CliHarness.RunAsync("validate", "--config", Config(dir, "http://127.0.0.1:1"), "--baseline", "/nonexistent/before.json");

        Assert.Equal(2, exit);
        Assert.Contains("--baseline: file not found: /nonexistent/before.json", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0", "--runs must be at least 1 (got 0)")]
    [InlineData("-2", "--runs must be at least 1 (got -2)")]
    [InlineData("three", "three")]
    public async Task Validate_BadRuns_ExitsTwo(string runs, string expected)
    {
        using var dir = new CliHarness.TempDir();

        var (exit, _, error) = await CliHarness.RunAsync("validate", "--config", Config(dir, "http://127.0.0.1:1"), "--runs", runs);

        Assert.Equal(2, exit);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_BadInterval_ExitsTwoWithDurationHelp()
    {
        using var dir = new CliHarness.TempDir();

        var (exit, _, error) = await CliHarness.RunAsync("validate", "--config", Config(dir, "http://127.0.0.1:1"), "--interval", "5 seconds");

        Assert.Equal(2, exit);
        Assert.Contains("--interval: bad duration", error, StringComparison.Ordinal);
        Assert.Contains("250ms", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_NoConfig_ExitsTwo()
    {
        var (exit, _, error) = await CliHarness.RunAsync("validate");

        Assert.Equal(2, exit);
        Assert.Contains("--config FILE", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_TargetInUndeclaredCategory_ExitsTwoNamingIt()
    {
        using var dir = new CliHarness.TempDir();

        var (exit, output, error) = await CliHarness.RunAsync("validate", "--config", Config(dir, "http://127.0.0.1:1", extraCategory: "-typo"));

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains("api-typo", error, StringComparison.Ordinal);
        Assert.Contains("validate.yaml:", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_ClosedPort_FailsConnectivityAsNetwork()
    {
        using var dir = new CliHarness.TempDir();
        var port = TestServers.ClosedPort();

        var (exit, output, _) = await CliHarness.RunAsync("validate", "--config", Config(dir, $"http://127.0.0.1:{port}"), "--runs", "1", "--format", "json");

        Assert.Equal(1, exit);
        using var doc = JsonDocument.Parse(output);
        var reasons = doc.RootElement.GetProperty("validation").GetProperty("signoff").GetProperty("reasons").EnumerateArray().Select(r => r.GetString()).ToList();
        Assert.Contains("connectivity: 0 of 1 check passed (0%), needs 100%", reasons);
        Assert.Contains(reasons, r => r!.StartsWith("connectivity: port — 1 of 1 run failed — layer network (infrastructure), connection-refused", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("json")]
    [InlineData("junit")]
    [InlineData("markdown")]
    [InlineData("table")]
    public async Task Validate_PasswordInConnectionString_NeverAppearsInAnyFormat(string format)
    {
        const string Password = "validate-s3cret-Pw-93a1";
        using var dir = new CliHarness.TempDir();
        var port = TestServers.ClosedPort();
        var config = dir.Write("secret.yaml", $$"""
            defaults: { timeout: 2s }
            validation: { runs: 2, interval: 10ms }
            targets:
              - name: db
                kind: postgres
                category: database
                connectionString: "postgres://app:{{Password}}@127.0.0.1:{{port}}/app"
            """);

        var (exit, output, error) = await CliHarness.RunAsync("validate", "--config", config, "--format", format);

        Assert.Equal(1, exit);
        Assert.Contains("db", output, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, output, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, error, StringComparison.Ordinal);
    }
}
