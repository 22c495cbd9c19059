using Faultline.Core.Classification;
using Faultline.Core.Config;
using Faultline.Core.Model;

namespace Faultline.Core.Tests.Classification;

public class InsideViewTests
{
    private static readonly TargetSpec Api = new() { Name = "api", Kind = TargetKinds.Remote, Url = "https://api.lab.test:8443/health/infrastructure" };

    private static ComponentObservation Component(string name, string status = "unhealthy", Layer? layer = null, Side? side = null, string? errorKind = null, string source = ComponentSources.Endpoint) => new()
    {
        Name = name,
        Status = status,
        Layer = layer,
        Side = side,
        ErrorKind = errorKind,
        Source = source,
        Service = "api",
    };

    [Theory]
    [InlineData("healthy", ResultStatus.Pass)]
    [InlineData("OK", ResultStatus.Pass)]
    [InlineData("up", ResultStatus.Pass)]
    [InlineData("degraded", ResultStatus.Warn)]
    [InlineData("starting", ResultStatus.Warn)]
    [InlineData("unhealthy", ResultStatus.Fail)]
    [InlineData("down", ResultStatus.Fail)]
    [InlineData("error", ResultStatus.Fail)]
    public void ComponentStatus_MapsHealthWords(string status, ResultStatus expected) =>
        Assert.Equal(expected, Classifier.ComponentStatus(status));

    [Fact]
    public void ClassifyComponent_DatabaseConnectTimeout_DatabaseInfrastructureWithTheTableRemedy()
    {
        var component = Component("database", layer: Layer.Database, side: Side.Infrastructure, errorKind: "connect-timeout") with
        {
            Breaker = "open",
            LatencyMs = 35000,
            Message = "connect to db.internal:5432 timed out",
        };

        var verdict = Classifier.ClassifyComponent(Api, component);

        Assert.Equal(Layer.Database, verdict.Layer);
        Assert.Equal(Side.Infrastructure, verdict.Side);
        Assert.Equal("from inside api: database is unhealthy (database)", verdict.Evidence[0]);
        Assert.Contains("database: connect to db.internal:5432 timed out", verdict.Evidence);
        Assert.Contains("error kind reported by api: connect-timeout", verdict.Evidence);
        Assert.Contains("circuit breaker: open", verdict.Evidence);
        Assert.Contains("check took 35 s", verdict.Evidence);
        Assert.Equal(ErrorRules.Find(ErrorKind.ConnectTimeout, TargetKinds.Postgres).Remedy, verdict.Remedy);
    }

    [Fact]
    public void ClassifyComponent_NoLayerReported_TheErrorKindRuleDecides()
    {
        var verdict = Classifier.ClassifyComponent(Api, Component("primary-store", errorKind: "database-auth-failed"));

        Assert.Equal(Layer.Configuration, verdict.Layer);
        Assert.Equal(Side.Infrastructure, verdict.Side);
    }

    [Fact]
    public void ClassifyComponent_NothingButTheName_TheNameDecides()
    {
        var verdict = Classifier.ClassifyComponent(Api, Component("redis-sessions"));

        Assert.Equal(Layer.Cache, verdict.Layer);
        Assert.Equal(Side.Infrastructure, verdict.Side);
        Assert.Contains("add a redis target", verdict.Remedy, StringComparison.Ordinal);
    }

    [Fact]
    public void ClassifyComponent_TerminationMessage_SaysTheServiceStoppedInThatPhase()
    {
        var component = Component("configuration", layer: Layer.Configuration, errorKind: "secret-missing", source: ComponentSources.TerminationFile) with
        {
            Message = "secret JWT_SECRET missing",
            Attempts = 1,
        };

        var verdict = Classifier.ClassifyComponent(Api, component);

        Assert.Equal(Layer.Configuration, verdict.Layer);
        Assert.Equal(Side.Infrastructure, verdict.Side);
        Assert.Equal("api stopped during startup phase configuration (configuration, as its termination message reports)", verdict.Evidence[0]);
        Assert.Contains("secret JWT_SECRET missing", verdict.Evidence);
    }

    [Fact]
    public void Classify_OutsideView_NamesTheInsideFailures()
    {
        var observation = Samples.Response(502, "<html><hr><center>nginx</center></html>") with
        {
            Error = new ProbeError(ErrorKind.UnexpectedStatus, "answered HTTP 502 instead of the health document") { Code = "502", Phase = "fetch" },
            Components = [Component("database", layer: Layer.Database, source: ComponentSources.TerminationFile) with { Message = "database connect timed out" }],
        };

        var verdict = Classifier.Classify(Api, observation, []);

        Assert.Equal(Layer.Proxy, verdict.Layer);
        Assert.Equal(Side.Infrastructure, verdict.Side);
        Assert.Contains(verdict.Evidence, e => e.Contains("produced by nginx itself", StringComparison.Ordinal));
        Assert.Equal("inside view: api stopped in startup phase database: database connect timed out", verdict.Evidence[^1]);
    }

    [Theory]
    [InlineData(401, Layer.Configuration)]
    [InlineData(404, Layer.Application)]
    [InlineData(500, Layer.Application)]
    public void Classify_UnexpectedStatus_DecidedByTheResponse(int status, Layer layer)
    {
        var target = new TargetSpec { Name = "ws", Kind = TargetKinds.WebSocket, Url = "wss://api.lab.test:8443/ws" };
        var observation = Samples.Response(status, "nope") with
        {
            Error = new ProbeError(ErrorKind.UnexpectedStatus, "refused the WebSocket upgrade") { Code = status.ToString(System.Globalization.CultureInfo.InvariantCulture), Phase = "upgrade" },
        };

        Assert.Equal(layer, Classifier.Classify(target, observation, []).Layer);
    }

    [Fact]
    public void Classify_WebSocketMissingEvent_ListsArrivedAndMissing()
    {
        var target = new TargetSpec { Name = "ws", Kind = TargetKinds.WebSocket, Url = "wss://api.lab.test:8443/ws" };
        var observation = new Observation
        {
            Target = "wss://api.lab.test:8443/ws",
            Connected = true,
            Error = new ProbeError(ErrorKind.ReadTimeout, "agent_completed did not arrive within 30 s of sending the message") { Phase = "events" },
            WebSocket = new WebSocketObservation
            {
                Sent = true,
                Events = [new WebSocketEvent("agent_started", 12, true), new WebSocketEvent("heartbeat", 20, false), new WebSocketEvent("agent_thinking", 40, true)],
                Missing = ["agent_completed"],
            },
        };

        var verdict = Classifier.Classify(target, observation, []);

        Assert.Equal(Layer.Application, verdict.Layer);
        Assert.Contains("arrived: agent_started (12 ms), agent_thinking (40 ms)", verdict.Evidence);
        Assert.Contains("missing: agent_completed", verdict.Evidence);
    }

    [Fact]
    public void Classify_WebSocketSlowEvents_ApplicationNotBandwidth()
    {
        var target = new TargetSpec { Name = "ws", Kind = TargetKinds.WebSocket, Url = "wss://api.lab.test:8443/ws" };
        var observation = new Observation
        {
            Target = "wss://api.lab.test:8443/ws",
            Connected = true,
            Elapsed = TimeSpan.FromSeconds(9),
            Phases = new PhaseTimings { DnsMs = 1, ConnectMs = 1, FirstByteMs = 5, TransferMs = 8900 },
        };

        var verdict = Classifier.Classify(target, observation, [new ConditionResult("[RESPONSE_TIME] < 5s", false, "9s")]);

        Assert.Equal(Layer.Application, verdict.Layer);
    }
}
