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
    /// (non-critical failures never are); its <em>leading degradation</em> is then named instead: the same
    /// root-cause rule (<see cref="ReportBuilder.PickPrimary"/>) applied to the failing and warning results.
    /// </summary>
    public static ScenarioVerdict VerdictOf(Report report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var primary = report.Summary.Primary;
        if (primary is null && report.Status == OverallStatus.Degraded)
        {
            var degraded = report.Results
                .Select(r => r.Status == ResultStatus.Pass ? r : r with { Status = ResultStatus.Fail, Critical = true })
                .ToList();
            primary = ReportBuilder.PickPrimary(degraded);
        }

        return primary is null
            ? new ScenarioVerdict(report.Status, null, null, null)
            : new ScenarioVerdict(report.Status, primary.Target, primary.Layer, primary.Side);
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
