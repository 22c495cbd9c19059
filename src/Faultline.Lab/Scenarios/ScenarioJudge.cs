using Faultline.Core.Model;
using Faultline.Core.Reporting;

namespace Faultline.Lab.Scenarios;

/// <summary>What a check said about a scenario: the report's status and its primary failure (or leading degradation).</summary>
public sealed record ScenarioVerdict(OverallStatus Status, string? Target, Layer? Layer, Side? Side)
{
    public override string ToString() =>
        Target is null ? Status.Wire() : $"{Status.Wire()} {Target} ({Layer?.Wire()}, {Side?.Wire()})";
}

/// <summary>Turns a check report into a <see cref="ScenarioVerdict"/> and compares it with a scenario's expectation. Pure functions.</summary>
public static class ScenarioJudge
{
    /// <summary>
    /// The verdict of a report: its status and <c>summary.primary</c>. A degraded report has no primary
    /// (non-critical failures never are); its <em>leading degradation</em> is then named instead: the
    /// report's first failing root (<c>summary.roots</c>, in root-cause order), else its first warning root.
    /// </summary>
    public static ScenarioVerdict VerdictOf(Report report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (report.Summary.Primary is { } primary)
        {
            return new ScenarioVerdict(report.Status, primary.Target, primary.Layer, primary.Side);
        }

        if (report.Status == OverallStatus.Degraded
            && (report.Summary.Roots.FirstOrDefault(r => r.Status == ResultStatus.Fail) ?? report.Summary.Roots.FirstOrDefault()) is { } lead)
        {
            return new ScenarioVerdict(report.Status, lead.Target, lead.Layer, lead.Side);
        }

        return new ScenarioVerdict(report.Status, null, null, null);
    }

    /// <summary>
    /// The whole report against the expectation, not only its verdict: the verdict <see cref="Matches"/>;
    /// <c>summary.attribution</c> is the expected side (a healthy expectation: <c>none</c>, with no failing
    /// or warning result at all); every failing result's effective cause (itself when a root, else its root)
    /// has the expected layer and side; and the report's findings are exactly the expected ones. Returns
    /// what does not hold, one sentence each; empty when the scenario passes.
    /// </summary>
    public static IReadOnlyList<string> Problems(ScenarioExpectation expected, Report report)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(report);
        var problems = new List<string>();
        var got = VerdictOf(report);
        if (!Matches(expected, got))
        {
            problems.Add($"verdict: expected {LabReportWriter.Describe(expected)}, got {LabReportWriter.Describe(got)}");
        }

        var summary = report.Summary;
        if (expected.Status == OverallStatus.Healthy)
        {
            if (summary.Failed > 0 || summary.Warnings > 0)
            {
                problems.Add($"a healthy stack has {summary.Failed} failing and {summary.Warnings} warning results: "
                    + string.Join(", ", report.Results.Where(r => r.Status != ResultStatus.Pass).Select(r => r.Name)));
            }
        }
        else if (expected.Side is { } side && summary.Attribution.Wire() != side.Wire())
        {
            problems.Add($"attribution: expected {side.Wire()}, got {summary.Attribution.Wire()}");
        }

        if (expected.Layer is not null || expected.Side is not null)
        {
            foreach (var r in report.Results.Where(r => r.Status == ResultStatus.Fail))
            {
                var (layer, side2) = EffectiveCause(r);
                if ((expected.Layer is { } l && l != layer) || (expected.Side is { } s && s != side2))
                {
                    problems.Add($"{r.Name}: effective cause {(r.Cause is { } c ? c.Target + " " : string.Empty)}({layer.Wire()}, {side2.Wire()}), expected ({expected.Layer?.Wire() ?? "any"}, {expected.Side?.Wire() ?? "any"})");
                }
            }
        }

        var want = expected.Findings.Select(f => (f.Target, f.Dependency)).ToHashSet();
        var have = summary.Findings.Select(f => (f.Target, f.Dependency)).ToHashSet();
        foreach (var missing in want.Except(have))
        {
            problems.Add($"finding missing: {missing.Target} waits on {missing.Dependency}");
        }

        foreach (var extra in summary.Findings.Where(f => !want.Contains((f.Target, f.Dependency))))
        {
            problems.Add($"finding not expected: {extra.Message}");
        }

        return problems;
    }

    /// <summary>The layer and side a failing result is attributed to in the end: its root's when it is a consequence, else its own.</summary>
    public static (Layer Layer, Side Side) EffectiveCause(TargetResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Cause is { } cause ? (cause.Layer, cause.Side) : (result.Layer ?? Layer.Unknown, result.Side ?? Side.Infrastructure);
    }

    /// <summary>
    /// Every field the expectation sets must match: <c>status</c> the report's status, <c>target</c> /
    /// <c>layer</c> / <c>side</c> the primary failure's. An expectation that names a primary failure
    /// does not match a report without one.
    /// </summary>
    public static bool Matches(ScenarioExpectation expected, ScenarioVerdict? got)
    {
        ArgumentNullException.ThrowIfNull(expected);
        if (got is null)
        {
            return false;
        }

        if (expected.Status is { } status && status != got.Status)
        {
            return false;
        }

        if (expected.ExpectsPrimary && got.Target is null)
        {
            return false;
        }

        return (expected.Target is null || string.Equals(expected.Target, got.Target, StringComparison.Ordinal))
            && (expected.Layer is null || expected.Layer == got.Layer)
            && (expected.Side is null || expected.Side == got.Side);
    }

    /// <summary>The row label of the confusion matrix for an expectation: its layer, or <c>healthy</c>/<c>degraded</c>/<c>unhealthy</c> without one.</summary>
    public static string ExpectedClass(ScenarioExpectation expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        return expected.Layer?.Wire() ?? expected.Status?.Wire() ?? "any";
    }

    /// <summary>The column label of the confusion matrix for a verdict: its layer, its status without one, <c>error</c> without a verdict.</summary>
    public static string GotClass(ScenarioVerdict? got) => got is null ? "error" : got.Layer?.Wire() ?? got.Status.Wire();
}
