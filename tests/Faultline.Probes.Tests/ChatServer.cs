using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Faultline.Probes.Tests;

/// <summary>
/// A small real chat backend on Kestrel (127.0.0.1, ephemeral port): <c>POST /api/login</c> returns a token
/// for the right password; the WebSocket endpoints need it as a bearer (401 on the upgrade otherwise) and,
/// after the client's message, stream the golden-path events:
/// <list type="bullet">
/// <item><c>/ws</c>: agent_started, agent_thinking, tool_executing, tool_completed, agent_completed, then an answer.</item>
/// <item><c>/ws/no-completed</c>: the same without agent_completed, then silence until the client leaves.</item>
/// <item><c>/ws/close-early</c>: agent_started, then a close frame 1011 "agent crashed".</item>
/// <item><c>/ws/out-of-order</c>: agent_completed before agent_started.</item>
/// </list>
/// </summary>
internal sealed class ChatServer : IAsyncDisposable
{
    public const string Password = "correct-horse-battery";
    public const string Token = "tok-3f9a1c7e5b2d4f60";

    private static readonly string[] GoldenPath = ["agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed"];

    private readonly WebApplication _app;

    private ChatServer(WebApplication app, int port, bool tls)
    {
        _app = app;
        Port = port;
        Tls = tls;
    }

    public int Port { get; }

    public bool Tls { get; }

    /// <summary>The Authorization header of every upgrade request, in order.</summary>
    public ConcurrentQueue<string> UpgradeAuthorizations { get; } = new();

    /// <summary>Every message clients sent over a socket.</summary>
    public ConcurrentQueue<string> Received { get; } = new();

    public string WsUrl(string path = "/ws") => $"{(Tls ? "wss" : "ws")}://127.0.0.1:{Port}{path}";

    public string LoginUrl => $"{(Tls ? "https" : "http")}://127.0.0.1:{Port}/api/login";

    public static async Task<ChatServer> StartAsync(X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        }));
        var app = builder.Build();
        ChatServer? server = null;
        app.UseWebSockets();
        app.MapPost("/api/login", async (HttpContext context) =>
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            var password = body.RootElement.TryGetProperty("password", out var p) ? p.GetString() : null;
            if (password != Password)
            {
                context.Response.StatusCode = 401;
                await context.Response.WriteAsJsonAsync(new { error = "invalid credentials" }, context.RequestAborted);
                return;
            }

            await context.Response.WriteAsJsonAsync(new { token = Token, user = "demo" }, context.RequestAborted);
        });
        app.Map("/ws/{variant?}", async (HttpContext context, string? variant) =>
        {
            server!.UpgradeAuthorizations.Enqueue(context.Request.Headers.Authorization.ToString());
            if (context.Request.Headers.Authorization.ToString() != "Bearer " + Token)
            {
                context.Response.StatusCode = 401;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await context.Response.WriteAsync("missing or invalid token", context.RequestAborted);
                return;
            }

            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = 400;
                return;
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            await server.ChatAsync(socket, variant, context.RequestAborted);
        });

        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        server = new ChatServer(app, new Uri(address).Port, certificate is not null);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ChatAsync(WebSocket socket, string? variant, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        var first = await socket.ReceiveAsync(buffer, cancellationToken);
        if (first.MessageType == WebSocketMessageType.Close)
        {
            return;
        }

        Received.Enqueue(Encoding.UTF8.GetString(buffer, 0, first.Count));
        string[] events = variant switch
        {
            "no-completed" => GoldenPath[..^1],
            "close-early" => GoldenPath[..1],
            "out-of-order" => ["agent_completed", "agent_started"],
            _ => GoldenPath,
        };

        foreach (var name in events)
        {
            await SendAsync(socket, new { type = name, run_id = "run-1", agent_name = "calculator", timestamp = "2026-01-01T00:00:00Z", payload = new { step = name } }, cancellationToken);
        }

        if (variant == "close-early")
        {
            await socket.CloseAsync(WebSocketCloseStatus.InternalServerError, "agent crashed", cancellationToken);
            return;
        }

        if (variant is null)
        {
            await SendAsync(socket, new { type = "answer", text = "6 times 7 is 42" }, cancellationToken);
        }

        // Stay until the client closes (or the server stops).
        while (socket.State == WebSocketState.Open)
        {
            var next = await socket.ReceiveAsync(buffer, cancellationToken);
            if (next.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", cancellationToken);
            }
        }
    }

    private static Task SendAsync(WebSocket socket, object message, CancellationToken cancellationToken) =>
        socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
}
