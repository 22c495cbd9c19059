using Faultline.Core.Model;

namespace Faultline.Core.Reporting;

/// <summary>Builds a <see cref="Report"/> from target results: counts, attribution, verdict and the root cause.</summary>
public static class ReportBuilder
{
    public static Report Build(string? environment, DateTimeOffset startedAt, TimeSpan duration, IReadOnlyList<TargetResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);

        var causal = Causality.Analyze(results);
        var linked = Linked(results, causal);

        var failing = linked.Where(r => r.Status == ResultStatus.Fail).ToList();
        var failingRoots = causal.Roots.Where(r => r.Status == ResultStatus.Fail).ToList();
        var byLayer = new Dictionary<Layer, int>();
        foreach (var root in failingRoots)
        {
            byLayer[root.Layer] = byLayer.GetValueOrDefault(root.Layer) + 1;
        }

        var criticalFailures = failing.Count(r => r.Critical);
        var warnings = linked.Count(r => r.Status == ResultStatus.Warn);
        var status = criticalFailures > 0 ? OverallStatus.Unhealthy
            : failing.Count > 0 || warnings > 0 ? OverallStatus.Degraded
            : OverallStatus.Healthy;

        var summary = new ReportSummary
        {
            Total = linked.Count,
            Passed = linked.Count(r => r.Status == ResultStatus.Pass),
            Failed = failing.Count,
            Warnings = warnings,
            CriticalFailures = criticalFailures,
            NotStarted = failing.Count(Causality.IsNotStarted),
            ByLayer = LayerNames.RootCauseOrder.Where(byLayer.ContainsKey).ToDictionary(l => l, l => byLayer[l]),
            Attribution = AttributionOf(failingRoots.Count > 0 ? failingRoots : causal.Roots),
            Primary = causal.Primary is { } p ? new PrimaryFailure(p.Target, p.Layer, p.Side) : null,
            Roots = causal.Roots,
            Findings = causal.Findings,
        };

        return new Report
        {
            Status = status,
            Environment = environment,
            StartedAt = startedAt,
            DurationMs = Math.Round(duration.TotalMilliseconds, 1),
            Summary = summary,
            Results = linked,
        };
    }

    /// <summary>Each result with its <see cref="TargetResult.Cause"/>: the root of the failure it follows from; null for a root, a pass or a warning of its own.</summary>
    internal static List<TargetResult> Linked(IReadOnlyList<TargetResult> results, CausalAnalysis causal)
    {
        var byName = new Dictionary<string, TargetResult>(StringComparer.Ordinal);
        foreach (var result in results)
        {
            byName.TryAdd(result.Name, result);
        }

        return results
            .Select(r => causal.RootOf.TryGetValue(r.Name, out var root) && byName.TryGetValue(root, out var cause)
                ? r with { Cause = new CauseRef(cause.Name, cause.Layer ?? Layer.Unknown, cause.Side ?? Side.Infrastructure) }
                : r with { Cause = null })
            .ToList();
    }

    /// <summary>
    /// The root-cause rule: the primary is the first root (<see cref="Causality.Analyze"/>, in layer order
    /// dns → network → tls → proxy → configuration → database → cache → application → unknown, then file
    /// order) that is critical or that a critical failure follows from. Roots are the failing results that
    /// follow from no other failing result through <c>dependsOn</c> (transitively, through passing targets
    /// too), a service's inside view, or an optional dependency a critical path waits on. When dependencies
    /// form a cycle, its first member in that order is the root. Null when no critical result fails.
    /// </summary>
    public static PrimaryFailure? PickPrimary(IReadOnlyList<TargetResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        return Causality.Analyze(results).Primary is { } p ? new PrimaryFailure(p.Target, p.Layer, p.Side) : null;
    }

    private static Attribution AttributionOf(IReadOnlyList<RootCause> roots)
    {
        if (roots.Count == 0)
        {
            return Attribution.None;
        }

        var sides = roots.Select(r => r.Side).Distinct().ToList();
        return sides.Count > 1 ? Attribution.Mixed
            : sides[0] == Side.Infrastructure ? Attribution.Infrastructure
            : Attribution.Application;
    }
}
