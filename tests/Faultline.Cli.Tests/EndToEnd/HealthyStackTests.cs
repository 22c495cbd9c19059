using Faultline.Core.Model;
using Faultline.TestSupport;
using static Faultline.Cli.Tests.EndToEnd.EndToEndRun;

namespace Faultline.Cli.Tests.EndToEnd;

/// <summary>A stack where everything works: every target passes and the report names no root cause.</summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LocalServices.Collection)]
public sealed class HealthyStackTests(LocalServices services) : IDisposable
{
    private readonly TestCertificates _certificates = new();

    public void Dispose() => _certificates.Dispose();

    [Fact]
    public async Task Check_EveryLayerHealthy_AllPassAndReportHealthy()
    {
        await using var dns = new TinyDnsServer().Add("api.lab.test", "127.0.0.1");
        await using var tls = TestServers.Tls(_certificates.Valid("api.lab.test"));
        var caFile = _certificates.CaFile.Replace("\\", "/", StringComparison.Ordinal);
        var environment = new Dictionary<string, string>
        {
            ["DATABASE_URL"] = services.DatabaseUrl,
            ["REDIS_URL"] = services.RedisUrl,
            ["JWT_SECRET"] = "0123456789abcdef0123456789abcdef-signing-key",
        };

        var report = await EndToEndRun.RunAsync($$"""
            environment: local
            defaults: { timeout: 5s }
            targets:
              - { name: lb, kind: http, url: "{{services.NginxUrl}}/health", conditions: ["[STATUS] == 200", "[BODY].status == ok"] }
              - { name: lb-port, kind: tcp, host: 127.0.0.1, port: {{services.NginxPort}} }
              - { name: api-cert, kind: tls, host: 127.0.0.1, port: {{tls.Port}}, tls: { caFile: "{{caFile}}" }, conditions: ["[CERT_EXPIRES_IN] > 14d"] }
              - { name: api-dns, kind: dns, host: api.lab.test, resolver: "{{dns.Address}}", recordTypes: [A], conditions: ["[IP] == 127.0.0.1"] }
              - { name: db, kind: postgres, connectionString: "${DATABASE_URL}" }
              - { name: cache, kind: redis, connectionString: "${REDIS_URL}", write: true }
              - name: secrets
                kind: secret
                source: env
                required: [DATABASE_URL, JWT_SECRET]
                rules: { JWT_SECRET: { minLength: 32 }, DATABASE_URL: { scheme: [postgres, postgresql] } }
            """, environment);

        foreach (var result in report.Results)
        {
            AssertPass(result);
            Assert.Null(result.Layer);
            Assert.Null(result.Side);
            Assert.Null(result.Error);
        }

        Assert.Equal(7, report.Results.Count);
        Assert.Equal(OverallStatus.Healthy, report.Status);
        Assert.Equal(7, report.Summary.Passed);
        Assert.Equal(0, report.Summary.Failed);
        Assert.Equal(0, report.Summary.CriticalFailures);
        Assert.Equal(Attribution.None, report.Summary.Attribution);
        Assert.Null(report.Summary.Primary);
        Assert.True(dns.Queries > 0, "the test's DNS server was never asked");
    }
}
