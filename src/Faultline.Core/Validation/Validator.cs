using System.Globalization;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Reporting;

namespace Faultline.Core.Validation;

/// <summary>
/// Turns the reports of N runs into a validation: pure, no I/O. The counting rules (docs/validate.md):
/// each (target, run) counts once — a target that appears twice in one run counts once, the first
/// time; a warning is a pass; a rate is passed / total and so never exceeds 1; a category without
/// targets has total 0 and no rate. Verdict <c>pass</c> iff every critical category meets its
/// minimum and the overall rate reaches <see cref="ValidationSpec.MinPassRate"/>.
/// </summary>
public static class Validator
{
    /// <summary>Slack for comparing a rate with its minimum, so 4/5 meets 0.8 whatever the floating-point rounding.</summary>
    private const double Epsilon = 1e-9;

    /// <param name="runs">The report of each run, in order (at least one).</param>
    /// <param name="spec">The <c>validation:</c> section; null = defaults.</param>
    /// <param name="baseline">A previous report to diff against; null = no diff.</param>
    /// <param name="baselineSource">Where the baseline came from, for the output.</param>
    public static ValidationResult Evaluate(IReadOnlyList<Report> runs, ValidationSpec? spec = null, Baseline? baseline = null, string? baselineSource = null)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count == 0)
        {
            throw new ArgumentException("a validation needs at least one run", nameof(runs));
        }

        spec ??= new ValidationSpec();
        CheckRate(spec.MinPassRate, "validation.minPassRate");
        foreach (var category in spec.Categories)
        {
            if (category.MinPassRate is { } rate)
            {
                CheckRate(rate, $"validation.categories[{category.Name}].minPassRate");
            }
        }

        var targets = CollectTargets(runs, baseline);
        var categories = CountCategories(spec, targets);
        var passed = categories.Sum(c => c.Passed);
        var total = categories.Sum(c => c.Total);
        var overallMet = total > 0 && Meets(passed, total, spec.MinPassRate);
        var verdict = overallMet && categories.Where(c => c.Critical).All(c => c.Met) ? ValidationVerdict.Pass : ValidationVerdict.Fail;
        var reasons = verdict == ValidationVerdict.Pass ? [] : Reasons(categories, targets, passed, total, spec.MinPassRate, overallMet);

        return new ValidationResult
        {
            Runs = runs.Count,
            Passed = passed,
            Total = total,
            MinPassRate = spec.MinPassRate,
            Categories = categories,
            Targets = targets,
            Verdict = verdict,
            Signoff = new Signoff(verdict == ValidationVerdict.Pass ? SignoffStatus.Approved : SignoffStatus.RequiresAttention, reasons),
            LastReport = runs[^1],
            BaselineSource = baseline is null ? null : baselineSource,
        };
    }

    /// <summary>Whether <paramref name="passed"/> of <paramref name="total"/> reaches <paramref name="minPassRate"/>; false for an empty total.</summary>
    public static bool Meets(int passed, int total, double minPassRate) =>
        total > 0 && ((double)passed / total) + Epsilon >= minPassRate;

    /// <summary><c>80%</c>, <c>66.7%</c>.</summary>
    public static string Percent(double rate) => (rate * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    private static void CheckRate(double rate, string name)
    {
        if (double.IsNaN(rate) || rate < 0 || rate > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, $"{name} must be between 0 and 1");
        }
    }

    private static List<TargetValidation> CollectTargets(IReadOnlyList<Report> runs, Baseline? baseline)
    {
        var order = new List<string>();
        var first = new Dictionary<string, TargetResult>(StringComparer.Ordinal);
        var outcomes = new Dictionary<string, List<RunOutcome>>(StringComparer.Ordinal);
        for (var i = 0; i < runs.Count; i++)
        {
            var seenThisRun = new HashSet<string>(StringComparer.Ordinal);
            foreach (var result in runs[i].Results)
            {
                if (!seenThisRun.Add(result.Name))
                {
                    continue;
                }

                if (!outcomes.TryGetValue(result.Name, out var list))
                {
                    list = [];
                    outcomes[result.Name] = list;
                    first[result.Name] = result;
                    order.Add(result.Name);
                }

                list.Add(Outcome(i + 1, result));
            }
        }

        return order.Select(name =>
        {
            var list = outcomes[name];
            var outcome = list.All(r => r.Passed) ? TargetOutcome.Passing
                : list.All(r => !r.Passed) ? TargetOutcome.Failing
                : TargetOutcome.Flaky;
            BaselineChange? change = null;
            if (baseline is not null)
            {
                change = Baseline.Compare(baseline.Targets.TryGetValue(name, out var before) ? before : null, outcome);
            }

            return new TargetValidation
            {
                Name = name,
                Category = first[name].Category,
                Critical = first[name].Critical,
                Outcome = outcome,
                Baseline = change,
                Runs = list,
            };
        }).ToList();
    }

    private static RunOutcome Outcome(int run, TargetResult result)
    {
        var passed = result.Status == ResultStatus.Pass;
        var why = passed ? null : ReportText.Reason(result);
        return new RunOutcome
        {
            Run = run,
            Status = result.Status,
            Layer = passed ? null : result.Layer,
            Side = passed ? null : result.Side,
            ErrorKind = passed ? null : result.Error?.Kind,
            Cause = passed ? null : result.Cause,
            Evidence = why is null ? null : ReportText.OneLine(why),
        };
    }

    private static List<CategoryValidation> CountCategories(ValidationSpec spec, List<TargetValidation> targets)
    {
        var declared = spec.Categories.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var categories = new List<CategoryValidation>();
        foreach (var category in spec.Categories.DistinctBy(c => c.Name, StringComparer.Ordinal))
        {
            var members = targets.Where(t => string.Equals(t.Category, category.Name, StringComparison.Ordinal)).ToList();
            categories.Add(Count(category.Name, category.Critical, declared: true, category.MinPassRate ?? spec.MinPassRate, members));
        }

        foreach (var name in targets.Select(t => t.Category).Where(c => !declared.Contains(c)).Distinct(StringComparer.Ordinal))
        {
            var members = targets.Where(t => string.Equals(t.Category, name, StringComparison.Ordinal)).ToList();
            var counted = Count(name, members.Any(t => t.Critical), declared: false, spec.MinPassRate, members);
            categories.Add(spec.Categories.Count == 0 ? counted : counted with { Note = "not declared in validation.categories: critical if any of its targets is, with the overall minimum" });
        }

        return categories;
    }

    private static CategoryValidation Count(string name, bool critical, bool declared, double minPassRate, List<TargetValidation> members)
    {
        var passed = members.Sum(t => t.Passed);
        var total = members.Sum(t => t.Runs.Count);
        return new CategoryValidation
        {
            Name = name,
            Critical = critical,
            Declared = declared,
            Passed = passed,
            Total = total,
            MinPassRate = minPassRate,
            Met = total == 0 ? !critical : Meets(passed, total, minPassRate),
            Note = total == 0 ? "no targets" : null,
        };
    }

    private static List<string> Reasons(List<CategoryValidation> categories, List<TargetValidation> targets, int passed, int total, double minPassRate, bool overallMet)
    {
        var reasons = new List<string>();
        if (total == 0)
        {
            reasons.Add("no targets ran: nothing shows the stack works");
        }

        var explained = new HashSet<string>(StringComparer.Ordinal);
        foreach (var category in categories.Where(c => c.Critical && !c.Met))
        {
            if (category.Total == 0)
            {
                reasons.Add($"{category.Name}: no targets — a critical category with nothing checked cannot be signed off");
                continue;
            }

            reasons.Add($"{category.Name}: {category.Passed} of {Checks(category.Total)} passed ({Percent(category.PassRate!.Value)}), needs {Percent(category.MinPassRate)}");
            foreach (var target in targets.Where(t => t.Category == category.Name && t.Failed > 0))
            {
                reasons.Add(TargetReason(target));
                explained.Add(target.Name);
            }
        }

        if (!overallMet && total > 0)
        {
            reasons.Add($"overall: {passed} of {Checks(total)} passed ({Percent((double)passed / total)}), needs {Percent(minPassRate)}");
            foreach (var target in targets.Where(t => t.Failed > 0 && !explained.Contains(t.Name)))
            {
                reasons.Add(TargetReason(target));
            }
        }

        return reasons;
    }

    /// <summary>
    /// <c>database: db — 2 of 3 runs failed — layer database (infrastructure), connect-timeout: connect timed out after 3 s</c>;
    /// a consequence names its root: <c>golden-path: chat — 1 of 1 run failed — layer database (infrastructure) as a consequence of api/postgres, read-timeout: …</c>.
    /// </summary>
    public static string TargetReason(TargetValidation target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var failed = target.Runs.Where(r => !r.Passed).ToList();
        var head = $"{target.Category}: {target.Name} — {failed.Count} of {target.Runs.Count} run{(target.Runs.Count == 1 ? string.Empty : "s")} failed";
        if (failed.Count == 0)
        {
            return head;
        }

        var layers = failed.Select(r => r.Cause is { } cause
                ? $"{cause.Layer.Wire()} ({cause.Side.Wire()}) as a consequence of {cause.Target}"
                : $"{r.Layer?.Wire() ?? "unknown"} ({r.Side?.Wire() ?? "infrastructure"})")
            .Distinct(StringComparer.Ordinal).ToList();
        var last = failed[^1];
        var why = last.Evidence is null ? string.Empty
            : last.ErrorKind is null ? $", {last.Evidence}"
            : $", {last.ErrorKind}: {last.Evidence}";
        return $"{head} — layer{(layers.Count == 1 ? string.Empty : "s")} {string.Join(", ", layers)}{why}";
    }

    private static string Checks(int n) => n == 1 ? "1 check" : string.Create(CultureInfo.InvariantCulture, $"{n} checks");
}
