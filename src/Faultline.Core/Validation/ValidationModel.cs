using Faultline.Core.Model;

namespace Faultline.Core.Validation;

/// <summary>A target across the runs of a validation. JSON: passing|failing|flaky.</summary>
public enum TargetOutcome
{
    /// <summary>Every run passed (a warning counts as a pass).</summary>
    Passing,

    /// <summary>Every run failed.</summary>
    Failing,

    /// <summary>Some runs passed and some failed.</summary>
    Flaky,
}

/// <summary>How a target moved against the baseline report. JSON: fixed|still-broken|regressed|new|unchanged|flaky.</summary>
public enum BaselineChange
{
    /// <summary>Failing (or flaky) in the baseline, passing in every run now.</summary>
    Fixed,

    /// <summary>Failing (or flaky) in the baseline, failing in every run now.</summary>
    StillBroken,

    /// <summary>Passing in the baseline, failing in every run now.</summary>
    Regressed,

    /// <summary>Not in the baseline.</summary>
    New,

    /// <summary>Passing in the baseline and passing in every run now.</summary>
    Unchanged,

    /// <summary>Mixed now, whatever the baseline said: neither fixed nor broken.</summary>
    Flaky,
}

/// <summary>The validation verdict. JSON: pass|fail.</summary>
public enum ValidationVerdict
{
    Pass,
    Fail,
}

/// <summary>The sign-off. JSON: approved|requires-attention.</summary>
public enum SignoffStatus
{
    Approved,
    RequiresAttention,
}

/// <summary>One target in one run: its status and, when it did not pass, where and why.</summary>
public sealed record RunOutcome
{
    /// <summary>1-based run number.</summary>
    public required int Run { get; init; }

    public required ResultStatus Status { get; init; }

    public Layer? Layer { get; init; }

    public Side? Side { get; init; }

    /// <summary>The typed error's wire name (<c>connect-timeout</c>), or null (a failed condition, a pass).</summary>
    public string? ErrorKind { get; init; }

    /// <summary>Why it failed or warned, in one line (the probe's error message or the first evidence line); null on a pass.</summary>
    public string? Evidence { get; init; }

    /// <summary>The root this run's failure follows from (a consequence still counts as failed); null for a root or a pass.</summary>
    public Reporting.CauseRef? Cause { get; init; }

    /// <summary>A warning counts as a pass.</summary>
    public bool Passed => Status != ResultStatus.Fail;
}

/// <summary>One target across every run it appeared in.</summary>
public sealed record TargetValidation
{
    public required string Name { get; init; }

    public required string Category { get; init; }

    public bool Critical { get; init; } = true;

    public required TargetOutcome Outcome { get; init; }

    /// <summary>The move against the baseline; null when validate ran without one.</summary>
    public BaselineChange? Baseline { get; init; }

    /// <summary>One entry per run the target appeared in (an inside-out child appears only when its service answered).</summary>
    public required IReadOnlyList<RunOutcome> Runs { get; init; }

    public int Passed => Runs.Count(r => r.Passed);

    public int Failed => Runs.Count(r => !r.Passed);
}

/// <summary>One category: each (target, run) counted once.</summary>
public sealed record CategoryValidation
{
    public required string Name { get; init; }

    public bool Critical { get; init; } = true;

    /// <summary>False when no <c>validation.categories</c> entry declares it (its settings come from its targets and the overall rate).</summary>
    public bool Declared { get; init; } = true;

    public required int Passed { get; init; }

    public required int Total { get; init; }

    /// <summary><see cref="Passed"/> / <see cref="Total"/>; null when the category has no targets (never a division by zero).</summary>
    public double? PassRate => Total == 0 ? null : (double)Passed / Total;

    public required double MinPassRate { get; init; }

    /// <summary>Whether the category reaches its minimum. An empty critical category is not met: nothing shows it works.</summary>
    public required bool Met { get; init; }

    /// <summary>A remark for people, e.g. "no targets" for an empty category.</summary>
    public string? Note { get; init; }
}

/// <summary>The sign-off block: approved exactly when the verdict passes, otherwise the reasons in words.</summary>
public sealed record Signoff(SignoffStatus Status, IReadOnlyList<string> Reasons);

/// <summary>The outcome of <c>faultline validate</c>: counts, categories, targets, verdict and sign-off, plus the last run's report.</summary>
public sealed record ValidationResult
{
    /// <summary>How many runs were made.</summary>
    public required int Runs { get; init; }

    /// <summary>(target, run) outcomes that passed, over every category.</summary>
    public required int Passed { get; init; }

    /// <summary>(target, run) outcomes, over every category: the sum of the categories' totals.</summary>
    public required int Total { get; init; }

    /// <summary>Null when nothing ran.</summary>
    public double? PassRate => Total == 0 ? null : (double)Passed / Total;

    public required double MinPassRate { get; init; }

    public required IReadOnlyList<CategoryValidation> Categories { get; init; }

    public required IReadOnlyList<TargetValidation> Targets { get; init; }

    public required ValidationVerdict Verdict { get; init; }

    public required Signoff Signoff { get; init; }

    /// <summary>The report of the last run; the JSON output is this report extended with <c>validation</c>.</summary>
    public required Report LastReport { get; init; }

    /// <summary>Where the baseline came from (a file path), or null.</summary>
    public string? BaselineSource { get; init; }
}

/// <summary>Wire names of the validation enums.</summary>
public static class ValidationNames
{
    public static string Wire(this TargetOutcome outcome) => outcome.ToString().ToLowerInvariant();

    public static string Wire(this ValidationVerdict verdict) => verdict.ToString().ToLowerInvariant();

    public static string Wire(this SignoffStatus status) => status == SignoffStatus.Approved ? "approved" : "requires-attention";

    public static string Wire(this BaselineChange change) => change switch
    {
        BaselineChange.Fixed => "fixed",
        BaselineChange.StillBroken => "still-broken",
        BaselineChange.Regressed => "regressed",
        BaselineChange.New => "new",
        BaselineChange.Unchanged => "unchanged",
        _ => "flaky",
    };
}
