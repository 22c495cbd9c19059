using System.Text.Json;
using System.Text.Json.Serialization;

namespace GoldenPath;

/// <summary>JSON settings shared by the HTTP API, the WebSocket messages and the cache: snake_case names.</summary>
internal static class JsonDefaults
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}

/// <summary>The <c>type</c> of every message the server sends over <c>/ws</c>, in the order of a run.</summary>
internal static class ChatEventTypes
{
    public const string AgentStarted = "agent_started";
    public const string AgentThinking = "agent_thinking";
    public const string ToolExecuting = "tool_executing";
    public const string ToolCompleted = "tool_completed";
    public const string AgentCompleted = "agent_completed";

    /// <summary>Sent after <see cref="AgentCompleted"/>: the answer on its own, for clients that only want the text.</summary>
    public const string Answer = "answer";

    /// <summary>A message that could not be handled (bad JSON, unknown type, storage down); the socket stays open.</summary>
    public const string Error = "error";
}

/// <summary>
/// One server message: <c>{ "type", "run_id", "agent_name", "timestamp", "payload" }</c>. The run id
/// ties the events of one question together and is the key of the stored conversation.
/// </summary>
internal sealed record ChatEvent(string Type, Guid? RunId, string AgentName, DateTimeOffset Timestamp, object Payload);

internal sealed record StartedPayload(string Text);

internal sealed record ThinkingPayload(string Thought);

internal sealed record ToolInput(string Expression);

internal sealed record ToolExecutingPayload(string Tool, ToolInput Input);

internal sealed record ToolCompletedPayload(string Tool, bool Ok, string Output);

internal sealed record CompletedPayload(string Answer, bool Stored, bool Cached);

internal sealed record AnswerPayload(string Text);

internal sealed record ErrorPayload(string Code, string Message);

/// <summary>What the client sends: <c>{ "type": "chat", "text": "what is 6 times 7?" }</c>.</summary>
internal sealed record ChatRequest(string? Type, string? Text);
