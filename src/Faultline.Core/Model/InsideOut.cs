namespace Faultline.Core.Model;

/// <summary>One event a WebSocket probe received, in arrival order.</summary>
/// <param name="Name">The value of the event field (<c>type</c> by default); null when the message had none.</param>
/// <param name="LatencyMs">Milliseconds from sending the message to receiving this event.</param>
/// <param name="Expected">True when the name is one of the expected events.</param>
public sealed record WebSocketEvent(string? Name, double LatencyMs, bool Expected);

/// <summary>What a WebSocket probe saw after the upgrade: the events, in order, and what was missing.</summary>
public sealed record WebSocketObservation
{
    /// <summary>The subprotocol the server chose, if any.</summary>
    public string? SubProtocol { get; init; }

    /// <summary>True when a login step ran and returned a token.</summary>
    public bool LoggedIn { get; init; }

    /// <summary>True once the message was sent.</summary>
    public bool Sent { get; init; }

    /// <summary>Every message received, in order (at most a few hundred).</summary>
    public IReadOnlyList<WebSocketEvent> Events { get; init; } = [];

    /// <summary>The expected events as configured (optional ones end with <c>?</c>).</summary>
    public IReadOnlyList<string> Expected { get; init; } = [];

    /// <summary>Required expected events that did not arrive.</summary>
    public IReadOnlyList<string> Missing { get; init; } = [];

    /// <summary>The text of the last message received (the answer, when the service sends one last), secrets removed.</summary>
    public string? Answer { get; init; }

    /// <summary>The close status the server sent, when it closed the socket (e.g. <c>1000 NormalClosure</c>).</summary>
    public string? CloseStatus { get; init; }

    public string? CloseDescription { get; init; }
}

/// <summary>What a service reported about itself: its <c>/health/infrastructure</c> document or its termination message.</summary>
public sealed record RemoteObservation
{
    /// <summary><c>endpoint</c> (the health document), <c>termination-file</c> (the service is down and left a termination message) or <c>none</c>.</summary>
    public required string Source { get; init; }

    public string? Service { get; init; }

    public string? Environment { get; init; }

    /// <summary>The service's own verdict: healthy, degraded or unhealthy.</summary>
    public string? Status { get; init; }

    /// <summary>How far the service's startup got, as its document says (<c>completed</c>, <c>running</c>, <c>failed</c>, ...); null when it does not say.</summary>
    public string? Startup { get; init; }

    public string? NetworkPathOverall { get; init; }

    public int? NetworkPathDegraded { get; init; }

    public IReadOnlyList<string> Remedies { get; init; } = [];

    /// <summary>The termination message, when the service is down and left one.</summary>
    public TerminationMessage? Termination { get; init; }

    /// <summary>Why the inside view could not be read, when it could not (file missing, not JSON, ...).</summary>
    public string? Problem { get; init; }
}

/// <summary>The one-line JSON a service writes when its startup fails: <c>{ phase, layer, side, errorKind, message, attempts, elapsedMs }</c>.</summary>
public sealed record TerminationMessage
{
    public string? Phase { get; init; }

    public Layer? Layer { get; init; }

    public Side? Side { get; init; }

    public string? ErrorKind { get; init; }

    public string? Message { get; init; }

    public int? Attempts { get; init; }

    public double? ElapsedMs { get; init; }

    /// <summary>When the file was last written.</summary>
    public DateTimeOffset? WrittenAt { get; init; }
}

/// <summary>One dependency as the service sees it from inside.</summary>
public sealed record ComponentObservation
{
    /// <summary>
    /// The failed startup phase a termination message names, as a component of <paramref name="service"/>'s inside view:
    /// unhealthy, with the layer, side, error kind, message and attempts the message gives.
    /// </summary>
    public static ComponentObservation FromTermination(TerminationMessage termination, string service)
    {
        ArgumentNullException.ThrowIfNull(termination);
        return new ComponentObservation
        {
            Name = termination.Phase ?? "startup",
            Status = "unhealthy",
            Layer = termination.Layer,
            Side = termination.Side,
            LatencyMs = termination.ElapsedMs,
            ErrorKind = termination.ErrorKind,
            Message = termination.Message,
            Source = ComponentSources.TerminationFile,
            Service = service,
            Attempts = termination.Attempts,
        };
    }

    /// <summary>The component's name in the service's report (<c>database</c>), or the failed startup phase.</summary>
    public required string Name { get; init; }

    /// <summary>As reported: healthy, degraded, unhealthy (other health words are accepted).</summary>
    public required string Status { get; init; }

    public Layer? Layer { get; init; }

    public Side? Side { get; init; }

    public bool Critical { get; init; } = true;

    public double? LatencyMs { get; init; }

    public DateTimeOffset? LastCheckedAt { get; init; }

    /// <summary>The error kind as the service reported it (a wire name such as <c>connect-timeout</c>).</summary>
    public string? ErrorKind { get; init; }

    /// <summary>closed, open or half-open.</summary>
    public string? Breaker { get; init; }

    /// <summary>A detail line the service chose to publish, secrets removed.</summary>
    public string? Message { get; init; }

    /// <summary><c>endpoint</c> or <c>termination-file</c>.</summary>
    public required string Source { get; init; }

    /// <summary>The service that reported it.</summary>
    public string? Service { get; init; }

    /// <summary>Startup attempts (termination message only).</summary>
    public int? Attempts { get; init; }
}

/// <summary>Where a <see cref="ComponentObservation"/> came from.</summary>
public static class ComponentSources
{
    /// <summary>The service's <c>/health/infrastructure</c> document.</summary>
    public const string Endpoint = "endpoint";

    /// <summary>The termination message a service wrote when its startup failed.</summary>
    public const string TerminationFile = "termination-file";
}
