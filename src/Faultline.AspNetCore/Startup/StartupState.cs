using Faultline.Core.Model;

namespace Faultline.AspNetCore.Startup;

/// <summary>running → completed (every critical phase passed, optional ones too) | degraded (an optional phase failed) | failed (a critical phase failed).</summary>
internal enum StartupStatus
{
    Running,
    Completed,
    Degraded,
    Failed,
}

internal enum PhaseStatus
{
    Pending,
    Running,
    Succeeded,
    Failed,

    /// <summary>Not run: a critical phase failed before it could start.</summary>
    Skipped,

    /// <summary>Interrupted: a critical phase failed elsewhere, or the host stopped.</summary>
    Cancelled,
}

/// <summary>Where a phase failure is: layer, side, the typed error (null when a condition failed rather than a probe), the message and a remedy.</summary>
internal sealed record PhaseFailure(Layer Layer, Side Side, ErrorKind? Kind, string Message, string? Remedy);

/// <summary>One line of the startup timeline.</summary>
internal sealed record PhaseEntry
{
    public required string Name { get; init; }

    public required IReadOnlyList<string> DependsOn { get; init; }

    public required bool Critical { get; init; }

    public PhaseStatus Status { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? EndedAt { get; init; }

    public double? DurationMs { get; init; }

    public int Attempts { get; init; }

    public PhaseFailure? Failure { get; init; }

    /// <summary>The phase's budget, set when it starts.</summary>
    public TimeSpan? Budget { get; init; }

    /// <summary>The phase used its slow share of the budget: set while it runs, kept after it ends.</summary>
    public bool Slow { get; init; }

    /// <summary>Share of the budget used (2 decimals) when a slow phase was last recorded: at the crossing, then at its end; null unless slow.</summary>
    public double? BudgetShare { get; init; }
}

/// <summary>The fatal failure: what stderr, the timeline and the termination-message file say.</summary>
internal sealed record StartupFailure(string Phase, Layer Layer, Side Side, ErrorKind? Kind, string Message, int Attempts, double ElapsedMs);

/// <summary>An immutable view of the startup for the endpoints.</summary>
internal sealed record StartupSnapshot(
    StartupStatus Status,
    FaultlineProfile Profile,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    IReadOnlyList<PhaseEntry> Phases,
    StartupFailure? Failure)
{
    public bool IsComplete => Status is StartupStatus.Completed or StartupStatus.Degraded;
}

/// <summary>The startup timeline and outcome, written by the plan runner, read by endpoints and <c>RunFaultlineAsync</c>. Thread-safe.</summary>
internal sealed class StartupState
{
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private StartupSnapshot _snapshot = new(StartupStatus.Running, FaultlineProfile.Production, null, null, [], null);

    public StartupSnapshot Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>Completes when the plan has an outcome (completed, degraded or failed).</summary>
    public Task Done => _done.Task;

    public void Begin(FaultlineProfile profile, DateTimeOffset startedAt, IEnumerable<PhaseEntry> phases) =>
        Update(s => s with { Profile = profile, StartedAt = startedAt, Phases = [.. phases] });

    public void UpdatePhase(string name, Func<PhaseEntry, PhaseEntry> change) =>
        Update(s => s with { Phases = [.. s.Phases.Select(p => string.Equals(p.Name, name, StringComparison.Ordinal) ? change(p) : p)] });

    public void Finish(StartupStatus status, DateTimeOffset at, StartupFailure? failure)
    {
        Update(s => s with { Status = status, CompletedAt = at, Failure = failure ?? s.Failure });
        _done.TrySetResult();
    }

    private void Update(Func<StartupSnapshot, StartupSnapshot> change)
    {
        lock (_gate)
        {
            Volatile.Write(ref _snapshot, change(_snapshot));
        }
    }
}
