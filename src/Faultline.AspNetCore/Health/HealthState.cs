using Faultline.Core.Model;

namespace Faultline.AspNetCore.Health;

/// <summary>healthy | degraded | unhealthy | unknown (not checked yet).</summary>
internal enum ComponentStatus
{
    Unknown,
    Healthy,
    Degraded,
    Unhealthy,
}

/// <summary>One component of <c>/health/infrastructure</c>, as the last background round saw it.</summary>
internal sealed record ComponentState
{
    public required string Name { get; init; }

    public ComponentStatus Status { get; init; }

    public Layer Layer { get; init; }

    /// <summary>Set when the component is not healthy: who owns the fix.</summary>
    public Side? Side { get; init; }

    public bool Critical { get; init; } = true;

    public double? LatencyMs { get; init; }

    public DateTimeOffset? LastCheckedAt { get; init; }

    public string? ErrorKind { get; init; }

    public string? Remedy { get; init; }

    /// <summary>The circuit breaker guarding this component's checks (its name), or null.</summary>
    public string? Breaker { get; init; }

    /// <summary>The use of the dependency's connection pool when a driver package built one and it exists; else null.</summary>
    public Pools.PoolUsage? Pool { get; init; }
}

/// <summary>The latest snapshot of the background evaluation. Endpoints only read it.</summary>
internal sealed class HealthState
{
    private IReadOnlyDictionary<string, ComponentState> _components = new Dictionary<string, ComponentState>(StringComparer.Ordinal);
    private long _rounds;

    public IReadOnlyDictionary<string, ComponentState> Components => Volatile.Read(ref _components);

    /// <summary>Completed evaluation rounds.</summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    public void Publish(IReadOnlyDictionary<string, ComponentState> components, bool roundCompleted)
    {
        Volatile.Write(ref _components, components);
        if (roundCompleted)
        {
            Interlocked.Increment(ref _rounds);
        }
    }
}
