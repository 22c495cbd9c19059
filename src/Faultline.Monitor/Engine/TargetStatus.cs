using Faultline.Core.Model;

namespace Faultline.Monitor.Engine;

/// <summary>One monitored entity (a target, or a component seen inside a remote target) as the live view shows it.</summary>
public sealed record TargetStatus
{
    public required string Name { get; init; }

    /// <summary>The configured target this entity belongs to (itself for a target, the remote target for a component).</summary>
    public required string Owner { get; init; }

    public required TargetState State { get; init; }

    /// <summary>The last result's status; null before the first result.</summary>
    public ResultStatus? LastStatus { get; init; }

    /// <summary>The layer of the last failure, when the last result failed.</summary>
    public Layer? Layer { get; init; }

    public Side? Side { get; init; }

    /// <summary>Median duration over the recent results (up to <see cref="MonitorEngine.RecentResults"/>); null before any.</summary>
    public double? P50Ms { get; init; }

    public double? P95Ms { get; init; }

    public DateTimeOffset? LastChange { get; init; }

    public DateTimeOffset? LastResultAt { get; init; }

    public long? IncidentId { get; init; }

    public string? SuppressedBy { get; init; }

    /// <summary>Why the monitor could not probe this entity's target, while <see cref="State"/> is <see cref="TargetState.Error"/>.</summary>
    public string? ProbeError { get; init; }

    /// <summary>How many failures of each signature (layer/error-kind) this entity has had since the monitor started.</summary>
    public IReadOnlyDictionary<string, int> Signatures { get; init; } = new Dictionary<string, int>();
}
