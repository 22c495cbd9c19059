using Faultline.AspNetCore.Health;

namespace Faultline.AspNetCore.Pools;

/// <summary>
/// The connections of one dependency's pool at one moment, as the driver itself counts them: <see cref="Busy"/>
/// handed out (or being opened), <see cref="Idle"/> open and free, <see cref="Max"/> the most it may open,
/// <see cref="Waiting"/> requests waiting for a free one, <see cref="Timeouts"/> waits that gave up since the pool was built.
/// </summary>
internal readonly record struct PoolUsage(int Busy, int Idle, int Max, int Waiting, long Timeouts)
{
    /// <summary>Busy connections as a share of the maximum (0 when the maximum is unknown).</summary>
    public double Utilization => Max > 0 ? Math.Round((double)Busy / Max, 3) : 0;
}

/// <summary>Reads the pool of one dependency; a driver package registers one for each pool it builds.</summary>
internal interface IPoolUsageReader
{
    /// <summary>The dependency (component) the pool belongs to.</summary>
    string Dependency { get; }

    /// <summary>The pool's use now; null while the pool does not exist (nothing has asked for it yet) or cannot be read.</summary>
    PoolUsage? Read();
}

/// <summary>How full a pool is, judged from its <see cref="PoolUsage"/>.</summary>
internal enum PoolLoad
{
    /// <summary>Under <see cref="PoolDefaults.WarnRatio"/> of the maximum busy.</summary>
    Normal,

    /// <summary>At or above <see cref="PoolDefaults.WarnRatio"/> busy, nobody waiting: the component is degraded.</summary>
    High,

    /// <summary>Every connection busy and requests waiting: the component is unhealthy (<c>pool-exhausted</c>).</summary>
    Exhausted,
}

/// <summary>The pure rule from pool use to a component status (README, "Pool use in /health/infrastructure").</summary>
internal static class PoolJudge
{
    public static PoolLoad Judge(PoolUsage usage)
    {
        if (usage.Max <= 0)
        {
            return PoolLoad.Normal;
        }

        if (usage.Busy >= usage.Max && usage.Waiting > 0)
        {
            return PoolLoad.Exhausted;
        }

        // busy / max >= 0.8, in integers.
        return usage.Busy * 10 >= usage.Max * (int)(PoolDefaults.WarnRatio * 10) ? PoolLoad.High : PoolLoad.Normal;
    }

    /// <summary>The status a component gets from its pool alone; a worse status from the dependency's own check stands.</summary>
    public static ComponentStatus StatusOf(PoolLoad load) => load switch
    {
        PoolLoad.Exhausted => ComponentStatus.Unhealthy,
        PoolLoad.High => ComponentStatus.Degraded,
        _ => ComponentStatus.Healthy,
    };
}
