using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Reporting;
using Faultline.Store;
using Microsoft.Extensions.Logging;

namespace Faultline.Monitor.Engine;

/// <summary>An alert the engine decided on: which entity, which event, of which incident, when (and which reminder).</summary>
internal sealed record PendingAlert(TargetTracker Tracker, AlertEventKind Kind, StoredIncident Incident, DateTimeOffset At, int Sequence);

/// <summary>
/// Decides whether an alert leaves this replica: only the replica holding the store's alert lease sends (it takes
/// the lease when free, at most once per shortest interval, and on taking over announces open incidents no replica
/// announced); an alert inside a maintenance window is held (shown, not sent); each incident event is sent once
/// across replicas (recorded in the store). Also builds what an alert says, and when a reminder is due.
/// </summary>
internal sealed class AlertGate(IHistoryStore? store, IMonitorSink sink, Func<FaultlineConfig> config, Func<IEnumerable<TargetTracker>> trackers, ILogger logger) : IAsyncDisposable
{
    private IAlertLease? _lease;
    private DateTimeOffset _nextLeaseAttempt = DateTimeOffset.MinValue;

    /// <summary>Sends <paramref name="pending"/> through the sink when this replica may, outside maintenance, and not sent before.</summary>
    public async Task SendAsync(PendingAlert pending, CancellationToken cancellationToken)
    {
        var tracker = pending.Tracker;
        var alert = Build(pending);
        if (!await EnsureLeaseAsync(pending.At, cancellationToken).ConfigureAwait(false))
        {
            MonitorEngine.LogNotLeader(logger, alert.Event, SafeText.OneLine(tracker.Name));
            return;
        }

        var window = config().Monitor.Maintenance.FirstOrDefault(w => w.From <= pending.At && pending.At < w.Until
            && (w.Targets.Count == 0 || w.Targets.Contains(tracker.Name, StringComparer.Ordinal) || w.Targets.Contains(tracker.Owner, StringComparer.Ordinal)));
        if (window is not null)
        {
            MonitorEngine.LogHeld(logger, alert.Event, SafeText.OneLine(tracker.Name), SafeText.OneLine(window.Reason ?? "maintenance"));
            if (sink is IMonitorHeldAlertSink held)
            {
                await held.OnAlertHeldAsync(alert, "maintenance", cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        var eventName = pending.Kind switch
        {
            AlertEventKind.Open => "open",
            AlertEventKind.Resolve => "resolve",
            _ => $"reminder-{pending.Sequence}",
        };
        if (store is not null && !await store.TryRecordNotificationAsync(pending.Incident.Id, eventName, pending.At, cancellationToken).ConfigureAwait(false))
        {
            MonitorEngine.LogAlreadySent(logger, eventName, pending.Incident.Id);
            return;
        }

        await sink.OnAlertAsync(alert, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The reminder due for the entity's open incident of its own at <paramref name="at"/>, if any (at most one per probe).</summary>
    public PendingAlert? ReminderDue(TargetTracker tracker, DateTimeOffset at)
    {
        if (config().Monitor.Reminder is not { } every || every <= TimeSpan.Zero || tracker.Incident is not { SuppressedBy: null } incident)
        {
            return null;
        }

        var due = tracker.OpenedAt ?? incident.StartedAt;
        var next = due + TimeSpan.FromTicks(every.Ticks * (tracker.RemindersSent + 1));
        if (at < next)
        {
            return null;
        }

        // One reminder per probe at most: a monitor that was away does not send a burst.
        tracker.RemindersSent = (int)Math.Max(tracker.RemindersSent + 1, (at - due).Ticks / every.Ticks);
        return new PendingAlert(tracker, AlertEventKind.Reminder, incident, at, tracker.RemindersSent);
    }

    /// <summary>True when this replica may send alerts; takes the lease when not held, at most once per shortest interval.</summary>
    public async Task<bool> EnsureLeaseAsync(DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (store is null || _lease is { IsHeld: true })
        {
            return true;
        }

        if (_lease is not null)
        {
            MonitorEngine.LogLeaseLost(logger);
            await _lease.DisposeAsync().ConfigureAwait(false);
            _lease = null;
        }

        if (at < _nextLeaseAttempt)
        {
            return false;
        }

        var targets = config().Targets;
        var retry = targets.Count == 0 ? TargetSpec.DefaultInterval : targets.Min(t => t.Interval);
        _nextLeaseAttempt = at + retry;
        _lease = await store.TryAcquireAlertLeaseAsync(cancellationToken).ConfigureAwait(false);
        if (_lease is null)
        {
            return false;
        }

        MonitorEngine.LogLeaseTaken(logger);

        // Taking over: announce open incidents whose opening no replica recorded (the previous holder died before sending).
        foreach (var tracker in trackers().Where(t => t.Incident is { SuppressedBy: null, ResolvedAt: null }).ToList())
        {
            await SendAsync(new PendingAlert(tracker, AlertEventKind.Open, tracker.Incident!, at, 0), cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Gives up the lease (another replica can take it at once).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_lease is not null)
        {
            await _lease.DisposeAsync().ConfigureAwait(false);
            _lease = null;
        }
    }

    /// <summary>What the alert says: the incident, the evidence and remedy, a one-line summary, the channels.</summary>
    public static AlertEvent Build(PendingAlert pending)
    {
        var incident = pending.Incident;
        var tracker = pending.Tracker;
        var last = tracker.Last;
        var own = string.Equals(incident.Signature, MonitorEngine.ProbeErrorSignature, StringComparison.Ordinal) && tracker.ProbeError is not null;
        var evidence = pending.Kind == AlertEventKind.Resolve || own ? incident.Evidence : (last?.Evidence is { Count: > 0 } e ? e : incident.Evidence);
        var cause = pending.Kind == AlertEventKind.Resolve
            ? "recovered after " + Durations.Describe((pending.At - incident.StartedAt).Duration())
            : own ? "the monitor could not probe it: " + tracker.ProbeError : Cause(last) ?? incident.Signature;
        var suppressed = tracker.SuppressedChildren.ToList();
        return new AlertEvent
        {
            Event = pending.Kind,
            At = pending.At,
            Incident = new IncidentInfo
            {
                Id = incident.Id,
                Target = incident.Target,
                Layer = incident.Layer,
                Side = incident.Side,
                Signature = incident.Signature,
                StartedAt = incident.StartedAt,
                ResolvedAt = incident.ResolvedAt,
                Suppressed = suppressed,
            },
            Evidence = evidence,
            Remedy = incident.Remedy ?? (own ? null : last?.Remedy),
            Summary = $"{incident.Target}: {incident.Layer.Wire()} {incident.Side.Wire()} — {cause}"
                + (suppressed.Count > 0 ? $" (also failing because of it: {string.Join(", ", suppressed)})" : string.Empty),
            Channels = tracker.Spec.Alerts,
            Sequence = pending.Sequence,
        };
    }

    private static string? Cause(TargetResult? last)
    {
        if (last?.Error is { } error)
        {
            return error.Message;
        }

        return last?.Conditions.FirstOrDefault(c => !c.Ok) is { } failed ? $"{failed.Expr} (was {failed.Actual ?? "nothing"})" : null;
    }
}
