using Faultline.Core.Classification;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.TestSupport;
using static Faultline.Probes.Tests.ProbeHarness;

namespace Faultline.Probes.Tests;

public sealed class WebSocketProbeTests : IAsyncLifetime, IDisposable
{
    private static readonly string[] GoldenPath = ["agent_started", "agent_thinking?", "tool_executing?", "tool_completed?", "agent_completed"];

    private readonly TestCertificates _certs = new();
    private ChatServer _server = null!;

    public async Task InitializeAsync() => _server = await ChatServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _certs.Dispose();

    private TargetSpec Chat(string path = "/ws", string password = ChatServer.Password, IReadOnlyList<string>? expect = null, TimeSpan? deadline = null, string? url = null) => new()
    {
        Name = "golden-path",
        Kind = TargetKinds.WebSocket,
        Url = url ?? _server.WsUrl(path),
        Login = new LoginSpec
        {
            Url = _server.LoginUrl,
            Body = $$"""{"username":"demo","password":"{{password}}"}""",
            TokenPath = "$.token",
        },
        Send = """{"type":"chat","text":"what is 6 times 7?"}""",
        Expect = expect ?? GoldenPath,
        Deadline = deadline,
    };

    [Fact]
    public async Task ProbeAsync_LoginThenChat_RecordsEveryEventInOrderWithLatencies()
    {
        var context = Context();
        var observation = await RunAsync(Chat(expect: [.. GoldenPath, "answer"]), context);

        Assert.Null(observation.Error);
        Assert.True(observation.Connected);
        var ws = Assert.IsType<WebSocketObservation>(observation.WebSocket);
        Assert.True(ws.LoggedIn);
        Assert.True(ws.Sent);
        Assert.Equal(["agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed", "answer"], ws.Events.Select(e => e.Name));
        Assert.All(ws.Events, e => Assert.True(e.Expected));
        Assert.True(ws.Events.Zip(ws.Events.Skip(1)).All(pair => pair.First.LatencyMs <= pair.Second.LatencyMs), "latencies grow in arrival order");
        Assert.Empty(ws.Missing);
        Assert.Contains("42", ws.Answer, StringComparison.Ordinal);
        Assert.Equal(101, observation.Http?.StatusCode);
        Assert.NotNull(observation.Phases.ConnectMs);
        Assert.NotNull(observation.Phases.FirstByteMs);
        Assert.NotNull(observation.Phases.TransferMs);

        Assert.Equal("Bearer " + ChatServer.Token, Assert.Single(_server.UpgradeAuthorizations));
        Assert.Contains("what is 6 times 7?", Assert.Single(_server.Received), StringComparison.Ordinal);
        Assert.Equal("x " + Core.Running.SecretRedactor.Mask, context.Redactor.Redact("x " + ChatServer.Token));
        Assert.Equal("x " + Core.Running.SecretRedactor.Mask, context.Redactor.Redact("x " + ChatServer.Password));
        Assert.DoesNotContain(ChatServer.Token, Json(observation), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_OptionalEventsAbsent_StillSatisfied()
    {
        var observation = await RunAsync(Chat(expect: ["agent_started", "planning?", "agent_completed"]));

        Assert.Null(observation.Error);
        Assert.Equal(["agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed"], observation.WebSocket!.Events.Select(e => e.Name));
        Assert.Equal([true, false, false, false, true], observation.WebSocket.Events.Select(e => e.Expected));
    }

    [Fact]
    public async Task ProbeAsync_AgentCompletedNeverArrives_ReadTimeoutNamesTheMissingEvent()
    {
        var observation = await RunAsync(Chat("/ws/no-completed", deadline: TimeSpan.FromMilliseconds(600)));

        var error = AssertError(observation, ErrorKind.ReadTimeout, "events");
        Assert.StartsWith("agent_completed did not arrive within", error.Message, StringComparison.Ordinal);
        Assert.Contains("arrived: agent_started, agent_thinking, tool_executing, tool_completed", error.Message, StringComparison.Ordinal);
        Assert.Equal(["agent_completed"], observation.WebSocket!.Missing);
        Assert.Equal(4, observation.WebSocket.Events.Count);

        var verdict = Classifier.Classify(Chat(), observation, []);
        Assert.Equal(Layer.Application, verdict.Layer);
        Assert.Equal(Side.Application, verdict.Side);
        Assert.Contains("missing: agent_completed", verdict.Evidence);
    }

    [Fact]
    public async Task ProbeAsync_TargetDeadlineWithoutEventDeadline_StillNamesTheMissingEvent()
    {
        var observation = await RunAsync(Chat("/ws/no-completed"), TimeSpan.FromSeconds(2));

        var error = AssertError(observation, ErrorKind.ReadTimeout, "events");
        Assert.Contains("agent_completed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_ServerClosesEarly_ConnectionClosedWithTheCloseStatus()
    {
        var observation = await RunAsync(Chat("/ws/close-early"));

        var error = AssertError(observation, ErrorKind.ConnectionClosed, "events");
        Assert.Contains("1011 InternalServerError: agent crashed", error.Message, StringComparison.Ordinal);
        Assert.Contains("before agent_completed arrived", error.Message, StringComparison.Ordinal);
        Assert.Equal("1011", error.Code);
        Assert.Equal(["agent_started"], observation.WebSocket!.Events.Select(e => e.Name));

        var verdict = Classifier.Classify(Chat(), observation, []);
        Assert.Equal(Layer.Application, verdict.Layer);
    }

    [Fact]
    public async Task ProbeAsync_EventsOutOfOrder_EventOutOfOrder()
    {
        var observation = await RunAsync(Chat("/ws/out-of-order"));

        var error = AssertError(observation, ErrorKind.EventOutOfOrder, "events");
        Assert.StartsWith("agent_completed arrived before agent_started", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_NoLogin_UpgradeRefusedWith401AndItsHeaders()
    {
        var target = Chat() with { Login = null };

        var observation = await RunAsync(target);

        var error = AssertError(observation, ErrorKind.UnexpectedStatus, "upgrade");
        Assert.Equal("401", error.Code);
        Assert.Equal(401, observation.Http!.StatusCode);
        Assert.Equal("Bearer", observation.Http.Headers["WWW-Authenticate"]);
        Assert.Equal("missing or invalid token", observation.Http.Body);
        Assert.Equal(string.Empty, Assert.Single(_server.UpgradeAuthorizations));

        var verdict = Classifier.Classify(target, observation, []);
        Assert.Equal(Layer.Configuration, verdict.Layer);
        Assert.Equal(Side.Application, verdict.Side);
    }

    [Fact]
    public async Task ProbeAsync_WrongPassword_LoginFailsWithItsStatus()
    {
        var observation = await RunAsync(Chat(password: "wrong-password"));

        var error = AssertError(observation, ErrorKind.UnexpectedStatus, "login");
        Assert.StartsWith($"login at {_server.LoginUrl} failed: HTTP 401", error.Message, StringComparison.Ordinal);
        Assert.Equal(401, observation.Http!.StatusCode);
        Assert.False(observation.WebSocket!.LoggedIn);
        Assert.Empty(_server.UpgradeAuthorizations);
    }

    [Fact]
    public async Task ProbeAsync_TokenPathAbsent_ConfigInvalidNamingTheFields()
    {
        var target = Chat() with { Login = Chat().Login! with { TokenPath = "$.data.accessToken" } };

        var observation = await RunAsync(target);

        var error = AssertError(observation, ErrorKind.ConfigInvalid, "login");
        Assert.Contains("$.data.accessToken", error.Message, StringComparison.Ordinal);
        Assert.Contains("fields: token, user", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(ChatServer.Token, Json(observation), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_NginxAnswers502_KeepsThePageSoTheProxyIsRecognised()
    {
        const string Page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.27.3</center>\r\n</body>\r\n</html>\r\n";
        await using var nginx = TestServers.Http(TestServers.RawResponse(502, "Bad Gateway", Page, "Server: nginx/1.27.3", "Content-Type: text/html"));
        var target = Chat(url: $"ws://127.0.0.1:{nginx.Port}/ws") with { Login = null };

        var observation = await RunAsync(target);

        AssertError(observation, ErrorKind.UnexpectedStatus, "upgrade");
        Assert.Contains("<hr><center>nginx", observation.Http!.Body, StringComparison.Ordinal);
        Assert.Contains("Upgrade: websocket", Assert.Single(nginx.Requests), StringComparison.OrdinalIgnoreCase);
        var verdict = Classifier.Classify(target, observation, []);
        Assert.Equal(Layer.Proxy, verdict.Layer);
        Assert.Equal(Side.Infrastructure, verdict.Side);
        Assert.Contains(verdict.Evidence, e => e.Contains("produced by nginx itself", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ProbeAsync_NothingListens_ConnectionRefused()
    {
        var target = Chat(url: $"ws://127.0.0.1:{TestServers.ClosedPort()}/ws") with { Login = null };

        var observation = await RunAsync(target);

        AssertError(observation, ErrorKind.ConnectionRefused, "connect");
        Assert.False(observation.Connected);
    }

    [Fact]
    public async Task ProbeAsync_ServerNeverAnswersTheUpgrade_ReadTimeoutInUpgrade()
    {
        await using var hung = TestServers.Hung();
        var target = Chat(url: $"ws://127.0.0.1:{hung.Port}/ws") with { Login = null };

        var observation = await RunAsync(target, TimeSpan.FromMilliseconds(800));

        var error = AssertError(observation, ErrorKind.ReadTimeout, "upgrade");
        Assert.Contains("no answer to the WebSocket upgrade", error.Message, StringComparison.Ordinal);
        Assert.True(observation.Connected);
    }

    [Fact]
    public async Task ProbeAsync_Wss_TrustsTheCaFileAndRecordsTheCertificate()
    {
        await using var server = await ChatServer.StartAsync(_certs.Valid("localhost"));
        var target = new TargetSpec
        {
            Name = "golden-path",
            Kind = TargetKinds.WebSocket,
            Url = server.WsUrl(),
            Tls = new TlsSpec { CaFile = _certs.CaFile },
            Headers = new Dictionary<string, string> { ["Authorization"] = "Bearer " + ChatServer.Token },
            Send = """{"type":"chat","text":"hi"}""",
            Expect = GoldenPath,
        };

        var observation = await RunAsync(target);

        Assert.Null(observation.Error);
        Assert.NotNull(observation.Phases.TlsMs);
        Assert.True(observation.Tls!.Trusted);
        Assert.Equal(5, observation.WebSocket!.Events.Count);
    }

    [Fact]
    public async Task ProbeAsync_WssUntrusted_TlsUntrusted()
    {
        await using var server = await ChatServer.StartAsync(_certs.Untrusted("localhost"));
        var target = Chat(url: server.WsUrl()) with { Login = null, Tls = new TlsSpec { CaFile = _certs.CaFile } };

        var observation = await RunAsync(target);

        AssertError(observation, ErrorKind.TlsUntrusted, "tls");
    }

    [Fact]
    public async Task ProbeAsync_HttpUrl_ConfigInvalid()
    {
        var observation = await RunAsync(Chat(url: "http://127.0.0.1:1/ws"));

        AssertError(observation, ErrorKind.ConfigInvalid, "config");
    }
}
