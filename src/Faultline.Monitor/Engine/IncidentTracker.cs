using System.Globalization;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Faultline.Core.Reporting;
using Faultline.Store;
using Microsoft.Extensions.Logging;

namespace Faultline.Monitor.Engine;

/// <summary>
/// Opens and resolves incidents over the dependency graph of the monitored entities. A failure whose root (by the
/// same causal model as a check report: <c>dependsOn</c>, the service's inside view, an optional dependency a
/// critical path waits on) is another failing entity is attributed to that root and stays quiet; a root's
/// announcement names the dependents failing because of it. Incidents live in the history store (one row per
/// entity shared by replicas), or in memory without one. Called under the engine's lock.
/// </summary>
internal sealed class IncidentTracker(IReadOnlyDictionary<string, TargetTracker> trackers, IHistoryStore? store, ILogger logger)
{
    private long _nextLocalIncident;

    /// <summary>
    /// The root the tracker's latest failure follows from (<see cref="Causality.Analyze"/> over every entity's
    /// latest result); null when the failure is a root itself.
    /// </summary>
    public TargetTracker? FailingRoot(TargetTracker tracker) => FailingRoot(tracker, LatestCausality());

    /// <summary>
    /// True while a dependency (or the service whose inside view this entity's failure may follow from) has no
    /// result taken after this run of failures began, and its next one is still due within its interval: the
    /// engine waits for it before announcing anything, so the root cause is known first.
    /// </summary>
    public bool WaitForDependency(TargetTracker tracker, DateTimeOffset at, bool anyService, TimeSpan defaultTimeout, Func<string, bool> isScheduled)
    {
        if (tracker.State.FailingSince is not { } since)
        {
            return false;
        }

        // Inferring the service looks at every latest result: only worth it when the config has a service at all.
        var service = anyService && tracker.Last is { } last ? Causality.ServiceOf(last with { Name = tracker.Name }, LatestResults()) : null;
        foreach (var name in service is null ? tracker.Dependencies : [.. tracker.Dependencies, service])
        {
            if (!trackers.TryGetValue(name, out var dependency))
            {
                continue;
            }

            var fresh = dependency.LastStartedAt is { } started && started >= since;
            var deadline = since + dependency.Spec.Interval + TimeSpan.FromTicks((long)(dependency.Spec.Interval.Ticks * Schedule.JitterShare)) + (dependency.Spec.Timeout ?? defaultTimeout);
            if (!fresh && at < deadline && isScheduled(dependency.Owner))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Opens the entity's incident from its latest failure, attributed to <paramref name="root"/> when given (then
    /// quiet: null is returned). Otherwise the dependents failing because of it are listed and the opening alert returned.
    /// </summary>
    public async Task<PendingAlert?> OpenAsync(TargetTracker tracker, TargetTracker? root, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var last = tracker.Last!;
        var incident = await StoreAsync(
            new StoredIncident
            {
                Id = 0,
                Target = tracker.Name,
                Layer = last.Layer ?? Layer.Unknown,
                Side = last.Side ?? Side.Infrastructure,
                Signature = tracker.LastSignature ?? TargetTracker.SignatureOf(last),
                StartedAt = tracker.State.FailingSince ?? at,
                SuppressedBy = root?.Name,
                Evidence = last.Evidence,
                Remedy = last.Remedy,
            },
            cancellationToken).ConfigureAwait(false);
        tracker.Incident = incident;
        tracker.OpenedAt = at;
        MonitorEngine.LogOpened(logger, incident.Id, SafeText.OneLine(tracker.Name), SafeText.OneLine(incident.Signature), SafeText.OneLine(incident.SuppressedBy ?? "-"));
        if (incident.SuppressedBy is { } parent)
        {
            if (trackers.TryGetValue(parent, out var parentTracker))
            {
                parentTracker.SuppressedChildren.Add(tracker.Name);
            }

            return null;
        }

        // Dependents failing right now fail because of this: the announcement names them, and they stay quiet.
        var causality = LatestCausality();
        foreach (var dependent in trackers.Values.Where(d => d != tracker && d.LastFailed).ToList())
        {
            if (FailingRoot(dependent, causality) == tracker)
            {
                tracker.SuppressedChildren.Add(dependent.Name);
            }
        }

        return new PendingAlert(tracker, AlertEventKind.Open, incident, at, 0);
    }

    /// <summary>The monitor's own incident: it could not probe the target <c>failureThreshold</c> times in a row.</summary>
    public async Task<PendingAlert> OpenProbeErrorAsync(TargetTracker tracker, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var state = tracker.State;
        var since = state.ProbeErrorSince ?? at;
        var incident = await StoreAsync(
            new StoredIncident
            {
                Id = 0,
                Target = tracker.Name,
                Layer = Layer.Unknown,
                Side = Side.Infrastructure,
                Signature = MonitorEngine.ProbeErrorSignature,
                StartedAt = since,
                Evidence =
                [
                    $"the monitor could not probe {tracker.Name}: {state.ProbeError}",
                    $"{state.ConsecutiveProbeErrors} attempts in a row failed since {since.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture)}Z; the target's own state is unknown",
                ],
                Remedy = "Faultline failed before it could observe the target: check the target's settings (timeout, interval) and the monitor's log (events 414 and 415) for the exception.",
            },
            cancellationToken).ConfigureAwait(false);
        tracker.Incident = incident;
        tracker.ProbeErrorIncident = true;
        tracker.OpenedAt = at;
        tracker.RemindersSent = 0;
        MonitorEngine.LogOpened(logger, incident.Id, SafeText.OneLine(tracker.Name), SafeText.OneLine(incident.Signature), "-");
        return new PendingAlert(tracker, AlertEventKind.Open, incident, at, 0);
    }

    /// <summary>Resolves the entity's open incident; its resolve alert is added to <paramref name="alerts"/> unless it was attributed (quiet).</summary>
    public async Task ResolveAsync(TargetTracker tracker, DateTimeOffset at, List<PendingAlert> alerts, CancellationToken cancellationToken)
    {
        if (tracker.Incident is not { } open)
        {
            return;
        }

        var resolved = store is null ? null : await store.ResolveIncidentAsync(tracker.Name, at, cancellationToken).ConfigureAwait(false);
        tracker.Incident = null;
        var incident = (resolved ?? open) with { ResolvedAt = resolved?.ResolvedAt ?? at };
        MonitorEngine.LogResolved(logger, incident.Id, SafeText.OneLine(tracker.Name));
        if (open.SuppressedBy is null)
        {
            alerts.Add(new PendingAlert(tracker, AlertEventKind.Resolve, incident, at, 0));
        }
    }

    /// <summary>
    /// The parent no longer fails (or its incident resolved): children attributed to it that still fail lose the
    /// attribution and are returned, to be judged again on their own from a fresh count (a service that needs a
    /// moment to come back after its dependency did is not announced as a second incident). Children recovering
    /// keep it and resolve quietly at their success threshold.
    /// </summary>
    public async Task<IReadOnlyList<TargetTracker>> ReleaseChildrenAsync(TargetTracker parent, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var children = parent.SuppressedChildren.ToList();
        parent.SuppressedChildren.Clear();
        List<TargetTracker> released = [];
        foreach (var name in children)
        {
            if (!trackers.TryGetValue(name, out var child) || child.Incident is not { SuppressedBy: not null } attributed
                || !string.Equals(attributed.SuppressedBy, parent.Name, StringComparison.Ordinal) || !child.LastFailed)
            {
                continue;
            }

            if (store is not null)
            {
                await store.ResolveIncidentAsync(child.Name, at, cancellationToken).ConfigureAwait(false);
            }

            child.Incident = null;
            released.Add(child);
        }

        return released;
    }

    /// <summary>
    /// Takes up the incidents the store holds open for entities of <paramref name="owners"/>: their own ones as down,
    /// the monitor's own (probe error) ones to resolve at the first completed probe, attributions re-linked.
    /// </summary>
    public async Task RestoreAsync(IReadOnlyDictionary<string, TargetSpec> owners, Func<string, TargetSpec, TargetTracker> trackerFor, CancellationToken cancellationToken)
    {
        if (store is null)
        {
            return;
        }

        foreach (var incident in await store.OpenIncidentsAsync(cancellationToken).ConfigureAwait(false))
        {
            var slash = incident.Target.IndexOf('/', StringComparison.Ordinal);
            var ownerName = owners.ContainsKey(incident.Target) || slash < 0 ? incident.Target : incident.Target[..slash];
            if (!owners.TryGetValue(ownerName, out var owner))
            {
                continue;
            }

            var tracker = trackerFor(incident.Target, owner);
            tracker.Incident = incident;
            tracker.State.LastChange = incident.StartedAt;
            if (string.Equals(incident.Signature, MonitorEngine.ProbeErrorSignature, StringComparison.Ordinal))
            {
                // The monitor's own incident says nothing about the target: it starts from pending and the
                // incident resolves at its first completed probe.
                tracker.ProbeErrorIncident = true;
            }
            else
            {
                tracker.State.RestoreDown(incident.StartedAt);
            }
        }

        foreach (var tracker in trackers.Values.Where(t => t.Incident?.SuppressedBy is not null))
        {
            if (trackers.TryGetValue(tracker.Incident!.SuppressedBy!, out var parent))
            {
                parent.SuppressedChildren.Add(tracker.Name);
            }
        }
    }

    /// <summary>
    /// An entity leaves the config: its open incident is resolved quietly in the store (a store that fails here is
    /// logged and the incident stays open there, so a reload is never left half applied) and no one names it any more.
    /// </summary>
    public async Task ForgetAsync(TargetTracker tracker, DateTimeOffset now, SecretRedactor redactor, CancellationToken cancellationToken)
    {
        if (tracker.Incident is not null && store is not null)
        {
            try
            {
                await store.ResolveIncidentAsync(tracker.Name, now, cancellationToken).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // A store that fails here must not leave a reload half applied: the incident stays open in the store (logged), the target is removed.
            catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
            {
                MonitorEngine.LogRemovedIncidentNotResolved(logger, tracker.Incident.Id, SafeText.OneLine(tracker.Name), SafeText.OneLine($"{ex.GetType().Name}: {redactor.Redact(ex.Message)}"));
            }
        }

        foreach (var other in trackers.Values)
        {
            other.SuppressedChildren.Remove(tracker.Name);
        }
    }

    private TargetTracker? FailingRoot(TargetTracker tracker, CausalAnalysis causality) =>
        causality.RootOf.TryGetValue(tracker.Name, out var root) && trackers.TryGetValue(root, out var found) && found != tracker ? found : null;

    /// <summary>Every entity's latest result, with the dependencies the monitor tracks.</summary>
    private List<TargetResult> LatestResults() => trackers.Values
        .Where(t => t.Last is not null)
        .Select(t => t.Last! with { Name = t.Name, DependsOn = t.Dependencies })
        .ToList();

    private CausalAnalysis LatestCausality() => Causality.Analyze(LatestResults());

    private async Task<StoredIncident> StoreAsync(StoredIncident incident, CancellationToken cancellationToken) =>
        store is null
            ? incident with { Id = Interlocked.Increment(ref _nextLocalIncident) }
            : await store.OpenIncidentAsync(incident, cancellationToken).ConfigureAwait(false);
}
