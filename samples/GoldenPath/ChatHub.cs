using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Faultline.AspNetCore;
using Npgsql;

namespace GoldenPath;

/// <summary>The authenticated user of a request, from the JWT's <c>sub</c> and <c>uid</c> claims.</summary>
internal sealed record ChatUser(long Id, string Username);

/// <summary>
/// The WebSocket side of the service: accepts sessions once the <c>websocket</c> phase has opened
/// it, ends them when the host stops, and runs one agent run per <c>chat</c> message.
/// </summary>
internal sealed partial class ChatHub(
    ChatDatabase database,
    AnswerCache cache,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    Drills drills,
    ILogger<ChatHub> logger)
{
    /// <summary>Largest client message accepted (bytes); a larger one closes the socket with 1009.</summary>
    public const int MaxMessageBytes = 16 * 1024;

    /// <summary>Longest chat text accepted (characters).</summary>
    public const int MaxTextLength = 2000;

    private int _open;
    private int _sessions;

    public bool IsOpen => Volatile.Read(ref _open) == 1;

    public int Sessions => Volatile.Read(ref _sessions);

    /// <summary>Called by the websocket phase: from now on <c>/ws</c> accepts sessions.</summary>
    public void Open() => Volatile.Write(ref _open, 1);

    public async Task RunAsync(WebSocket socket, ChatUser user, CancellationToken requestAborted)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(user);
        using var session = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, lifetime.ApplicationStopping);
        Interlocked.Increment(ref _sessions);
        LogSessionOpened(logger, user.Username);
        try
        {
            await ReceiveLoopAsync(socket, user, session.Token);
        }
        catch (OperationCanceledException) when (session.IsCancellationRequested)
        {
            // The client went away or the host is stopping.
        }
        catch (WebSocketException ex)
        {
            LogSessionBroken(logger, user.Username, ex);
        }
        finally
        {
            Interlocked.Decrement(ref _sessions);
            LogSessionClosed(logger, user.Username);
        }

        if (lifetime.ApplicationStopping.IsCancellationRequested && socket.State == WebSocketState.Open)
        {
            using var closeTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "server stopping", closeTimeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                LogSessionBroken(logger, user.Username, ex);
            }
        }
    }

    private async Task ReceiveLoopAsync(WebSocket socket, ChatUser user, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxMessageBytes);
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == MaxMessageBytes)
                    {
                        await socket.CloseAsync(WebSocketCloseStatus.MessageTooBig, $"messages are limited to {MaxMessageBytes} bytes", cancellationToken);
                        return;
                    }

                    result = await socket.ReceiveAsync(buffer.AsMemory(length, MaxMessageBytes - length), cancellationToken);
                    length += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", cancellationToken);
                    return;
                }

                if (result.MessageType != WebSocketMessageType.Text)
                {
                    await SendErrorAsync(socket, "unsupported_message", "send text messages: {\"type\":\"chat\",\"text\":\"...\"}", cancellationToken);
                    continue;
                }

                await HandleAsync(socket, user, buffer.AsMemory(0, length), cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task HandleAsync(WebSocket socket, ChatUser user, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        ChatRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<ChatRequest>(message.Span, JsonDefaults.Options);
        }
        catch (JsonException)
        {
            await SendErrorAsync(socket, "invalid_json", "the message is not a JSON object", cancellationToken);
            return;
        }

        if (request is null || !string.Equals(request.Type, "chat", StringComparison.Ordinal))
        {
            await SendErrorAsync(socket, "unknown_type", "the only message type is \"chat\"", cancellationToken);
            return;
        }

        var text = request.Text?.Trim();
        if (string.IsNullOrEmpty(text) || text.Length > MaxTextLength)
        {
            await SendErrorAsync(socket, "invalid_text", $"text must be 1 to {MaxTextLength} characters", cancellationToken);
            return;
        }

        await RunAgentAsync(socket, user, text, cancellationToken);
    }

    /// <summary>One run: started → thinking → tool executing → tool completed → completed → answer.</summary>
    private async Task RunAgentAsync(WebSocket socket, ChatUser user, string text, CancellationToken cancellationToken)
    {
        var runId = Guid.CreateVersion7(time.GetUtcNow());
        LogRunStarted(logger, runId, user.Username);
        await SendAsync(socket, ChatEventTypes.AgentStarted, runId, new StartedPayload(text), cancellationToken);

        var call = CalculatorAgent.Understand(text);
        await SendAsync(
            socket,
            ChatEventTypes.AgentThinking,
            runId,
            new ThinkingPayload(call is null
                ? "no arithmetic question on two numbers found; answering with the fallback"
                : $"an arithmetic question: {call.Expression}; calling the {CalculatorAgent.ToolName} tool"),
            cancellationToken);

        string answer;
        if (call is null)
        {
            answer = CalculatorAgent.FallbackAnswer;
        }
        else
        {
            await SendAsync(socket, ChatEventTypes.ToolExecuting, runId, new ToolExecutingPayload(CalculatorAgent.ToolName, new ToolInput(call.Expression)), cancellationToken);
            var outcome = CalculatorAgent.Evaluate(call);
            answer = outcome.Text;
            if (drills.IsOn(Drills.ToolCompletedMissing))
            {
                // The drill's bug: the tool's completion event is lost; the run goes on to its answer.
                LogDrillSkippedToolCompletion(logger, runId);
            }
            else
            {
                await SendAsync(socket, ChatEventTypes.ToolCompleted, runId, new ToolCompletedPayload(CalculatorAgent.ToolName, outcome.Value is not null, outcome.Text), cancellationToken);
            }
        }

        try
        {
            await database.SaveExchangeAsync(runId, user.Id, CalculatorAgent.Name, text, answer, cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or DependencyUnavailableException)
        {
            // DependencyUnavailableException: the postgres pipeline refused at once (open circuit) or timed the call out.
            LogStoreFailed(logger, runId, ex);
            await SendAsync(socket, ChatEventTypes.Error, runId, new ErrorPayload("storage_unavailable", "the conversation could not be stored; try again"), cancellationToken);
            return;
        }

        bool cached;
        if (drills.IsOn(Drills.CacheBlocksChat))
        {
            // The drill's bug: the answer waits for the cache, however long Redis takes.
            LogDrillUnboundedCacheWrite(logger, runId);
            cached = await cache.StoreLastAnswerUnboundedAsync(user.Username, runId, text, answer, time.GetUtcNow());
        }
        else
        {
            // Through the redis pipeline (Faultline:Requests:redis:Timeout, its breaker): a slow or unreachable Redis costs an uncached answer, not a stalled chat.
            cached = await cache.StoreLastAnswerAsync(user.Username, runId, text, answer, time.GetUtcNow());
        }

        if (drills.IsOn(Drills.AgentCompletedMissing))
        {
            // The drill's bug: the run ends without its completion event (and so without the answer).
            LogDrillSkippedCompletion(logger, runId);
            return;
        }

        await SendAsync(socket, ChatEventTypes.AgentCompleted, runId, new CompletedPayload(answer, Stored: true, cached), cancellationToken);
        await SendAsync(socket, ChatEventTypes.Answer, runId, new AnswerPayload(answer), cancellationToken);
        LogRunCompleted(logger, runId, cached);
    }

    private Task SendErrorAsync(WebSocket socket, string code, string message, CancellationToken cancellationToken) =>
        SendAsync(socket, ChatEventTypes.Error, null, new ErrorPayload(code, message), cancellationToken);

    private async Task SendAsync(WebSocket socket, string type, Guid? runId, object payload, CancellationToken cancellationToken)
    {
        var message = new ChatEvent(type, runId, CalculatorAgent.Name, time.GetUtcNow(), payload);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(message, JsonDefaults.Options);
        await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "WebSocket session opened for {Username}")]
    private static partial void LogSessionOpened(ILogger logger, string username);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "WebSocket session closed for {Username}")]
    private static partial void LogSessionClosed(ILogger logger, string username);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "WebSocket session of {Username} broke")]
    private static partial void LogSessionBroken(ILogger logger, string username, Exception exception);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "Agent run {RunId} started for {Username}")]
    private static partial void LogRunStarted(ILogger logger, Guid runId, string username);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Information, Message = "Agent run {RunId} completed (answer cached: {Cached})")]
    private static partial void LogRunCompleted(ILogger logger, Guid runId, bool cached);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Warning, Message = "Agent run {RunId}: drill agent-completed-missing is on, agent_completed not sent")]
    private static partial void LogDrillSkippedCompletion(ILogger logger, Guid runId);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Warning, Message = "Agent run {RunId}: drill tool-completed-missing is on, tool_completed not sent")]
    private static partial void LogDrillSkippedToolCompletion(ILogger logger, Guid runId);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Warning, Message = "Agent run {RunId}: drill cache-blocks-chat is on, the answer waits for the cache write without a bound")]
    private static partial void LogDrillUnboundedCacheWrite(ILogger logger, Guid runId);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Error, Message = "Agent run {RunId}: the conversation could not be stored")]
    private static partial void LogStoreFailed(ILogger logger, Guid runId, Exception exception);
}
