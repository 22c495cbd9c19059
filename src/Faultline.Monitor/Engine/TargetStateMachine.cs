using Faultline.Core.Model;

namespace Faultline.Monitor.Engine;

/// <summary>What a result asks of the engine once the state machine has taken it.</summary>
internal enum StateStep
{
    /// <summary>Nothing beyond the state change (if any) the machine made itself.</summary>
    None,

    /// <summary>The failure threshold is reached and the entity is not down yet: the engine decides whether it goes down (and opens an incident) now.</summary>
    FailureThresholdReached,

    /// <summary>A down entity passed its success threshold: it is up (or degraded) again and its incident resolves.</summary>
    Recovered,
}

/// <summary>
/// The state of one monitored entity by thresholds: pending → up / degraded → down, back by the success
/// threshold; flapping when its base state changed <c>flapChanges</c> times inside <c>flapWindow</c>; error while
/// the monitor itself cannot probe it. Pure: no I/O, no clock of its own (every call is given the time), no
/// async — the engine calls it under its lock and acts on the <see cref="StateStep"/> it returns.
/// </summary>
internal sealed class TargetStateMachine
{
    /// <summary>The state by thresholds alone (never Flapping or Error).</summary>
    public TargetState Base { get; private set; } = TargetState.Pending;

    public bool Flapping { get; private set; }

    /// <summary>What the user sees: <see cref="TargetState.Error"/> while the monitor cannot probe, else flapping, else the base state.</summary>
    public TargetState Shown => ProbeError is not null ? TargetState.Error : Flapping ? TargetState.Flapping : Base;

    public int ConsecutiveFailures { get; private set; }

    public int ConsecutivePasses { get; private set; }

    /// <summary>When the probe that began the current run of failures started.</summary>
    public DateTimeOffset? FailingSince { get; private set; }

    /// <summary>When what the user sees last changed (or the base state did).</summary>
    public DateTimeOffset? LastChange { get; set; }

    /// <summary>Why the last attempt to probe failed (the probe or the schedule threw); null once a probe completes.</summary>
    public string? ProbeError { get; private set; }

    /// <summary>When the current run of failed attempts began.</summary>
    public DateTimeOffset? ProbeErrorSince { get; private set; }

    /// <summary>Failed attempts in a row.</summary>
    public int ConsecutiveProbeErrors { get; private set; }

    /// <summary>Times of base-state changes inside the flap window.</summary>
    private readonly Queue<DateTimeOffset> _changes = new();

    /// <summary>Base-state changes still inside the flap window.</summary>
    public int RecentChanges => _changes.Count;

    /// <summary>Records a failed attempt to probe (no result: the counts stay as they were).</summary>
    public void RecordProbeError(string reason, DateTimeOffset at)
    {
        if (ProbeError is null)
        {
            ProbeErrorSince = at;
            ConsecutiveProbeErrors = 0;
        }

        ProbeError = reason;
        ConsecutiveProbeErrors++;
    }

    /// <summary>Counts a result (a result ends a run of failed attempts). <paramref name="startedAt"/> is when its probe started.</summary>
    public void Record(ResultStatus status, DateTimeOffset startedAt)
    {
        ProbeError = null;
        ProbeErrorSince = null;
        ConsecutiveProbeErrors = 0;
        if (status == ResultStatus.Fail)
        {
            if (ConsecutiveFailures == 0)
            {
                FailingSince = startedAt;
            }

            ConsecutiveFailures++;
            ConsecutivePasses = 0;
            return;
        }

        ConsecutivePasses++;
        ConsecutiveFailures = 0;
        FailingSince = null;
    }

    /// <summary>
    /// Judges the result just <see cref="Record">recorded</see>: a pass moves a pending or down entity to
    /// <paramref name="passing"/> once <paramref name="successThreshold"/> passes are in a row (and any other to
    /// <paramref name="passing"/> at once: up ↔ degraded); a failure asks to go down once
    /// <paramref name="failureThreshold"/> failures are in a row. Going down is the engine's decision
    /// (<see cref="GoDown"/>): it may wait for a dependency's next result first.
    /// </summary>
    public StateStep Judge(ResultStatus status, TargetState passing, int failureThreshold, int successThreshold, DateTimeOffset at)
    {
        if (status == ResultStatus.Fail)
        {
            return Base != TargetState.Down && ConsecutiveFailures >= failureThreshold ? StateStep.FailureThresholdReached : StateStep.None;
        }

        switch (Base)
        {
            case TargetState.Down when ConsecutivePasses >= successThreshold:
                SetBase(passing, at);
                return StateStep.Recovered;
            case TargetState.Down:
                return StateStep.None;
            case TargetState.Pending when ConsecutivePasses >= successThreshold:
                SetBase(passing, at);
                return StateStep.None;
            case TargetState.Pending:
                return StateStep.None;
            default:
                SetBase(passing, at);
                return StateStep.None;
        }
    }

    /// <summary>Goes down (the engine opened or attributed the incident).</summary>
    public void GoDown(DateTimeOffset at) => SetBase(TargetState.Down, at);

    /// <summary>Back to pending with a fresh failure count: a dependent judged again on its own after its parent recovered.</summary>
    public void Restart(DateTimeOffset at)
    {
        ConsecutiveFailures = 0;
        FailingSince = null;
        SetBase(TargetState.Pending, at);
    }

    /// <summary>Restores a state kept in the history store: an open incident of the entity's own means it is down.</summary>
    public void RestoreDown(DateTimeOffset since)
    {
        Base = TargetState.Down;
        LastChange = since;
    }

    /// <summary>
    /// Enters or leaves flapping: flapping once <paramref name="flapChanges"/> base-state changes fall inside
    /// <paramref name="flapWindow"/> (0 turns flapping off); quiet again after a whole window without a change.
    /// </summary>
    public void UpdateFlapping(DateTimeOffset at, TimeSpan flapWindow, int flapChanges)
    {
        while (_changes.TryPeek(out var first) && first <= at - flapWindow)
        {
            _changes.Dequeue();
        }

        if (!Flapping && flapChanges > 0 && _changes.Count >= flapChanges)
        {
            Flapping = true;
        }
        else if (Flapping && LastChange is { } last && at - last >= flapWindow)
        {
            Flapping = false;
        }
    }

    /// <summary>
    /// Marks that what the user sees changed from <paramref name="before"/> at <paramref name="at"/>; true when it did
    /// (the engine then announces the change). Staying pending is not a change.
    /// </summary>
    public bool ShownChanged(TargetState before, DateTimeOffset at)
    {
        if (Shown == before)
        {
            return false;
        }

        if (before != TargetState.Pending || Shown != TargetState.Pending)
        {
            LastChange = at;
        }

        return true;
    }

    private void SetBase(TargetState state, DateTimeOffset at)
    {
        if (Base == state)
        {
            return;
        }

        // Leaving Pending is the first verdict, not a change: it does not count towards flapping.
        if (Base != TargetState.Pending)
        {
            _changes.Enqueue(at);
        }

        Base = state;
        LastChange = at;
    }
}
