using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Reporting;
using Faultline.Core.Running;
using Faultline.TestSupport;
using Microsoft.Extensions.Logging;

namespace Faultline.Cli.Tests;

/// <summary>
/// Seeds secret values everywhere a secret can enter (env and dir secrets, passwords in both
/// connection-string forms, an application that echoes a secret back) and scans every output
/// format and every log line for them.
/// </summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LocalServices.Collection)]
public sealed class SecretLeakTests(LocalServices services)
{
    [Fact]
    public async Task Run_SeededSecrets_NeverAppearInAnyFormatOrLog()
    {
        var jwt = "jwt-" + Guid.NewGuid().ToString("N");
        var apiKey = "api-" + Guid.NewGuid().ToString("N");
        var wrongPg = "pgwrong-" + Guid.NewGuid().ToString("N");
        var wrongRedis = "rdwrong-" + Guid.NewGuid().ToString("N");
        string[] seeded = [jwt, apiKey, wrongPg, wrongRedis, services.PgPassword, services.RedisPassword];

        using var dir = new CliHarness.TempDir();
        Directory.CreateDirectory(Path.Combine(dir.Path, "secrets"));
        File.WriteAllText(Path.Combine(dir.Path, "secrets", "API_KEY"), apiKey + "\n");
        await using var echo = TestServers.Http(TestServers.RawResponse(500, "Internal Server Error", $"{{\"error\":\"bad token {jwt}\"}}", "Content-Type: application/json", $"X-Debug-Token: {jwt}"));

        var env = new Dictionary<string, string>
        {
            ["LEAK_JWT"] = jwt,
            ["LEAK_DB_WRONG"] = $"postgres://faultline:{wrongPg}@127.0.0.1:{services.PgPort}/faultline",
            ["LEAK_DB"] = services.DatabaseUrl,
            ["LEAK_REDIS"] = services.RedisUrl,
        };
        var yaml = $$"""
            defaults: { timeout: 5s }
            targets:
              - name: env-secrets
                kind: secret
                source: env
                required: [LEAK_JWT, LEAK_MISSING]
                rules: { LEAK_JWT: { minLength: 500, pattern: "^nope" } }
              - name: dir-secrets
                kind: secret
                source: { dir: ./secrets }
                required: [API_KEY]
                rules: { API_KEY: { minLength: 1000, scheme: [https] } }
              - { name: db-wrong-url, kind: postgres, connectionString: "${LEAK_DB_WRONG}" }
              - { name: db-wrong-kv, kind: postgres, connectionString: "Host=127.0.0.1;Port={{services.PgPort}};Username=faultline;Password={{wrongPg}};Database=faultline" }
              - { name: db, kind: postgres, connectionString: "${LEAK_DB}" }
              - { name: cache-wrong, kind: redis, connectionString: "redis://:{{wrongRedis}}@127.0.0.1:{{services.RedisPort}}/0" }
              - { name: cache-wrong-kv, kind: redis, connectionString: "127.0.0.1:{{services.RedisPort}},password={{wrongRedis}}" }
              - { name: cache, kind: redis, connectionString: "${LEAK_REDIS}", write: true }
              - { name: echo, kind: http, url: "{{echo.BaseUrl}}/health", conditions: ["[STATUS] == 200", "[BODY].error == ok"] }
            """;
        var config = ConfigLoader.LoadText(yaml, "leak.yaml", dir.Path, name => env.GetValueOrDefault(name));
        using var logs = new CapturingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        var runner = new CheckRunner(ProbeSet.Create(), ProbeSet.Resolver, TimeProvider.System, loggerFactory);

        var report = await runner.RunAsync(config, new CheckOptions { GetEnvironmentVariable = name => env.GetValueOrDefault(name) });

        // The probes really saw the values: the failures are the ones seeded, and the fingerprint is there.
        Assert.Equal("secret-missing", Result(report, "env-secrets").Error?.Kind);
        Assert.Equal("secret-invalid", Result(report, "dir-secrets").Error?.Kind);
        Assert.Equal("database-auth-failed", Result(report, "db-wrong-url").Error?.Kind);
        Assert.Equal("database-auth-failed", Result(report, "db-wrong-kv").Error?.Kind);
        Assert.Equal(ResultStatus.Pass, Result(report, "db").Status);
        Assert.Equal("cache-auth-failed", Result(report, "cache-wrong").Error?.Kind);
        Assert.Equal("cache-auth-failed", Result(report, "cache-wrong-kv").Error?.Kind);
        Assert.Equal(ResultStatus.Pass, Result(report, "cache").Status);
        Assert.Equal(ResultStatus.Fail, Result(report, "echo").Status);

        var outputs = new StringBuilder();
        foreach (var format in ReportWriters.Formats)
        {
            using var writer = new StringWriter();
            ReportWriters.Create(format, color: format == "table").Write(report, writer);
            outputs.AppendLine(writer.ToString());
        }

        outputs.AppendLine(string.Join('\n', logs.Lines));
        var all = outputs.ToString();
        Assert.Contains(Fingerprint(jwt), all, StringComparison.Ordinal);
        foreach (var secret in seeded)
        {
            Assert.DoesNotContain(secret, all, StringComparison.Ordinal);
            Assert.DoesNotContain(Uri.EscapeDataString(secret), all, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Cli_SeededSecrets_NeverAppearOnStdoutOrStderr()
    {
        var wrongPg = "clipgwrong-" + Guid.NewGuid().ToString("N");
        using var dir = new CliHarness.TempDir();
        var file = dir.Write("leak.yaml", $$"""
            defaults: { timeout: 5s }
            targets:
              - { name: db, kind: postgres, connectionString: "postgres://faultline:{{wrongPg}}@127.0.0.1:{{services.PgPort}}/faultline" }
            """);

        foreach (var format in ReportWriters.Formats)
        {
            var (exit, output, error) = await CliHarness.RunAsync("check", "--config", file, "--format", format, "--verbose");

            Assert.Equal(1, exit);
            Assert.DoesNotContain(wrongPg, output + error, StringComparison.Ordinal);
        }
    }

    private static TargetResult Result(Report report, string name) => report.Results.Single(r => r.Name == name);

    private static string Fingerprint(string value) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..8];
}
