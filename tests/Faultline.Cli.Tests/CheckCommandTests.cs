using System.Text.Json;
using Faultline.Core.Config;
using Faultline.TestSupport;

namespace Faultline.Cli.Tests;

public sealed class CheckCommandTests
{
    [Fact]
    public async Task Check_NoConfigAndNoAddress_ExitsTwoWithWhatToGive()
    {
        var (exit, _, error) = await CliHarness.RunAsync("check");

        Assert.Equal(2, exit);
        Assert.Contains("--config FILE", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_ConfigAndAddressTogether_ExitsTwo()
    {
        var (exit, _, error) = await CliHarness.RunAsync("check", "--config", "x.yaml", "127.0.0.1:1");

        Assert.Equal(2, exit);
        Assert.Contains("not both", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_MissingConfigFile_ExitsTwoNamingTheFile()
    {
        var (exit, _, error) = await CliHarness.RunAsync("check", "--config", "/nonexistent/faultline.yaml");

        Assert.Equal(2, exit);
        Assert.Contains("config file not found: /nonexistent/faultline.yaml", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_UnknownFormat_ExitsTwoListingTheFormats()
    {
        var (exit, _, error) = await CliHarness.RunAsync("check", "127.0.0.1:1", "--format", "xml");

        Assert.Equal(2, exit);
        Assert.Contains("json", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_InvalidConfig_ExitsTwoWithFileLineColumnAndNoStackTrace()
    {
        using var dir = new CliHarness.TempDir();
        var file = dir.Write("bad.yaml", """
            targets:
              - name: api
                kind: http
                url: http://127.0.0.1:1/
                tiemout: 2s
              - name: db
                kind: postgress
            """);

        var (exit, output, error) = await CliHarness.RunAsync("check", "--config", file);

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains($"{file}:5:5", error, StringComparison.Ordinal);
        Assert.Contains("timeout", error, StringComparison.Ordinal);
        Assert.Contains($"{file}:7:11", error, StringComparison.Ordinal);
        Assert.Contains("nothing was probed", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_UnknownOwner_ExitsTwoAtItsLineAndColumn()
    {
        using var dir = new CliHarness.TempDir();
        var file = dir.Write("owner.yaml", """
            defaults: { owner: platform }
            targets:
              - { name: secrets, kind: secret, required: [JWT_SECRET], owner: infra }
            """);

        var (exit, output, error) = await CliHarness.RunAsync("check", "--config", file);

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains($"{file}:1:20: unknown owner \"platform\"", error, StringComparison.Ordinal);
        Assert.Contains($"{file}:3:67: unknown owner \"infra\" in target 'secrets' (kind secret)", error, StringComparison.Ordinal);
        Assert.Contains("infrastructure, application", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_BadTimeoutOption_ExitsTwoWithDurationHelp()
    {
        var (exit, _, error) = await CliHarness.RunAsync("check", "127.0.0.1:1", "--timeout", "5 seconds");

        Assert.Equal(2, exit);
        Assert.Contains("250ms", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_UnknownCategory_ExitsTwoListingCategories()
    {
        using var dir = new CliHarness.TempDir();
        var file = dir.Write("c.yaml", $"targets:\n  - {{ name: a, kind: tcp, host: 127.0.0.1, port: {TestServers.ClosedPort()}, category: net }}\n");

        var (exit, _, error) = await CliHarness.RunAsync("check", "--config", file, "--category", "db");

        Assert.Equal(2, exit);
        Assert.Contains("categories in this config: net", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_CriticalTargetDown_ExitsOneAndEndsWithRootCauseAndVerdict()
    {
        var port = TestServers.ClosedPort();

        var (exit, output, _) = await CliHarness.RunAsync("check", $"127.0.0.1:{port}", "--no-color");

        Assert.Equal(1, exit);
        var lines = output.TrimEnd().Split('\n');
        Assert.StartsWith("Root cause: tcp — network (infrastructure)", lines[^2], StringComparison.Ordinal);
        Assert.StartsWith("UNHEALTHY", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_NonCriticalFailureOnly_ExitsZeroDegraded()
    {
        await using var healthy = TestServers.Http(TestServers.RawResponse(200, "OK", "{\"status\":\"ok\"}", "Content-Type: application/json"));
        using var dir = new CliHarness.TempDir();
        var file = dir.Write("d.yaml", $$"""
            targets:
              - { name: api, kind: http, url: "{{healthy.BaseUrl}}/health", conditions: ["[STATUS] == 200", "[BODY].status == ok"] }
              - { name: extra, kind: tcp, host: 127.0.0.1, port: {{TestServers.ClosedPort()}}, critical: false }
            """);

        var (exit, output, _) = await CliHarness.RunAsync("check", "--config", file, "--no-color");

        Assert.Equal(0, exit);
        Assert.StartsWith("DEGRADED", output.TrimEnd().Split('\n')[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_JsonToOutputFile_WritesTheContractAndShowsTheTable()
    {
        await using var healthy = TestServers.Http(TestServers.RawResponse(200, "OK", "ok"));
        using var dir = new CliHarness.TempDir();
        var report = Path.Combine(dir.Path, "report.json");

        var (exit, output, _) = await CliHarness.RunAsync("check", healthy.BaseUrl + "/", "--format", "json", "--output", report, "--no-color");

        Assert.Equal(0, exit);
        Assert.Contains("HEALTHY", output, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(File.ReadAllText(report));
        var root = json.RootElement;
        Assert.Equal(1, root.GetProperty("schemaVersion").GetInt32());
        Assert.Equal("healthy", root.GetProperty("status").GetString());
        var results = root.GetProperty("results");
        Assert.Equal(2, results.GetArrayLength());
        foreach (var result in results.EnumerateArray())
        {
            Assert.Equal("pass", result.GetProperty("status").GetString());
            Assert.Equal(JsonValueKind.Null, result.GetProperty("layer").ValueKind);
            Assert.Equal(JsonValueKind.Null, result.GetProperty("side").ValueKind);
        }
    }

    [Theory]
    [InlineData("junit", "<testsuite")]
    [InlineData("markdown", "| ")]
    public async Task Check_OtherFormats_WriteThatFormatToStdout(string format, string marker)
    {
        var (exit, output, _) = await CliHarness.RunAsync("check", $"127.0.0.1:{TestServers.ClosedPort()}", "--format", format);

        Assert.Equal(1, exit);
        Assert.Contains(marker, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schema_PrintsTheCommittedSchema()
    {
        var (exit, output, _) = await CliHarness.RunAsync("schema");

        Assert.Equal(0, exit);
        var committed = File.ReadAllText(Path.Combine(CliHarness.RepositoryRoot(), "docs", "config.schema.json"));
        Assert.Equal(committed.ReplaceLineEndings().TrimEnd(), output.ReplaceLineEndings().TrimEnd());
        Assert.Equal(ConfigSchema.Generate().ReplaceLineEndings().TrimEnd(), output.ReplaceLineEndings().TrimEnd());
    }

    /// <summary>Stand-ins for the variables `faultline lab up` writes to lab.env, shaped like the real ones.</summary>
    private static string? LabValue(string name) =>
        !name.StartsWith("FAULTLINE_LAB_", StringComparison.Ordinal) ? null
        : name.EndsWith("_PORT", StringComparison.Ordinal) ? "50000"
        : name.EndsWith("_RESOLVER", StringComparison.Ordinal) ? "127.0.0.1:25354"
        : name.EndsWith("_URL", StringComparison.Ordinal) ? "https://api.lab.test:58443"
        : name.EndsWith("_FILE", StringComparison.Ordinal) || name.EndsWith("_DIR", StringComparison.Ordinal) ? typeof(CheckCommandTests).Assembly.Location
        : "example-value";

    [Fact]
    public void Examples_EveryExampleConfigLoads()
    {
        // examples/lab holds lab scenarios (their own format, loaded by the lab's tests) next to its check.yaml.
        var root = Path.Combine(CliHarness.RepositoryRoot(), "examples");
        var examples = Directory.GetFiles(root, "*.yaml", SearchOption.AllDirectories)
            .Where(f => Path.GetDirectoryName(f) != Path.Combine(root, "lab") || Path.GetFileName(f) == "check.yaml")
            .ToList();
        Assert.NotEmpty(examples);
        var env = new Dictionary<string, string>
        {
            ["DATABASE_URL"] = "postgres://u:p@127.0.0.1:5432/db",
            ["REDIS_URL"] = "redis://:p@127.0.0.1:6379/0",
            ["FAULTLINE_API_KEY"] = "example-api-key",
            ["DEMO_PASSWORD"] = "example-password",
        };

        foreach (var example in examples)
        {
            var config = ConfigLoader.LoadFile(example, name => env.GetValueOrDefault(name) ?? LabValue(name));
            Assert.NotEmpty(config.Targets);
        }
    }
}
