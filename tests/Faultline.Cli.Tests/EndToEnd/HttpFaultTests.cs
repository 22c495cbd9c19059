using Faultline.Core.Model;
using Faultline.TestSupport;
using static Faultline.Cli.Tests.EndToEnd.EndToEndRun;

namespace Faultline.Cli.Tests.EndToEnd;

/// <summary>
/// HTTP answers over a real socket: an application's own 500, a 500 whose health body names a failing
/// dependency, and cloud front ends' own 502 pages replayed as recorded.
/// </summary>
public sealed class HttpFaultTests
{
    [Fact]
    public async Task Check_ApplicationReturns500_ApplicationSide()
    {
        await using var app = TestServers.Http(TestServers.RawResponse(
            500, "Internal Server Error", "{\"error\":\"NullReferenceException in OrderController\"}", "Content-Type: application/json", "Server: Kestrel"));

        var result = await RunOneAsync($$"""
            defaults: { timeout: 5s }
            targets:
              - { name: api, kind: http, url: "{{app.BaseUrl}}/orders", conditions: ["[STATUS] == 200"] }
            """);

        AssertFailure(result, Layer.Application, Side.Application, errorKind: null);
        AssertEvidence(result, "500", "from the application");
        AssertEvidence(result, "OrderController");
    }

    [Fact]
    public async Task Check_HealthBodyNamesFailingDatabase_DatabaseWinsOverApplication()
    {
        const string Body = """{"status":"unhealthy","components":{"database":{"status":"unhealthy","layer":"database","side":"infrastructure"}}}""";
        await using var app = TestServers.Http(TestServers.RawResponse(500, "Internal Server Error", Body, "Content-Type: application/json"));

        var result = await RunOneAsync($$"""
            defaults: { timeout: 5s }
            targets:
              - { name: api, kind: http, url: "{{app.BaseUrl}}/health", conditions: ["[STATUS] == 200", "[BODY].status == ok"] }
            """);

        AssertFailure(result, Layer.Database, Side.Infrastructure, errorKind: null);
        AssertEvidence(result, "dependency database", "unhealthy");
    }

    [Fact]
    public async Task Check_GoogleFrontEnd502_ProxyNamedGoogleCloudLb()
    {
        // As the Google Front End sends it when no backend can take the request.
        const string Page = """
            <!DOCTYPE html>
            <html lang=en>
            <meta charset=utf-8>
            <meta name=viewport content="initial-scale=1, minimum-scale=1, width=device-width">
            <title>502 Server Error</title>
            <h1>Error: Server Error</h1>
            <h2>The server encountered a temporary error and could not complete your request.<p>Please try again in 30 seconds.</h2>
            <h2></h2>
            """;
        await using var frontEnd = TestServers.Http(TestServers.RawResponse(
            502, "Bad Gateway", Page, "Content-Type: text/html; charset=UTF-8", "Referrer-Policy: no-referrer", "Via: 1.1 google"));

        var result = await RunOneAsync($$"""
            defaults: { timeout: 5s }
            targets:
              - { name: api, kind: http, url: "{{frontEnd.BaseUrl}}/health", conditions: ["[STATUS] == 200"] }
            """);

        AssertFailure(result, Layer.Proxy, Side.Infrastructure, errorKind: null);
        AssertEvidence(result, "502", "google-cloud-lb");
        AssertEvidence(result, "temporary error");
    }

    [Fact]
    public async Task Check_AwsElb502_ProxyNamedAwsAlb()
    {
        // As an AWS Application Load Balancer sends it when its target resets or closes the connection.
        const string Page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n";
        await using var balancer = TestServers.Http(TestServers.RawResponse(
            502, "Bad Gateway", Page, "Server: awselb/2.0", "Content-Type: text/html"));

        var result = await RunOneAsync($$"""
            defaults: { timeout: 5s }
            targets:
              - { name: api, kind: http, url: "{{balancer.BaseUrl}}/health", conditions: ["[STATUS] == 200"] }
            """);

        AssertFailure(result, Layer.Proxy, Side.Infrastructure, errorKind: null);
        AssertEvidence(result, "502", "aws-alb");
        AssertEvidence(result, "awselb/2.0");
    }
}
