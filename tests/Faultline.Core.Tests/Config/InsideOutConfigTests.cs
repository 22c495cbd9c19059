using Faultline.Core.Config;
using static Faultline.Core.Tests.Config.ConfigTestSupport;

namespace Faultline.Core.Tests.Config;

/// <summary>The keys of the websocket and remote kinds.</summary>
public class InsideOutConfigTests
{
    /// <summary>The websocket example from the docs, with the password from the environment.</summary>
    internal const string WebSocketExample = """
        targets:
          - name: golden-path
            kind: websocket
            url: wss://api.lab.test:8443/ws
            login: { url: https://api.lab.test:8443/api/login, body: { username: demo, password: "${DEMO_PASSWORD}", remember: true, tries: 3 }, token: "$.token" }
            send: { type: chat, text: "what is 6 times 7?" }
            expect: [agent_started, agent_thinking, tool_executing, tool_completed, agent_completed]
            eventField: type
            deadline: 30s
          - name: api
            kind: remote
            url: https://api.lab.test:8443/health/infrastructure
            apiKey: "${FAULTLINE_API_KEY}"
            terminationFile: ./termination-log
        """;

    private static readonly Func<string, string?> Variables = Env(("DEMO_PASSWORD", "pa\"ss"), ("FAULTLINE_API_KEY", "fl-key-123456"));

    [Fact]
    public void Load_WebSocketAndRemote_MapsEveryKey()
    {
        var config = Load(WebSocketExample, Variables, "/srv/faultline");

        var ws = config.Targets[0];
        Assert.Equal(TargetKinds.WebSocket, ws.Kind);
        Assert.Equal("wss://api.lab.test:8443/ws", ws.Url);
        Assert.Equal("https://api.lab.test:8443/api/login", ws.Login!.Url);
        Assert.Equal("""{"username":"demo","password":"pa\u0022ss","remember":true,"tries":3}""", ws.Login.Body);
        Assert.Equal("$.token", ws.Login.TokenPath);
        Assert.Equal("""{"type":"chat","text":"what is 6 times 7?"}""", ws.Send);
        Assert.Equal(["agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed"], ws.Expect);
        Assert.Equal("type", ws.EventField);
        Assert.Equal(TimeSpan.FromSeconds(30), ws.Deadline);
        Assert.Equal(TimeSpan.FromSeconds(40), ws.Timeout);

        var remote = config.Targets[1];
        Assert.Equal(TargetKinds.Remote, remote.Kind);
        Assert.Equal("fl-key-123456", remote.ApiKey);
        Assert.Equal(Path.GetFullPath("/srv/faultline/termination-log"), remote.TerminationFile);
    }

    [Fact]
    public void Load_SendAsString_KeepsItAsWritten()
    {
        var config = Load("""
            targets:
              - { name: ws, kind: websocket, url: "ws://127.0.0.1:8080/ws", send: "ping", timeout: 5s, deadline: 2s }
            """);

        Assert.Equal("ping", config.Targets[0].Send);
        Assert.Equal(TimeSpan.FromSeconds(5), config.Targets[0].Timeout);
        Assert.Equal("type", config.Targets[0].EventField);
    }

    [Fact]
    public void Load_WebSocketWithHttpUrl_NamesTheSchemes()
    {
        var error = SingleError("""
            targets:
              - { name: ws, kind: websocket, url: "https://api.lab.test/ws" }
            """, 2, 39);

        Assert.Contains("must be an absolute ws:// or wss:// URL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_RemoteWithWsUrl_NamesTheSchemes()
    {
        var error = SingleError("""
            targets:
              - { name: api, kind: remote, url: "ws://api.lab.test/health" }
            """, 2, 37);

        Assert.Contains("must be an absolute http:// or https:// URL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_BadTokenPath_IsAnError()
    {
        var error = SingleError("""
            targets:
              - { name: ws, kind: websocket, url: "ws://h/ws", login: { url: "http://h/login", token: "token" } }
            """, 2, 91);

        Assert.Contains("bad JSON path", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_LoginWithoutUrl_IsAnError()
    {
        var error = SingleError("""
            targets:
              - { name: ws, kind: websocket, url: "ws://h/ws", login: { body: { a: 1 } } }
            """, 2, 59);

        Assert.Contains("missing 'url'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[a, \"?\"]")]
    [InlineData("[a, \"b c\"]")]
    [InlineData("[\"a?b\"]")]
    public void Load_BadEventName_IsAnError(string expect)
    {
        var errors = Errors($$"""
            targets:
              - { name: ws, kind: websocket, url: "ws://h/ws", expect: {{expect}} }
            """);

        Assert.Contains("bad event name", Assert.Single(errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DeadlineNotShorterThanTimeout_IsAnError()
    {
        var error = SingleError("""
            targets:
              - { name: ws, kind: websocket, url: "ws://h/ws", timeout: 5s, deadline: 5s }
            """, 2, 75);

        Assert.Contains("not shorter than its timeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WebSocketKeysOnAnotherKind_AreRejected()
    {
        var errors = Errors("""
            targets:
              - { name: api, kind: http, url: "https://h/", expect: [a], apiKey: k }
            """);

        Assert.Equal(2, errors.Count);
        Assert.All(errors, e => Assert.Contains("does not apply to kind http", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Load_SecretInLoginBody_NeverQuotedInMessages()
    {
        var errors = Errors("""
            targets:
              - { name: ws, kind: websocket, url: "ws://h/ws", login: { url: "nope", body: { password: "${DEMO_PASSWORD}" } } }
            """, Variables);

        Assert.DoesNotContain(errors, e => e.ToString().Contains("pa\"ss", StringComparison.Ordinal));
    }
}
