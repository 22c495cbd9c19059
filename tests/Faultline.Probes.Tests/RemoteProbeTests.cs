using System.Text.Json;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Reporting;
using Faultline.Core.Running;
using Faultline.Probes.Net;
using Faultline.TestSupport;
using static Faultline.Probes.Tests.ProbeHarness;

namespace Faultline.Probes.Tests;

/// <summary>The remote probe against real servers, through the runner, so the inside view becomes results of its own.</summary>
public sealed class RemoteProbeTests : IDisposable
{
    private const string ApiKey = "fl-key-7c2e9b41d0a35f68";

    private const string NginxPage = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.27.3</center>\r\n</body>\r\n</html>\r\n";

    private readonly string _directory = Directory.CreateTempSubdirectory("faultline-remote-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string Document(string databaseStatus = "unhealthy") => $$"""
        {
          "service": "api",
          "environment": "staging",
          "status": "{{(databaseStatus == "healthy" ? "healthy" : "unhealthy")}}",
          "components": {
            "database": { "status": "{{databaseStatus}}", "layer": "database", "side": "infrastructure", "critical": true, "latencyMs": 35012.5,
                          "lastCheckedAt": "2026-11-26T00:00:00Z", "errorKind": "connect-timeout", "breaker": "open",
                          "message": "connect to db.internal:5432 timed out after 35 s (key {{ApiKey}})" },
            "cache": { "status": "healthy", "layer": "cache", "side": "infrastructure", "critical": false, "latencyMs": 1.2, "breaker": "closed" }
          },
          "networkPath": { "overall": "degraded", "degradedCount": 1 },
          "remedies": [ { "component": "database", "remedy": "check the VPC connector" } ]
        }
        """;

    private string TerminationFile(string json)
    {
        var path = Path.Combine(_directory, "termination-log");
        File.WriteAllText(path, json + "\n");
        return path;
    }

    private static TargetSpec Remote(string url, string? terminationFile = null) => new()
    {
        Name = "api",
        Kind = TargetKinds.Remote,
        Url = url,
        ApiKey = ApiKey,
        TerminationFile = terminationFile,
    };

    private static Task<Report> CheckAsync(params TargetSpec[] targets) =>
        new CheckRunner(BuiltInProbes.Create(), HostResolvers.For, TimeProvider.System)
            .RunAsync(new FaultlineConfig { Environment = "staging", Targets = targets, Defaults = new DefaultsSpec { Timeout = TimeSpan.FromSeconds(5) } });

    [Fact]
    public async Task RunAsync_HealthDocument_FoldsEachComponentInAsAnInsideResult()
    {
        await using var service = TestServers.Http(TestServers.RawResponse(503, "Service Unavailable", Document(), "Content-Type: application/json"));

        var report = await CheckAsync(Remote($"{service.BaseUrl}/health/infrastructure"));

        Assert.Equal(["api", "api/database", "api/cache"], report.Results.Select(r => r.Name));
        var api = report.Results[0];
        Assert.Equal(ResultStatus.Pass, api.Status);
        Assert.Equal(Vantage.Outside, api.Vantage);
        Assert.Equal(["api/database", "api/cache"], api.DependsOn);

        var database = report.Results[1];
        Assert.Equal(ResultStatus.Fail, database.Status);
        Assert.Equal(Vantage.Inside, database.Vantage);
        Assert.Equal(Layer.Database, database.Layer);
        Assert.Equal(Side.Infrastructure, database.Side);
        Assert.Equal("connect-timeout", database.Error!.Kind);
        Assert.Equal(35012.5, database.DurationMs);
        Assert.Contains("from inside api: database is unhealthy (database)", database.Evidence);
        Assert.Contains("circuit breaker: open", database.Evidence);
        Assert.Contains("VPC connector", database.Remedy, StringComparison.Ordinal);

        var cache = report.Results[2];
        Assert.Equal(ResultStatus.Pass, cache.Status);
        Assert.False(cache.Critical);

        Assert.Equal(new PrimaryFailure("api/database", Layer.Database, Side.Infrastructure), report.Summary.Primary);
        Assert.Equal(OverallStatus.Unhealthy, report.Status);

        var request = Assert.Single(service.Requests);
        Assert.StartsWith("GET /health/infrastructure HTTP/1.1", request, StringComparison.Ordinal);
        Assert.Contains("X-Api-Key: " + ApiKey, request, StringComparison.OrdinalIgnoreCase);

        var json = JsonReportWriter.Serialize(report);
        Assert.DoesNotContain(ApiKey, json, StringComparison.Ordinal);
        using var parsed = JsonDocument.Parse(json);
        var results = parsed.RootElement.GetProperty("results");
        Assert.Equal("outside", results[0].GetProperty("vantage").GetString());
        Assert.Equal("inside", results[1].GetProperty("vantage").GetString());
        Assert.Equal("endpoint", results[0].GetProperty("details").GetProperty("remote").GetProperty("source").GetString());
        Assert.Equal("open", results[1].GetProperty("details").GetProperty("components")[0].GetProperty("breaker").GetString());
    }

    [Fact]
    public async Task RunAsync_NginxAnswers502AndTheServiceLeftADatabaseTimeout_RootCauseIsTheDatabase()
    {
        await using var nginx = TestServers.Http(TestServers.RawResponse(502, "Bad Gateway", NginxPage, "Server: nginx/1.27.3", "Content-Type: text/html"));
        var file = TerminationFile("""{"phase":"database","layer":"database","side":"infrastructure","errorKind":"connect-timeout","message":"database connect timed out after 35 s (5 attempts)","attempts":5,"elapsedMs":75210}""");

        var report = await CheckAsync(Remote($"{nginx.BaseUrl}/health/infrastructure", file));

        Assert.Equal(["api", "api/database"], report.Results.Select(r => r.Name));
        var api = report.Results[0];
        Assert.Equal(ResultStatus.Fail, api.Status);
        Assert.Equal(Layer.Proxy, api.Layer);
        Assert.Contains(api.Evidence, e => e.Contains("produced by nginx itself", StringComparison.Ordinal));
        Assert.Contains(api.Evidence, e => e.StartsWith("inside view: api stopped in startup phase database", StringComparison.Ordinal));

        var database = report.Results[1];
        Assert.Equal(Vantage.Inside, database.Vantage);
        Assert.Equal(Layer.Database, database.Layer);
        Assert.Contains("database connect timed out after 35 s (5 attempts)", database.Evidence);
        Assert.Contains("attempts: 5", database.Evidence);
        Assert.Equal(new PrimaryFailure("api/database", Layer.Database, Side.Infrastructure), report.Summary.Primary);
    }

    [Fact]
    public async Task RunAsync_ServiceDownWithAMissingSecret_RootCauseIsConfiguration()
    {
        var file = TerminationFile("""{"phase":"configuration","layer":"configuration","side":"infrastructure","errorKind":"secret-missing","message":"secret JWT_SECRET missing","attempts":1,"elapsedMs":12}""");

        var report = await CheckAsync(Remote($"http://127.0.0.1:{TestServers.ClosedPort()}/health/infrastructure", file));

        var api = report.Results[0];
        Assert.Equal("connection-refused", api.Error!.Kind);
        Assert.Equal(Layer.Network, api.Layer);
        var configuration = report.Results.Single(r => r.Name == "api/configuration");
        Assert.Equal(Layer.Configuration, configuration.Layer);
        Assert.Equal(Side.Infrastructure, configuration.Side);
        Assert.Equal("secret-missing", configuration.Error!.Kind);
        Assert.Contains("secret JWT_SECRET missing", configuration.Evidence);
        Assert.Equal(new PrimaryFailure("api/configuration", Layer.Configuration, Side.Infrastructure), report.Summary.Primary);
    }

    [Fact]
    public async Task RunAsync_OutsideTargetDependsOnTheRemote_RootCauseStillInside()
    {
        await using var nginx = TestServers.Http(TestServers.RawResponse(502, "Bad Gateway", NginxPage, "Server: nginx/1.27.3", "Content-Type: text/html"));
        var file = TerminationFile("""{"phase":"database","layer":"database","side":"infrastructure","errorKind":"connect-timeout","message":"database connect timed out","attempts":3,"elapsedMs":30000}""");
        var outside = new TargetSpec { Name = "public", Kind = TargetKinds.Http, Url = $"{nginx.BaseUrl}/api/chat", DependsOn = ["api"] };

        var report = await CheckAsync(outside, Remote($"{nginx.BaseUrl}/health/infrastructure", file));

        Assert.Equal(Layer.Proxy, report.Results.Single(r => r.Name == "public").Layer);
        Assert.Equal(new PrimaryFailure("api/database", Layer.Database, Side.Infrastructure), report.Summary.Primary);
    }

    [Fact]
    public async Task ProbeAsync_ServiceDownWithoutTerminationMessage_SaysTheInsideViewIsMissing()
    {
        var target = Remote($"http://127.0.0.1:{TestServers.ClosedPort()}/health/infrastructure", Path.Combine(_directory, "absent"));

        var observation = await RunAsync(target);

        AssertError(observation, ErrorKind.ConnectionRefused, "connect");
        Assert.Empty(observation.Components);
        Assert.Contains("left no termination message", observation.Remote!.Problem, StringComparison.Ordinal);
        var verdict = Core.Classification.Classifier.Classify(target, observation, []);
        Assert.Contains(verdict.Evidence, e => e.StartsWith("inside view unavailable:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ProbeAsync_WrongApiKey_UnexpectedStatusAttributedToCredentials()
    {
        await using var service = TestServers.Http(TestServers.RawResponse(401, "Unauthorized", "api key required", "WWW-Authenticate: ApiKey"));
        var target = Remote($"{service.BaseUrl}/health/infrastructure");

        var observation = await RunAsync(target);

        AssertError(observation, ErrorKind.UnexpectedStatus, "fetch");
        var verdict = Core.Classification.Classifier.Classify(target, observation, []);
        Assert.Equal(Layer.Configuration, verdict.Layer);
    }

    [Fact]
    public async Task ProbeAsync_HtmlInsteadOfTheDocument_ProtocolError()
    {
        await using var service = TestServers.Http(TestServers.RawResponse(200, "OK", "<html>welcome</html>", "Content-Type: text/html"));

        var observation = await RunAsync(Remote($"{service.BaseUrl}/"));

        AssertError(observation, ErrorKind.ProtocolError, "fetch");
    }

    [Fact]
    public async Task ProbeAsync_HealthyDocument_NoErrorAndEveryComponentHealthy()
    {
        await using var service = TestServers.Http(TestServers.RawResponse(200, "OK", Document("healthy"), "Content-Type: application/json"));

        var observation = await RunAsync(Remote($"{service.BaseUrl}/health/infrastructure"));

        Assert.Null(observation.Error);
        Assert.Equal("staging", observation.Remote!.Environment);
        Assert.Equal("degraded", observation.Remote.NetworkPathOverall);
        Assert.Equal(["database: check the VPC connector"], observation.Remote.Remedies);
        Assert.All(observation.Components, c => Assert.Equal(ResultStatus.Pass, Core.Classification.Classifier.ComponentStatus(c.Status)));
    }
}
