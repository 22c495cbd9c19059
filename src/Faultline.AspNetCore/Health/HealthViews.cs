using Faultline.AspNetCore.Resilience;
using Faultline.AspNetCore.Startup;
using Faultline.Core.Model;

namespace Faultline.AspNetCore.Health;

/// <summary>The wire shapes of the health endpoints (camelCase JSON, lowercase status words, Core's wire names).</summary>
internal static class HealthViews
{
    private static readonly HashSet<Layer> PathLayers = [Layer.Dns, Layer.Network, Layer.Tls, Layer.Proxy, Layer.Database, Layer.Cache];

    public static string Wire(this ComponentStatus status) => status.ToString().ToLowerInvariant();

    public static string Wire(this StartupStatus status) => status.ToString().ToLowerInvariant();

    public static string Wire(this PhaseStatus status) => status.ToString().ToLowerInvariant();

    /// <summary>unhealthy: startup failed or a critical component is unhealthy; degraded: anything else short of all healthy; healthy.</summary>
    public static OverallStatus Overall(StartupSnapshot startup, IReadOnlyDictionary<string, ComponentState> components)
    {
        if (startup.Status == StartupStatus.Failed || components.Values.Any(c => c.Critical && c.Status == ComponentStatus.Unhealthy))
        {
            return OverallStatus.Unhealthy;
        }

        if (startup.Status is StartupStatus.Running or StartupStatus.Degraded || components.Values.Any(c => c.Status != ComponentStatus.Healthy))
        {
            return OverallStatus.Degraded;
        }

        return OverallStatus.Healthy;
    }

    /// <summary>Ready: startup complete and every critical component checked and not unhealthy.</summary>
    public static (bool Ready, string Status, IReadOnlyList<string> Failing) Readiness(StartupSnapshot startup, IReadOnlyDictionary<string, ComponentState> components)
    {
        if (startup.Status == StartupStatus.Running)
        {
            return (false, "starting", []);
        }

        if (startup.Status == StartupStatus.Failed)
        {
            return (false, "failed", startup.Failure is { } f ? [f.Phase] : []);
        }

        var failing = components.Values
            .Where(c => c.Critical && c.Status is ComponentStatus.Unhealthy or ComponentStatus.Unknown)
            .Select(c => c.Name)
            .Order(StringComparer.Ordinal)
            .ToList();
        return failing.Count == 0 ? (true, "ready", []) : (false, "not-ready", failing);
    }

    public static object Infrastructure(string service, string environment, StartupSnapshot startup, IReadOnlyDictionary<string, ComponentState> components, BreakerRegistry breakers, DateTimeOffset? checkedAt)
    {
        var overall = Overall(startup, components);
        var path = components.Values.Where(c => PathLayers.Contains(c.Layer)).ToList();
        var pathStatus = path.Any(c => c.Status == ComponentStatus.Unhealthy && c.Critical) ? OverallStatus.Unhealthy
            : path.Any(c => c.Status != ComponentStatus.Healthy) ? OverallStatus.Degraded
            : OverallStatus.Healthy;
        var remedies = components.Values.Where(c => c.Status != ComponentStatus.Healthy).Select(c => c.Remedy)
            .Concat(startup.Phases.Select(p => p.Failure?.Remedy))
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var breakerStates = breakers.All.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => kv.Value.State, StringComparer.Ordinal);
        return new
        {
            service,
            environment,
            status = overall.Wire(),
            startup = startup.Status.Wire(),
            checkedAt,
            components = components.Values.OrderBy(c => c.Name, StringComparer.Ordinal).ToDictionary(
                c => c.Name,
                c => new
                {
                    status = c.Status.Wire(),
                    layer = c.Layer.Wire(),
                    side = c.Side?.Wire(),
                    critical = c.Critical,
                    latencyMs = c.LatencyMs,
                    lastCheckedAt = c.LastCheckedAt,
                    errorKind = c.ErrorKind,
                    breaker = c.Breaker is { } b ? breakers.Find(b)?.State ?? "closed" : null,
                    pool = c.Pool is { } p
                        ? new { busy = p.Busy, idle = p.Idle, max = p.Max, waiting = p.Waiting, utilization = p.Utilization, timeouts = p.Timeouts }
                        : null,
                },
                StringComparer.Ordinal),
            networkPath = new { overall = pathStatus.Wire(), degradedCount = path.Count(c => c.Status != ComponentStatus.Healthy) },
            breakers = breakerStates,
            remedies,
        };
    }

    public static object Startup(StartupSnapshot startup, DateTimeOffset now)
    {
        var end = startup.CompletedAt ?? now;
        return new
        {
            status = startup.Status.Wire(),
            profile = startup.Profile.ToString().ToLowerInvariant(),
            startedAt = startup.StartedAt,
            completedAt = startup.CompletedAt,
            durationMs = startup.StartedAt is { } s ? Math.Round((end - s).TotalMilliseconds, 1) : (double?)null,
            phases = startup.Phases.Select(p => new
            {
                name = p.Name,
                dependsOn = p.DependsOn,
                critical = p.Critical,
                status = p.Status.Wire(),
                startedAt = p.StartedAt,
                endedAt = p.EndedAt,
                durationMs = p.DurationMs,
                attempts = p.Attempts,
                slow = p.Slow,
                budgetShare = BudgetShare(p, now),
                layer = p.Failure?.Layer.Wire(),
                side = p.Failure?.Side.Wire(),
                errorKind = p.Failure?.Kind?.Wire(),
                message = p.Failure?.Message,
                remedy = p.Failure?.Remedy,
            }).ToList(),
            failure = startup.Failure is { } f
                ? new
                {
                    phase = f.Phase,
                    layer = f.Layer.Wire(),
                    side = f.Side.Wire(),
                    errorKind = f.Kind?.Wire(),
                    message = f.Message,
                    attempts = f.Attempts,
                    elapsedMs = Math.Round(f.ElapsedMs, 1),
                }
                : null,
        };
    }

    /// <summary>The share of its budget a slow phase has used: up to now while it runs, at its end once it ended; null unless slow.</summary>
    private static double? BudgetShare(PhaseEntry phase, DateTimeOffset now) =>
        phase.Slow && phase.EndedAt is null && phase.StartedAt is { } started && phase.Budget is { } budget
            ? Math.Max(phase.BudgetShare ?? 0, SlowPhaseWatch.Share(now - started, budget))
            : phase.BudgetShare;
}
