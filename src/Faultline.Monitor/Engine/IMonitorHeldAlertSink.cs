namespace Faultline.Monitor.Engine;

/// <summary>
/// Optionally implemented by an <see cref="IMonitorSink"/> that wants to show alerts the engine did not
/// send because a maintenance window covered the target (the JSON stream prints them with <c>"held": "maintenance"</c>).
/// </summary>
public interface IMonitorHeldAlertSink
{
    ValueTask OnAlertHeldAsync(AlertEvent alert, string reason, CancellationToken cancellationToken);
}
