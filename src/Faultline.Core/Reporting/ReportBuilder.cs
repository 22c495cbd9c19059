using Faultline.Core.Model;

namespace Faultline.Core.Reporting;

/// <summary>Builds a <see cref="Report"/> from target results: counts, attribution, verdict and the root cause.</summary>
public static class ReportBuilder
{
    public static Report Build(string? environment, DateTimeOffset startedAt, TimeSpan duration, IReadOnlyList<TargetResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);

        var failing = results.Where(r => r.Status == ResultStatus.Fail).ToList();
        var byLayer = new Dictionary<Layer, int>();
        foreach (var result in failing)
        {
            var layer = result.Layer ?? Layer.Unknown;
            byLayer[layer] = byLayer.GetValueOrDefault(layer) + 1;
        }

        var criticalFailures = failing.Count(r => r.Critical);
        var warnings = results.Count(r => r.Status == ResultStatus.Warn);
        var status = criticalFailures > 0 ? OverallStatus.Unhealthy
            : failing.Count > 0 || warnings > 0 ? OverallStatus.Degraded
            : OverallStatus.Healthy;

        var summary = new ReportSummary
        {
            Total = results.Count,
            Passed = results.Count(r => r.Status == ResultStatus.Pass),
            Failed = failing.Count,
            Warnings = warnings,
            CriticalFailures = criticalFailures,
            ByLayer = LayerNames.RootCauseOrder.Where(byLayer.ContainsKey).ToDictionary(l => l, l => byLayer[l]),
            Attribution = AttributionOf(failing),
            Primary = PickPrimary(results),
        };

        return new Report
        {
            Status = status,
            Environment = environment,
            StartedAt = startedAt,
            DurationMs = Math.Round(duration.TotalMilliseconds, 1),
            Summary = summary,
            Results = results,
        };
    }

    /// <summary>
    /// The root-cause rule. Candidates are the failing critical targets that do not depend
    /// (directly or through other targets, via <c>dependsOn</c>) on another failing critical
    /// target: the deepest failures. Ties go to the most fundamental layer in
    /// <see cref="LayerNames.RootCauseOrder"/> (dns → network → tls → proxy → configuration →
    /// database → cache → application → unknown), then to the earlier result. When dependencies
    /// form a cycle that leaves no candidate, every failing critical target is a candidate. No
    /// failing critical target: null (non-critical failures never become the primary).
    /// </summary>
    public static PrimaryFailure? PickPrimary(IReadOnlyList<TargetResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);

        var failingCritical = results.Where(r => r.Status == ResultStatus.Fail && r.Critical).ToList();
        if (failingCritical.Count == 0)
        {
            return null;
        }

        var byName = new Dictionary<string, TargetResult>(StringComparer.Ordinal);
        foreach (var result in results)
        {
            byName.TryAdd(result.Name, result);
        }

        var failingNames = failingCritical.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        var candidates = failingCritical
            .Where(r => !DependsOnAny(r, failingNames, byName))
            .ToList();
        if (candidates.Count == 0)
        {
            candidates = failingCritical;
        }

        var chosen = candidates
            .Select((result, index) => (result, index))
            .OrderBy(c => Rank(c.result.Layer ?? Layer.Unknown))
            .ThenBy(c => c.index)
            .First().result;

        return new PrimaryFailure(chosen.Name, chosen.Layer ?? Layer.Unknown, chosen.Side ?? Side.Infrastructure);
    }

    private static bool DependsOnAny(TargetResult start, HashSet<string> failing, Dictionary<string, TargetResult> byName)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { start.Name };
        var pending = new Stack<string>(start.DependsOn);
        while (pending.Count > 0)
        {
            var name = pending.Pop();
            if (!seen.Add(name))
            {
                continue;
            }

            if (failing.Contains(name))
            {
                return true;
            }

            if (byName.TryGetValue(name, out var next))
            {
                foreach (var dependency in next.DependsOn)
                {
                    pending.Push(dependency);
                }
            }
        }

        return false;
    }

    private static int Rank(Layer layer)
    {
        var order = LayerNames.RootCauseOrder;
        for (var i = 0; i < order.Count; i++)
        {
            if (order[i] == layer)
            {
                return i;
            }
        }

        return order.Count;
    }

    private static Attribution AttributionOf(IReadOnlyList<TargetResult> failing)
    {
        if (failing.Count == 0)
        {
            return Attribution.None;
        }

        var sides = failing.Select(r => r.Side ?? Side.Infrastructure).Distinct().ToList();
        return sides.Count > 1 ? Attribution.Mixed
            : sides[0] == Side.Infrastructure ? Attribution.Infrastructure
            : Attribution.Application;
    }
}
