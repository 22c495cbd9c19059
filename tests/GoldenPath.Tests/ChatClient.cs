using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace GoldenPath.Tests;

/// <summary>Drives the sample's API like a client would: register, login, one chat over the WebSocket.</summary>
internal static class ChatClient
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public static Task<HttpResponseMessage> RegisterAsync(HttpClient client, string username, string password) =>
        client.PostAsJsonAsync(new Uri("api/register", UriKind.Relative), new { username, password });

    public static Task<HttpResponseMessage> LoginAsync(HttpClient client, string username, string password) =>
        client.PostAsJsonAsync(new Uri("api/login", UriKind.Relative), new { username, password });

    /// <summary>Reads <c>{ "token": ... }</c> from a register or login answer.</summary>
    public static async Task<string> TokenAsync(HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("token").GetString()!;
    }

    public static Uri WebSocketUri(Uri baseAddress, string? accessToken = null)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        var builder = new UriBuilder(new Uri(baseAddress, "ws")) { Scheme = "ws" };
        if (accessToken is not null)
        {
            builder.Query = "access_token=" + Uri.EscapeDataString(accessToken);
        }

        return builder.Uri;
    }

    /// <summary>Opens /ws with the token as a bearer header.</summary>
    public static async Task<ClientWebSocket> ConnectAsync(Uri baseAddress, string? bearer, string? accessToken = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (bearer is not null)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + bearer);
        }

        using var timeout = new CancellationTokenSource(Deadline);
        await socket.ConnectAsync(WebSocketUri(baseAddress, accessToken), timeout.Token);
        return socket;
    }

    /// <summary>Sends one chat message and collects server messages until <c>answer</c> or <c>error</c>.</summary>
    public static async Task<IReadOnlyList<JsonElement>> ChatAsync(ClientWebSocket socket, string text)
    {
        ArgumentNullException.ThrowIfNull(socket);
        using var timeout = new CancellationTokenSource(Deadline);
        var request = JsonSerializer.SerializeToUtf8Bytes(new { type = "chat", text });
        await socket.SendAsync(request, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        var events = new List<JsonElement>();
        while (true)
        {
            var message = await ReceiveAsync(socket, timeout.Token);
            using var json = JsonDocument.Parse(message);
            var element = json.RootElement.Clone();
            events.Add(element);
            var type = element.GetProperty("type").GetString();
            if (type is "answer" or "error")
            {
                return events;
            }
        }
    }

    public static async Task<string> ReceiveAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var buffer = new byte[8192];
        using var message = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException($"the server closed the socket: {result.CloseStatus} {result.CloseStatusDescription}");
            }

            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);
        return Encoding.UTF8.GetString(message.ToArray());
    }

    /// <summary>Tries to open /ws and returns the HTTP status of the refused upgrade.</summary>
    public static async Task<HttpStatusCode> RefusedUpgradeStatusAsync(Uri baseAddress, string? bearer, string? accessToken = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (bearer is not null)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + bearer);
        }

        using var timeout = new CancellationTokenSource(Deadline);
        var refused = await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(WebSocketUri(baseAddress, accessToken), timeout.Token));
        Assert.NotNull(refused);
        return socket.HttpStatusCode;
    }

    /// <summary>Register, then a full chat over the WebSocket with a bearer header; returns the events.</summary>
    public static async Task<(string Username, string Token, IReadOnlyList<JsonElement> Events)> GoldenPathAsync(HttpClient client, string question)
    {
        ArgumentNullException.ThrowIfNull(client);
        var username = TestStack.NewUsername();
        const string password = "correct horse battery";
        using (var registered = await RegisterAsync(client, username, password))
        {
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        }

        using var login = await LoginAsync(client, username, password);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var token = await TokenAsync(login);
        using var socket = await ConnectAsync(client.BaseAddress!, token);
        var events = await ChatAsync(socket, question);
        using var close = new CancellationTokenSource(Deadline);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", close.Token);
        return (username, token, events);
    }
}
