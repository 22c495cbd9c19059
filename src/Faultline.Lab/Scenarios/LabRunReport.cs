using Faultline.Core.Model;

namespace Faultline.Lab.Scenarios;

/// <summary>The result of one scenario: what was expected, what the check said, whether they match, and how long the verdict took.</summary>
public sealed record ScenarioOutcome
{
    public required Scenario Scenario { get; init; }

    /// <summary>The verdict of the last check; null when no check ran (a fault could not be applied).</summary>
    public ScenarioVerdict? Got { get; init; }

    public bool Pass { get; init; }

    /// <summary>From the first fault applied to the judged check's end.</summary>
    public double VerdictMs { get; init; }

    /// <summary>Whether two checks in a row agreed before the deadline (false: the last check was judged).</summary>
    public bool Settled { get; init; }

    /// <summary>How many checks ran.</summary>
    public int Checks { get; init; }

    /// <summary>The judged check's report (evidence for a miss).</summary>
    public Report? Report { get; init; }

    /// <summary>Why the scenario could not be judged (a lab action or relay fault failed), without secrets.</summary>
    public string? Error { get; init; }

    /// <summary>What in the judged report did not match the expectation (<see cref="ScenarioJudge.Problems"/>); empty on a pass.</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];

    /// <summary>Which repetition of the run this outcome belongs to (1-based; <c>faultline lab run --repeat N</c>).</summary>
    public int Run { get; init; } = 1;

    /// <summary>How long the lab took, before this scenario, to return to a verified healthy baseline (restore + healthy check); null when it did not.</summary>
    public double? BaselineMs { get; init; }

    /// <summary>The failing results of the judged report whose effective cause has the expected layer and side, and all failing results.</summary>
    public (int Matching, int Total) ResultCauses
    {
        get
        {
            if (Report is not { } report)
            {
                return (0, 0);
            }

            var failing = report.Results.Where(r => r.Status == ResultStatus.Fail).ToList();
            var e = Scenario.Expect;
            var matching = e.Status == OverallStatus.Healthy ? 0 : failing.Count(r =>
            {
                var (layer, side) = ScenarioJudge.EffectiveCause(r);
                return (e.Layer is null || e.Layer == layer) && (e.Side is null || e.Side == side);
            });
            return (matching, failing.Count);
        }
    }
}

/// <summary>One scenario over the repetitions of a run: passes out of runs; stable only when it passed every time.</summary>
public sealed record ScenarioStability(string Name, int Passes, int Runs, double MeanVerdictMs, double? MeanBaselineMs)
{
    public bool Stable => Passes == Runs;
}

/// <summary>All scenarios of a run: accuracy and the layer × layer confusion matrix.</summary>
public sealed record LabRunReport
{
    public required IReadOnlyList<ScenarioOutcome> Scenarios { get; init; }

    public DateTimeOffset StartedAt { get; init; }

    public double DurationMs { get; init; }

    /// <summary>How many times the list of scenarios was run (<c>--repeat</c>).</summary>
    public int Repeat { get; init; } = 1;

    /// <summary>Share of scenario runs judged correctly, 0..1 (1 for an empty run).</summary>
    public double Accuracy => Scenarios.Count == 0 ? 1 : (double)Scenarios.Count(s => s.Pass) / Scenarios.Count;

    /// <summary>
    /// Failing results, over every judged report of the run, whose effective cause (itself when a root, else its
    /// root) has the scenario's expected layer and side, divided by all failing results; 1 when nothing failed.
    /// </summary>
    public double ResultAccuracy
    {
        get
        {
            var matching = Scenarios.Sum(s => s.ResultCauses.Matching);
            var total = Scenarios.Sum(s => s.ResultCauses.Total);
            return total == 0 ? 1 : (double)matching / total;
        }
    }

    /// <summary>Per scenario, in the order first run: passes out of runs.</summary>
    public IReadOnlyList<ScenarioStability> Stability() => Scenarios
        .GroupBy(s => s.Scenario.Name, StringComparer.Ordinal)
        .Select(g => new ScenarioStability(
            g.Key,
            g.Count(o => o.Pass),
            g.Count(),
            Math.Round(g.Average(o => o.VerdictMs), 1),
            g.All(o => o.BaselineMs is null) ? null : Math.Round(g.Where(o => o.BaselineMs is not null).Average(o => o.BaselineMs!.Value), 1)))
        .ToList();

    public bool AllPassed => Scenarios.All(s => s.Pass);

    /// <summary>Rows: expected layer (or status); columns: the layer (or status) the check named; cells: scenario counts.</summary>
    public ConfusionMatrix Confusion() => ConfusionMatrix.From(Scenarios);
}

/// <summary>
/// Expected class × got class counts. A class is a layer, or a status for a scenario that expects (or a
/// verdict that has) no primary failure, or <c>error</c> when no check ran. Rows are the expected classes
/// that occur, columns the classes the checks named; both in the root-cause order of layers, then statuses.
/// </summary>
public sealed record ConfusionMatrix(IReadOnlyList<string> Rows, IReadOnlyList<string> Columns, IReadOnlyDictionary<(string Expected, string Got), int> Counts)
{
    public int this[string expected, string got] => Counts.GetValueOrDefault((expected, got));

    public static ConfusionMatrix From(IEnumerable<ScenarioOutcome> outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var counts = new Dictionary<(string, string), int>();
        foreach (var outcome in outcomes)
        {
            var key = (ScenarioJudge.ExpectedClass(outcome.Scenario.Expect), ScenarioJudge.GotClass(outcome.Got));
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }

        var order = LayerNames.RootCauseOrder.Select(l => l.Wire())
            .Concat(["healthy", "degraded", "unhealthy", "any", "error"])
            .ToList();
        var expected = counts.Keys.Select(k => k.Item1).ToHashSet(StringComparer.Ordinal);
        var got = counts.Keys.Select(k => k.Item2).ToHashSet(StringComparer.Ordinal);
        return new ConfusionMatrix(order.Where(expected.Contains).ToList(), order.Where(got.Contains).ToList(), counts);
    }
}
