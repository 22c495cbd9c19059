using Faultline.Core.Model;

namespace Faultline.Monitor;

/// <summary>A target's state in the monitor (JSON lowercase).</summary>
public enum TargetState
{
    /// <summary>No verdict yet: fewer results than a threshold.</summary>
    Pending,
    Up,

    /// <summary>Passing, but slower than <c>degradedAbove</c>.</summary>
    Degraded,

    /// <summary>An incident is open.</summary>
    Down,

    /// <summary>Changing state more often than <c>monitor.flapChanges</c> per <c>monitor.flapWindow</c>.</summary>
    Flapping,

    /// <summary>
    /// The monitor itself failed to probe the target (its probe or its schedule threw): its real state is unknown.
    /// Left at the next probe that completes.
    /// </summary>
    Error,
}

/// <summary>What an alert announces (JSON lowercase).</summary>
public enum AlertEventKind
{
    Open,
    Resolve,
    Reminder,
}

/// <summary>One probe result of the monitor: <c>{ "type": "result", ... }</c>.</summary>
public sealed record ResultEvent
{
    public required string Target { get; init; }

    /// <summary>When the probe was due.</summary>
    public required DateTimeOffset ScheduledAt { get; init; }

    /// <summary>When it started (ScheduledAt + jitter + lag).</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>The result, redacted, as <c>check</c> reports it.</summary>
    public required TargetResult Result { get; init; }
}

/// <summary>A target changed state: <c>{ "type": "state", ... }</c>.</summary>
public sealed record StateEvent
{
    public required string Target { get; init; }

    public required DateTimeOffset At { get; init; }

    public required TargetState From { get; init; }

    public required TargetState To { get; init; }

    /// <summary>The open incident of this target, when there is one.</summary>
    public long? IncidentId { get; init; }

    /// <summary>Set when the target's failure is attributed to a failing parent (dependsOn): its alerts are suppressed.</summary>
    public string? SuppressedBy { get; init; }

    /// <summary>layer/error-kind of the failure, e.g. <c>database/connect-timeout</c>; <c>monitor/probe-error</c> for <see cref="TargetState.Error"/>.</summary>
    public string? Signature { get; init; }

    /// <summary>Why the monitor could not probe the target (exception type and message, redacted), when <see cref="To"/> is <see cref="TargetState.Error"/>.</summary>
    public string? Reason { get; init; }
}

/// <summary>One failed attempt to probe a target: the probe function or the target's schedule threw.</summary>
public sealed record TargetErrorEvent
{
    public required string Target { get; init; }

    public required DateTimeOffset At { get; init; }

    /// <summary>Exception type and message, redacted of the config's secrets (not escaped: show it with <c>SafeText.OneLine</c>).</summary>
    public required string Reason { get; init; }

    /// <summary>How many attempts in a row have failed, this one included.</summary>
    public required int Consecutive { get; init; }
}

/// <summary>An incident as alerts announce it.</summary>
public sealed record IncidentInfo
{
    public required long Id { get; init; }

    public required string Target { get; init; }

    public required Layer Layer { get; init; }

    public required Side Side { get; init; }

    public required string Signature { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset? ResolvedAt { get; init; }

    /// <summary>Children whose failures were attributed to this incident (their alerts were suppressed).</summary>
    public IReadOnlyList<string> Suppressed { get; init; } = [];
}

/// <summary>An incident notification: <c>{ "type": "alert", ... }</c>; the alert channels send it.</summary>
public sealed record AlertEvent
{
    public required AlertEventKind Event { get; init; }

    public required DateTimeOffset At { get; init; }

    public required IncidentInfo Incident { get; init; }

    public IReadOnlyList<string> Evidence { get; init; } = [];

    public string? Remedy { get; init; }

    /// <summary>One line in words: "api: database infrastructure — connect to 127.0.0.1:5432 refused".</summary>
    public required string Summary { get; init; }

    /// <summary>Names of the <c>alerts:</c> entries to notify (the target's <c>alerts</c>).</summary>
    public IReadOnlyList<string> Channels { get; init; } = [];

    /// <summary>Reminder number (1, 2, ...) for <see cref="AlertEventKind.Reminder"/>; 0 otherwise.</summary>
    public int Sequence { get; init; }
}

/// <summary>Receives everything the monitor engine produces, in order per target.</summary>
public interface IMonitorSink
{
    ValueTask OnResultAsync(ResultEvent result, CancellationToken cancellationToken);

    ValueTask OnStateAsync(StateEvent state, CancellationToken cancellationToken);

    /// <summary>Called only for alerts this replica must send (it holds the lease, the event was not yet recorded, no maintenance window holds it).</summary>
    ValueTask OnAlertAsync(AlertEvent alert, CancellationToken cancellationToken);
}
