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
}

/// <summary>All scenarios of a run: accuracy and the layer × layer confusion matrix.</summary>
public sealed record LabRunReport
{
    public required IReadOnlyList<ScenarioOutcome> Scenarios { get; init; }

    public DateTimeOffset StartedAt { get; init; }

    public double DurationMs { get; init; }

    /// <summary>Share of scenarios judged correctly, 0..1 (1 for an empty run).</summary>
    public double Accuracy => Scenarios.Count == 0 ? 1 : (double)Scenarios.Count(s => s.Pass) / Scenarios.Count;

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
