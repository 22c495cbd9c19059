namespace Faultline.Monitor.Engine;

/// <summary>
/// Optionally implemented by an <see cref="IMonitorSink"/> that counts every failed attempt to probe a target
/// (the state event reports only the change into <see cref="TargetState.Error"/>): the CLI feeds
/// <c>faultline_target_errors_total</c> from it.
/// </summary>
public interface IMonitorErrorSink
{
    ValueTask OnTargetErrorAsync(TargetErrorEvent error, CancellationToken cancellationToken);
}
