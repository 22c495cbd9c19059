using Faultline.Core.Reporting;
using Faultline.Monitor.Alerts;
using Faultline.Monitor.Engine;
using Faultline.Monitor.Metrics;
using Microsoft.Extensions.Logging;

namespace Faultline.Monitor;

/// <summary>
/// What the engine produces, fanned out: the metrics and the alert channels first, then every subscriber in the
/// order it subscribed. A subscriber that throws is logged (escaped, once per kind of failure in a row) and kept.
/// </summary>
internal sealed partial class HostSink(MonitorMetrics metrics, AlertDispatcher dispatcher, ILogger logger) : IMonitorSink, IMonitorHeldAlertSink, IMonitorErrorSink
{
    private readonly Lock _lock = new();
    private IMonitorSink[] _subscribers = [];

    public IDisposable Add(IMonitorSink subscriber)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        lock (_lock)
        {
            _subscribers = [.. _subscribers, subscriber];
        }

        return new Subscription(this, subscriber);
    }

    public async ValueTask OnResultAsync(ResultEvent result, CancellationToken cancellationToken)
    {
        metrics.RecordResult(result, result.StartedAt - result.ScheduledAt);
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            await DeliverAsync(subscriber, static (s, e, ct) => s.OnResultAsync(e, ct), result, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask OnStateAsync(StateEvent state, CancellationToken cancellationToken)
    {
        metrics.RecordState(state);
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            await DeliverAsync(subscriber, static (s, e, ct) => s.OnStateAsync(e, ct), state, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask OnAlertAsync(AlertEvent alert, CancellationToken cancellationToken)
    {
        dispatcher.Enqueue(alert);
        metrics.RecordAlert(alert);
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            await DeliverAsync(subscriber, static (s, e, ct) => s.OnAlertAsync(e, ct), alert, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask OnAlertHeldAsync(AlertEvent alert, string reason, CancellationToken cancellationToken)
    {
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            if (subscriber is IMonitorHeldAlertSink held)
            {
                await DeliverAsync(held, (s, e, ct) => s.OnAlertHeldAsync(e, reason, ct), alert, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask OnTargetErrorAsync(TargetErrorEvent error, CancellationToken cancellationToken)
    {
        metrics.RecordTargetError(error);
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            if (subscriber is IMonitorErrorSink errors)
            {
                await DeliverAsync(errors, static (s, e, ct) => s.OnTargetErrorAsync(e, ct), error, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask ReloadedAsync(ConfigReload reload, CancellationToken cancellationToken)
    {
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            if (subscriber is IMonitorReloadSink reloads)
            {
                await DeliverAsync(reloads, static (s, e, ct) => s.OnConfigReloadAsync(e, ct), reload, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async ValueTask DeliverAsync<TSink, TEvent>(TSink subscriber, Func<TSink, TEvent, CancellationToken, ValueTask> deliver, TEvent item, CancellationToken cancellationToken)
    {
        try
        {
            await deliver(subscriber, item, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // A front end that fails (a closed page, a full pipe) must not stop monitoring: logged, and the next event is delivered again.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogSubscriberFailed(logger, subscriber!.GetType().Name, SafeText.OneLine($"{ex.GetType().Name}: {ex.Message}"));
        }
    }

    private void Remove(IMonitorSink subscriber)
    {
        lock (_lock)
        {
            _subscribers = [.. _subscribers.Where(s => !ReferenceEquals(s, subscriber))];
        }
    }

    [LoggerMessage(EventId = 418, Level = LogLevel.Warning, Message = "a monitor subscriber ({Subscriber}) failed to take an event: {Reason}")]
    private static partial void LogSubscriberFailed(ILogger logger, string subscriber, string reason);

    private sealed class Subscription(HostSink owner, IMonitorSink subscriber) : IDisposable
    {
        public void Dispose() => owner.Remove(subscriber);
    }
}
