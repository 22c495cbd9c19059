using Faultline.Core.Model;
using Faultline.Core.Reporting;
using Faultline.Core.Running;

namespace Faultline.Monitor.Engine;

/// <summary>What a probe's results and a failed attempt do: the state machine, incidents, alerts and history, under the engine's lock.</summary>
public sealed partial class MonitorEngine
{
    /// <summary>The longest reason kept for a failed attempt.</summary>
    private const int LongestReason = 300;

    private async Task ProcessAsync(ScheduledTarget scheduled, DateTimeOffset due, DateTimeOffset startedAt, IReadOnlyList<TargetResult> results, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (results.Count == 0 || !_scheduler.IsCurrent(scheduled))
            {
                return;
            }

            var at = _time.GetUtcNow();
            await _alerts.EnsureLeaseAsync(at, cancellationToken).ConfigureAwait(false);

            // Components first: the target's own result rests on them (the root-cause rule picks the deeper one).
            var ordered = results.Skip(1).Append(results[0]).ToList();
            foreach (var result in ordered)
            {
                var tracker = TrackerFor(result.Name, scheduled.Target);
                await _sink.OnResultAsync(new ResultEvent { Target = result.Name, ScheduledAt = due, StartedAt = startedAt, Result = result }, cancellationToken).ConfigureAwait(false);
                _writer.Enqueue(result, due, at);
                await ObserveAsync(tracker, result, startedAt, at, cancellationToken).ConfigureAwait(false);
            }

            // A fresh result may be the evidence a dependent waited for before opening its incident.
            foreach (var waiting in _deferred.Count == 0 ? [] : _trackers.Values.Where(t => t.OpenDeferred).ToList())
            {
                await TryGoDownAsync(waiting, at, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task ObserveAsync(TargetTracker tracker, TargetResult result, DateTimeOffset startedAt, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var shownBefore = tracker.Shown;
        List<PendingAlert> alerts = [];
        if (tracker.ProbeErrorIncident)
        {
            // The monitor probes the target again: its own incident is over, whatever this result says.
            tracker.ProbeErrorIncident = false;
            await _incidents.ResolveAsync(tracker, at, alerts, cancellationToken).ConfigureAwait(false);
        }

        tracker.Record(result, startedAt, at);
        var spec = tracker.Spec;
        var state = tracker.State;
        var step = state.Judge(result.Status, tracker.PassingState(), spec.FailureThreshold, spec.SuccessThreshold, at);
        if (step == StateStep.FailureThresholdReached && await TryGoDownAsync(tracker, at, cancellationToken, shownBefore).ConfigureAwait(false))
        {
            // The state event and the opening alert were produced there.
            await SendAllAsync(alerts, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (result.Status != ResultStatus.Fail)
        {
            tracker.OpenDeferred = false;
            if (step == StateStep.Recovered)
            {
                await _incidents.ResolveAsync(tracker, at, alerts, cancellationToken).ConfigureAwait(false);
            }

            if (alerts.Count == 0 && tracker.Incident is null && tracker.SuppressedChildren.Count > 0)
            {
                // This parent passes without an incident of its own: children attributed to its failure stand on their own again.
                await ReleaseChildrenAsync(tracker, at, cancellationToken).ConfigureAwait(false);
            }
        }

        UpdateFlapping(tracker, at);
        await EmitStateAsync(tracker, shownBefore, at, cancellationToken).ConfigureAwait(false);
        await SendAllAsync(alerts, cancellationToken).ConfigureAwait(false);
        if (state.Base == TargetState.Down && _alerts.ReminderDue(tracker, at) is { } reminder)
        {
            await _alerts.SendAsync(reminder, cancellationToken).ConfigureAwait(false);
        }

        if (alerts.Count > 0)
        {
            // The incident resolved: its children still failing are judged again, on their own.
            await ReleaseChildrenAsync(tracker, at, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The failure threshold is reached: open the incident (own, or attributed to a failing dependency)
    /// and go Down, unless a dependency has not been probed since this run of failures began — then wait
    /// for its next result (at most one of its intervals), so the root cause is known before anything is announced.
    /// Returns true when the tracker went down (the state event and alert were produced).
    /// </summary>
    private async Task<bool> TryGoDownAsync(TargetTracker tracker, DateTimeOffset at, CancellationToken cancellationToken, TargetState? shownBefore = null)
    {
        if (tracker.State.Base == TargetState.Down || !tracker.LastFailed)
        {
            tracker.OpenDeferred = false;
            return false;
        }

        var before = shownBefore ?? tracker.Shown;
        var root = _incidents.FailingRoot(tracker);
        if (root is null && _incidents.WaitForDependency(tracker, at, _anyService, _config.Defaults.Timeout, _scheduler.IsScheduled))
        {
            if (!tracker.OpenDeferred)
            {
                LogDeferred(_logger, SafeText.OneLine(tracker.Name));
            }

            tracker.OpenDeferred = true;
            return false;
        }

        tracker.OpenDeferred = false;
        tracker.State.GoDown(at);
        tracker.RemindersSent = 0;
        var pending = await _incidents.OpenAsync(tracker, root, at, cancellationToken).ConfigureAwait(false);
        UpdateFlapping(tracker, at);
        await EmitStateAsync(tracker, before, at, cancellationToken).ConfigureAwait(false);
        if (pending is not null)
        {
            await _alerts.SendAsync(pending, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Children attributed to <paramref name="parent"/> that still fail go back to pending with a fresh count.</summary>
    private async Task ReleaseChildrenAsync(TargetTracker parent, DateTimeOffset at, CancellationToken cancellationToken)
    {
        foreach (var child in await _incidents.ReleaseChildrenAsync(parent, at, cancellationToken).ConfigureAwait(false))
        {
            var before = child.Shown;
            child.State.Restart(at);
            await EmitStateAsync(child, before, at, cancellationToken).ConfigureAwait(false);
        }
    }

    private void UpdateFlapping(TargetTracker tracker, DateTimeOffset at)
    {
        var monitor = _config.Monitor;
        tracker.State.UpdateFlapping(at, monitor.FlapWindow, monitor.FlapChanges);
    }

    private async Task SendAllAsync(List<PendingAlert> alerts, CancellationToken cancellationToken)
    {
        foreach (var alert in alerts)
        {
            await _alerts.SendAsync(alert, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task EmitStateAsync(TargetTracker tracker, TargetState before, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (!tracker.State.ShownChanged(before, at))
        {
            return;
        }

        LogState(_logger, SafeText.OneLine(tracker.Name), before, tracker.Shown);
        await _sink.OnStateAsync(
            new StateEvent
            {
                Target = tracker.Name,
                At = at,
                From = before,
                To = tracker.Shown,
                IncidentId = tracker.Incident?.Id,
                SuppressedBy = tracker.Incident?.SuppressedBy,
                Signature = tracker.ProbeError is not null ? ProbeErrorSignature : tracker.LastFailed ? tracker.LastSignature : null,
                Reason = tracker.ProbeError,
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A failed attempt to probe: logged (escaped, redacted), counted, and shown — the target enters the Error state
    /// with the reason, and after <c>failureThreshold</c> failed attempts in a row an incident of the monitor's own
    /// (<see cref="ProbeErrorSignature"/>) opens and alerts, unless the target already has an incident open.
    /// Never throws: a sink or store that fails while this is reported is logged too.
    /// </summary>
    private async Task ReportProbeErrorAsync(ScheduledTarget scheduled, Exception exception, TimeSpan retry, CancellationToken cancellationToken)
    {
        var target = scheduled.Target;
        var name = SafeText.OneLine(target.Name);
        string reason;
        try
        {
            var redactor = SecretRedactor.Of(Config.Secrets);
            reason = ProbeErrorReason(exception, redactor);
            LogProbeError(_logger, name, SafeText.OneLine(reason), Durations.Describe(retry));
            LogProbeErrorDetail(_logger, name, SafeText.Escape(redactor.Redact(exception.ToString())));
        }
#pragma warning disable CA1031 // Describing the exception must not be what stops the loop (a message getter can throw too).
        catch (Exception ex)
#pragma warning restore CA1031
        {
            reason = exception.GetType().Name;
            LogProbeError(_logger, name, reason + $" (its message could not be read: {ex.GetType().Name})", Durations.Describe(retry));
        }

        var locked = false;
        try
        {
            await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
            locked = true;
            if (!_scheduler.IsCurrent(scheduled))
            {
                return;
            }

            var at = _time.GetUtcNow();
            var tracker = TrackerFor(target.Name, target);
            var before = tracker.Shown;
            tracker.RecordProbeError(reason, at);
            if (_sink is IMonitorErrorSink errors)
            {
                await errors.OnTargetErrorAsync(new TargetErrorEvent { Target = tracker.Name, At = at, Reason = reason, Consecutive = tracker.State.ConsecutiveProbeErrors }, cancellationToken).ConfigureAwait(false);
            }

            PendingAlert? open = null;
            if (tracker.Incident is null && tracker.State.ConsecutiveProbeErrors >= tracker.Spec.FailureThreshold)
            {
                open = await _incidents.OpenProbeErrorAsync(tracker, at, cancellationToken).ConfigureAwait(false);
            }

            await EmitStateAsync(tracker, before, at, cancellationToken).ConfigureAwait(false);
            if (open is not null)
            {
                await _alerts.SendAsync(open, cancellationToken).ConfigureAwait(false);
            }
            else if (tracker.Incident is not null && _alerts.ReminderDue(tracker, at) is { } reminder)
            {
                await _alerts.SendAsync(reminder, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the loop ends at its next wait.
        }
#pragma warning disable CA1031 // Reporting goes through the sink and the store; one of them failing is logged, and the loop goes on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogProbeErrorNotReported(_logger, name, SafeText.OneLine($"{ex.GetType().Name}: {SecretRedactor.Of(Config.Secrets).Redact(ex.Message)}"));
        }
        finally
        {
            if (locked)
            {
                _lock.Release();
            }
        }
    }

    /// <summary>The reason shown for a failed attempt: the exception's type and message, redacted and cut to <see cref="LongestReason"/> characters.</summary>
    private static string ProbeErrorReason(Exception exception, SecretRedactor redactor)
    {
        var reason = $"{exception.GetType().Name}: {redactor.Redact(exception.Message)}".Trim();
        return reason.Length <= LongestReason ? reason : string.Concat(reason.AsSpan(0, LongestReason - 1), "…");
    }
}
