using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Store;

namespace Faultline.Monitor.Engine;

/// <summary>
/// The state of one monitored entity: a configured target, or a component seen inside a remote target
/// (which takes its thresholds from that target). Mutated only under the engine's lock.
/// </summary>
internal sealed class TargetTracker(string name, string owner, TargetSpec spec, ISet<TargetTracker>? deferred = null)
{
    private bool _openDeferred;
    private readonly double[] _durations = new double[MonitorEngine.RecentResults];
    private int _durationCount;
    private int _durationNext;

    public string Name { get; } = name;

    /// <summary>The configured target this entity belongs to.</summary>
    public string Owner { get; } = owner;

    public bool IsComponent => !string.Equals(Name, Owner, StringComparison.Ordinal);

    /// <summary>The owner's spec (thresholds, interval, alerts, dependsOn).</summary>
    public TargetSpec Spec { get; set; } = spec;

    /// <summary>The entity's state by thresholds, flapping and failed attempts.</summary>
    public TargetStateMachine State { get; } = new();

    /// <summary>What the user sees (<see cref="TargetStateMachine.Shown"/>).</summary>
    public TargetState Shown => State.Shown;

    /// <summary>Why the last attempt to probe failed; null once a probe completes.</summary>
    public string? ProbeError => State.ProbeError;

    /// <summary>The open incident is the monitor's own (<see cref="MonitorEngine.ProbeErrorSignature"/>): it resolves at the next completed probe.</summary>
    public bool ProbeErrorIncident { get; set; }

    public TargetResult? Last { get; private set; }

    public DateTimeOffset? LastStartedAt { get; private set; }

    public DateTimeOffset? LastAt { get; private set; }

    public bool LastFailed => Last is { Status: ResultStatus.Fail };

    public Dictionary<string, int> Signatures { get; } = new(StringComparer.Ordinal);

    public string? LastSignature { get; private set; }

    /// <summary>Names this entity depends on: the spec's dependsOn and, for a remote target, its inside components.</summary>
    public IReadOnlyList<string> Dependencies { get; private set; } = [];

    /// <summary>The open incident (own or attributed to a parent), or null.</summary>
    public StoredIncident? Incident { get; set; }

    public int RemindersSent { get; set; }

    /// <summary>When the open incident was opened by this monitor (reminders count from it).</summary>
    public DateTimeOffset? OpenedAt { get; set; }

    /// <summary>The threshold of failures was reached, but a dependency has not been probed since: waiting for it before opening.</summary>
    /// <remarks>A tracker waiting is also in the set given at construction, so finding the waiting ones need not look at every tracker.</remarks>
    public bool OpenDeferred
    {
        get => _openDeferred;
        set
        {
            _openDeferred = value;
            if (value)
            {
                deferred?.Add(this);
            }
            else
            {
                deferred?.Remove(this);
            }
        }
    }

    /// <summary>Entities whose incidents were attributed to this one's failure.</summary>
    public SortedSet<string> SuppressedChildren { get; } = new(StringComparer.Ordinal);

    /// <summary>Records a failed attempt to probe (no result: the entity's counts and last result stay as they were).</summary>
    public void RecordProbeError(string reason, DateTimeOffset at)
    {
        State.RecordProbeError(reason, at);
        Signatures[MonitorEngine.ProbeErrorSignature] = Signatures.GetValueOrDefault(MonitorEngine.ProbeErrorSignature) + 1;
    }

    /// <summary>Records a result; returns its signature when it failed. A result ends a run of failed attempts.</summary>
    public string? Record(TargetResult result, DateTimeOffset startedAt, DateTimeOffset at)
    {
        State.Record(result.Status, startedAt);
        Last = result;
        LastStartedAt = startedAt;
        LastAt = at;
        Dependencies = [.. Spec.DependsOn.Where(_ => !IsComponent), .. result.DependsOn.Where(d => !Spec.DependsOn.Contains(d, StringComparer.Ordinal))];
        _durations[_durationNext] = result.DurationMs;
        _durationNext = (_durationNext + 1) % _durations.Length;
        _durationCount = Math.Min(_durationCount + 1, _durations.Length);

        if (result.Status != ResultStatus.Fail)
        {
            return null;
        }

        var signature = SignatureOf(result);
        Signatures[signature] = Signatures.GetValueOrDefault(signature) + 1;
        LastSignature = signature;
        return signature;
    }

    /// <summary>layer/error-kind; a failure without a typed error (a condition did not hold) is <c>layer/condition-failed</c>.</summary>
    public static string SignatureOf(TargetResult result) =>
        $"{(result.Layer ?? Layer.Unknown).Wire()}/{result.Error?.Kind ?? "condition-failed"}";

    /// <summary>The passing state of the last result: Degraded when slower than degradedAbove.</summary>
    public TargetState PassingState() =>
        Spec.DegradedAbove is { } slow && Last is { } last && last.DurationMs > slow.TotalMilliseconds ? TargetState.Degraded : TargetState.Up;

    public (double? P50, double? P95) Percentiles()
    {
        if (_durationCount == 0)
        {
            return (null, null);
        }

        var sorted = _durations.AsSpan(0, _durationCount).ToArray();
        Array.Sort(sorted);
        return (Percentile(sorted, 0.50), Percentile(sorted, 0.95));
    }

    /// <summary>Nearest-rank percentile.</summary>
    private static double Percentile(double[] sorted, double p)
    {
        var rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public TargetStatus ToStatus()
    {
        var (p50, p95) = Percentiles();
        return new TargetStatus
        {
            Name = Name,
            Owner = Owner,
            State = Shown,
            LastStatus = Last?.Status,
            Layer = LastFailed ? Last!.Layer : null,
            Side = LastFailed ? Last!.Side : null,
            P50Ms = p50,
            P95Ms = p95,
            LastChange = State.LastChange,
            LastResultAt = LastAt,
            IncidentId = Incident?.Id,
            SuppressedBy = Incident?.SuppressedBy,
            ProbeError = ProbeError,
            Signatures = new Dictionary<string, int>(Signatures, StringComparer.Ordinal),
        };
    }
}
