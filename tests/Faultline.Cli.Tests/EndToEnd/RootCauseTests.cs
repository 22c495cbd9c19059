using Faultline.Core.Model;
using Faultline.TestSupport;
using static Faultline.Cli.Tests.EndToEnd.EndToEndRun;

namespace Faultline.Cli.Tests.EndToEnd;

/// <summary>The report names one root cause: the failing critical target nothing else failing depends on.</summary>
public sealed class RootCauseTests
{
    [Fact]
    public async Task Check_DatabaseDependsOnClosedPort_PrimaryIsThePortOnTheNetworkLayer()
    {
        var port = TestServers.ClosedPort();
        await using var app = TestServers.Http(TestServers.RawResponse(500, "Internal Server Error", "boom"));

        var report = await EndToEndRun.RunAsync($$"""
            defaults: { timeout: 5s }
            targets:
              - { name: db-port, kind: tcp, host: 127.0.0.1, port: {{port}} }
              - { name: db, kind: postgres, connectionString: "postgres://faultline:not-used@127.0.0.1:{{port}}/faultline", dependsOn: [db-port] }
              - { name: reports, kind: http, url: "{{app.BaseUrl}}/reports", critical: false }
            """);

        var dbPort = report.Results.Single(r => r.Name == "db-port");
        AssertFailure(dbPort, Layer.Network, Side.Infrastructure, ErrorKind.ConnectionRefused);
        var db = report.Results.Single(r => r.Name == "db");
        AssertFailure(db, Layer.Database, Side.Infrastructure, ErrorKind.ConnectionRefused);
        var reports = report.Results.Single(r => r.Name == "reports");
        AssertFailure(reports, Layer.Application, Side.Application, errorKind: null);

        Assert.Equal(OverallStatus.Unhealthy, report.Status);
        Assert.Equal(new PrimaryFailure("db-port", Layer.Network, Side.Infrastructure), report.Summary.Primary);
        Assert.Equal(3, report.Summary.Total);
        Assert.Equal(3, report.Summary.Failed);
        Assert.Equal(0, report.Summary.Passed);
        Assert.Equal(2, report.Summary.CriticalFailures);
    }

    [Fact]
    public async Task Check_OnlyNonCriticalTargetFails_DegradedWithoutCriticalFailures()
    {
        await using var healthy = TestServers.Http(TestServers.RawResponse(200, "OK", "{\"status\":\"ok\"}", "Content-Type: application/json"));
        var port = TestServers.ClosedPort();

        var report = await EndToEndRun.RunAsync($$"""
            defaults: { timeout: 5s }
            targets:
              - { name: api, kind: http, url: "{{healthy.BaseUrl}}/health", conditions: ["[BODY].status == ok"] }
              - { name: metrics-port, kind: tcp, host: 127.0.0.1, port: {{port}}, critical: false }
            """);

        AssertPass(report.Results.Single(r => r.Name == "api"));
        AssertFailure(report.Results.Single(r => r.Name == "metrics-port"), Layer.Network, Side.Infrastructure, ErrorKind.ConnectionRefused);
        Assert.Equal(OverallStatus.Degraded, report.Status);
        Assert.Equal(0, report.Summary.CriticalFailures);
        Assert.Equal(1, report.Summary.Failed);
        Assert.Null(report.Summary.Primary);
    }
}
