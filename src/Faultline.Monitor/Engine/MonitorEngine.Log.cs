using Microsoft.Extensions.Logging;

namespace Faultline.Monitor.Engine;

/// <summary>The monitor's log events (category <c>Faultline.Monitor</c>, ids 400–417), used by the engine and its parts.</summary>
public sealed partial class MonitorEngine
{
    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "{Target}: {From} -> {To}")]
    internal static partial void LogState(ILogger logger, string target, TargetState from, TargetState to);

    [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "incident {Id} opened for {Target} ({Signature}), attributed to {SuppressedBy}")]
    internal static partial void LogOpened(ILogger logger, long id, string target, string signature, string suppressedBy);

    [LoggerMessage(EventId = 402, Level = LogLevel.Information, Message = "incident {Id} of {Target} resolved")]
    internal static partial void LogResolved(ILogger logger, long id, string target);

    [LoggerMessage(EventId = 403, Level = LogLevel.Debug, Message = "{Target}: failure threshold reached; waiting for a dependency's next result before opening an incident")]
    internal static partial void LogDeferred(ILogger logger, string target);

    [LoggerMessage(EventId = 404, Level = LogLevel.Information, Message = "{Event} alert for {Target} held: {Reason}")]
    internal static partial void LogHeld(ILogger logger, AlertEventKind @event, string target, string reason);

    [LoggerMessage(EventId = 405, Level = LogLevel.Debug, Message = "{Event} alert for {Target} not sent: another replica holds the alert lease")]
    internal static partial void LogNotLeader(ILogger logger, AlertEventKind @event, string target);

    [LoggerMessage(EventId = 406, Level = LogLevel.Debug, Message = "{EventName} of incident {Id} was already sent")]
    internal static partial void LogAlreadySent(ILogger logger, string eventName, long id);

    [LoggerMessage(EventId = 407, Level = LogLevel.Information, Message = "this replica now sends the alerts (alert lease taken)")]
    internal static partial void LogLeaseTaken(ILogger logger);

    [LoggerMessage(EventId = 408, Level = LogLevel.Warning, Message = "alert lease lost; retrying to take it")]
    internal static partial void LogLeaseLost(ILogger logger);

    [LoggerMessage(EventId = 409, Level = LogLevel.Error, Message = "writing {Count} results to the history store failed")]
    internal static partial void LogWriteFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 410, Level = LogLevel.Error, Message = "retention of the history store failed; retrying in an hour")]
    internal static partial void LogRetentionFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 411, Level = LogLevel.Warning, Message = "{Target}: a probe overran its interval; the slot it covered was skipped")]
    internal static partial void LogSkipped(ILogger logger, string target);

    [LoggerMessage(EventId = 412, Level = LogLevel.Information, Message = "config applied: {Targets} targets")]
    internal static partial void LogReloaded(ILogger logger, int targets);

    [LoggerMessage(EventId = 413, Level = LogLevel.Information, Message = "monitor stopping")]
    internal static partial void LogStopping(ILogger logger);

    [LoggerMessage(EventId = 414, Level = LogLevel.Error, Message = "{Target}: the monitor could not probe it ({Reason}); trying again in {Retry}")]
    internal static partial void LogProbeError(ILogger logger, string target, string reason, string retry);

    [LoggerMessage(EventId = 415, Level = LogLevel.Debug, Message = "{Target}: the failed attempt in full: {Detail}")]
    internal static partial void LogProbeErrorDetail(ILogger logger, string target, string detail);

    [LoggerMessage(EventId = 416, Level = LogLevel.Error, Message = "{Target}: the failed attempt could not be reported ({Reason}); trying again")]
    internal static partial void LogProbeErrorNotReported(ILogger logger, string target, string reason);

    [LoggerMessage(EventId = 417, Level = LogLevel.Warning, Message = "incident {Id} of {Target}, which left the config, could not be resolved in the history store ({Reason}); it stays open there")]
    internal static partial void LogRemovedIncidentNotResolved(ILogger logger, long id, string target, string reason);
}
