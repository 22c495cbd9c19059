using Faultline.Core.Reporting;
using Microsoft.Extensions.Logging;

namespace Faultline.Monitor.Alerts;

/// <summary>
/// Log messages of alert delivery (event ids 6100–6129). Destinations are <c>scheme://host:port</c> only. Callers pass
/// text that a probed server, a receiver or a command produced (summaries, signatures, delivery details, a command's
/// output) through <see cref="SafeText.OneLine"/>: a log line shows control characters as escapes, never raw.
/// </summary>
internal static partial class AlertLog
{
    [LoggerMessage(EventId = 6101, Level = LogLevel.Warning, Message = "alert {AlertEvent} of incident {IncidentId} names channel {Channel}, which is not configured; skipped")]
    public static partial void UnknownChannel(ILogger logger, string alertEvent, long incidentId, string channel);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Debug, Message = "alert {AlertEvent} #{Sequence} of incident {IncidentId} is already queued or delivered on channel {Channel}; skipped")]
    public static partial void Duplicate(ILogger logger, string alertEvent, int sequence, long incidentId, string channel);

    [LoggerMessage(EventId = 6103, Level = LogLevel.Information, Message = "alert {AlertEvent} of incident {IncidentId} delivered on channel {Channel} ({Destination}) at attempt {Attempt}: {Detail}")]
    public static partial void Delivered(ILogger logger, string alertEvent, long incidentId, string channel, string destination, int attempt, string detail);

    [LoggerMessage(EventId = 6104, Level = LogLevel.Warning, Message = "alert {AlertEvent} of incident {IncidentId} on channel {Channel} ({Destination}): attempt {Attempt} of {Attempts} failed ({Detail}); next attempt in {DelayMs} ms")]
    public static partial void Retrying(ILogger logger, string alertEvent, long incidentId, string channel, string destination, int attempt, int attempts, string detail, long delayMs);

    [LoggerMessage(EventId = 6105, Level = LogLevel.Error, Message = "alert {AlertEvent} of incident {IncidentId} on channel {Channel} ({Destination}) not delivered after {Attempts} attempts: {Detail}")]
    public static partial void GaveUp(ILogger logger, string alertEvent, long incidentId, string channel, string destination, int attempts, string detail);

    [LoggerMessage(EventId = 6106, Level = LogLevel.Error, Message = "alert {AlertEvent} of incident {IncidentId} on channel {Channel} ({Destination}) rejected by the receiver, not retried: {Detail}")]
    public static partial void Rejected(ILogger logger, string alertEvent, long incidentId, string channel, string destination, string detail);

    [LoggerMessage(EventId = 6107, Level = LogLevel.Warning, Message = "alert {AlertEvent} of incident {IncidentId}: channel {Channel} was removed by a configuration reload; delivery dropped")]
    public static partial void ChannelRemoved(ILogger logger, string alertEvent, long incidentId, string channel);

    [LoggerMessage(EventId = 6108, Level = LogLevel.Warning, Message = "alert {AlertEvent} of incident {IncidentId} on channel {Channel} abandoned at shutdown")]
    public static partial void Abandoned(ILogger logger, string alertEvent, long incidentId, string channel);

    [LoggerMessage(EventId = 6109, Level = LogLevel.Warning, Message = "{Pending} alert deliveries still pending after waiting {TimeoutMs} ms")]
    public static partial void FlushTimedOut(ILogger logger, int pending, long timeoutMs);

    [LoggerMessage(EventId = 6110, Level = LogLevel.Warning, Message = "alert {AlertEvent} of incident {IncidentId} dropped: the dispatcher is shut down")]
    public static partial void DroppedAfterDispose(ILogger logger, string alertEvent, long incidentId);

    [LoggerMessage(EventId = 6111, Level = LogLevel.Error, Message = "alert {AlertEvent} of incident {IncidentId} on channel {Channel}: attempt {Attempt} failed with an unexpected {ExceptionType}")]
    public static partial void AttemptCrashed(ILogger logger, string alertEvent, long incidentId, string channel, int attempt, string exceptionType);

    [LoggerMessage(EventId = 6120, Message = "incident {IncidentId} {AlertEvent}: {Target} ({Layer}, {Side}) {Signature} — {Summary}")]
    public static partial void Alert(ILogger logger, LogLevel level, long incidentId, string alertEvent, string target, string layer, string side, string signature, string summary);

    [LoggerMessage(EventId = 6121, Level = LogLevel.Information, Message = "alert command of channel {Channel} exited with {ExitCode}; stdout: {Stdout}; stderr: {Stderr}")]
    public static partial void CommandOutput(ILogger logger, string channel, int exitCode, string stdout, string stderr);

    [LoggerMessage(EventId = 6122, Level = LogLevel.Warning, Message = "alert command of channel {Channel} killed at its deadline; stdout: {Stdout}; stderr: {Stderr}")]
    public static partial void CommandKilled(ILogger logger, string channel, string stdout, string stderr);
}
