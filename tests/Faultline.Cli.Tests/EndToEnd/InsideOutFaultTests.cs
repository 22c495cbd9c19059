using Faultline.Core.Model;
using Faultline.Core.Reporting;
using Faultline.TestSupport;
using static Faultline.Cli.Tests.EndToEnd.EndToEndRun;

namespace Faultline.Cli.Tests.EndToEnd;

/// <summary>
/// The websocket and remote kinds from a YAML config, through the whole pipeline, behind the real nginx of
/// <c>scripts/services.sh</c>: its <c>/dead/</c> location proxies to a closed port, so nginx answers 502
/// itself — the symptom of a service that exited during startup.
/// </summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LocalServices.Collection)]
public sealed class InsideOutFaultTests(LocalServices services) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("faultline-inside-out-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Termination(string json)
    {
        var path = Path.Combine(_directory, "termination-log");
        File.WriteAllText(path, json + "\n");
        return path;
    }

    [Fact]
    public async Task Check_NginxAnswers502AndTheServiceStoppedOnTheDatabase_RootCauseIsTheDatabasePath()
    {
        var file = Termination("""{"phase":"database","layer":"database","side":"infrastructure","errorKind":"connect-timeout","message":"database connect timed out after 35 s","attempts":5,"elapsedMs":75000}""");
        var environment = new Dictionary<string, string> { ["FAULTLINE_API_KEY"] = "fl-key-e2e-9d8c7b6a", ["TERMINATION"] = file };

        var report = await RunAsync($$"""
            environment: staging
            defaults: { timeout: 5s }
            targets:
              - { name: public, kind: http, url: "{{services.NginxUrl}}/dead/api/chat", dependsOn: [api] }
              - name: api
                kind: remote
                url: {{services.NginxUrl}}/dead/health/infrastructure
                apiKey: "${FAULTLINE_API_KEY}"
                terminationFile: "${TERMINATION}"
            """, environment);

        Assert.Equal(["public", "api", "api/database"], report.Results.Select(r => r.Name));
        var outside = report.Results.Single(r => r.Name == "api");
        AssertFailure(outside, Layer.Proxy, Side.Infrastructure, ErrorKind.UnexpectedStatus);
        AssertEvidence(outside, "produced by nginx itself");
        AssertEvidence(outside, "inside view", "database connect timed out");
        var inside = report.Results.Single(r => r.Name == "api/database");
        Assert.Equal(Vantage.Inside, inside.Vantage);
        AssertFailure(inside, Layer.Database, Side.Infrastructure, ErrorKind.ConnectTimeout);
        Assert.Equal(new PrimaryFailure("api/database", Layer.Database, Side.Infrastructure), report.Summary.Primary);
        Assert.DoesNotContain("fl-key-e2e-9d8c7b6a", JsonReportWriter.Serialize(report), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_NginxAnswers502AndASecretIsMissing_RootCauseIsConfiguration()
    {
        var file = Termination("""{"phase":"configuration","layer":"configuration","side":"infrastructure","errorKind":"secret-missing","message":"secret JWT_SECRET missing","attempts":1,"elapsedMs":4}""");

        var report = await RunAsync($$"""
            defaults: { timeout: 5s }
            targets:
              - { name: api, kind: remote, url: "{{services.NginxUrl}}/dead/health/infrastructure", terminationFile: "{{file}}" }
            """);

        AssertFailure(report.Results.Single(r => r.Name == "api/configuration"), Layer.Configuration, Side.Infrastructure, ErrorKind.SecretMissing);
        Assert.Equal(new PrimaryFailure("api/configuration", Layer.Configuration, Side.Infrastructure), report.Summary.Primary);

        // nginx's 502 (proxy) follows from the service that did not start: one root, its side decides.
        Assert.Equal("api/configuration", report.Results.Single(r => r.Name == "api").Cause?.Target);
        Assert.Equal(Attribution.Infrastructure, report.Summary.Attribution);
    }

    [Fact]
    public async Task Check_WebSocketUpgradeThroughNginxToADeadUpstream_ProxyLayer()
    {
        var ws = services.NginxUrl.Replace("http://", "ws://", StringComparison.Ordinal);

        var result = await RunOneAsync($$"""
            defaults: { timeout: 5s }
            targets:
              - name: golden-path
                kind: websocket
                url: {{ws}}/dead/ws
                send: { type: chat, text: "what is 6 times 7?" }
                expect: [agent_started, agent_thinking?, agent_completed]
                deadline: 2s
            """);

        AssertFailure(result, Layer.Proxy, Side.Infrastructure, ErrorKind.UnexpectedStatus);
        AssertEvidence(result, "502", "produced by nginx itself");
        Assert.Equal(["agent_started", "agent_thinking?", "agent_completed"], result.Observation!.WebSocket!.Expected);
    }
}
