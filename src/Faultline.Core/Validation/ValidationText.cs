using System.Globalization;
using Faultline.Core.Model;

namespace Faultline.Core.Validation;

/// <summary>The phrases every human-facing validation writer shares.</summary>
internal static class ValidationText
{
    /// <summary><c>PASS — approved — 3 runs, 15 of 15 checks passed (100%), needs 80%</c>.</summary>
    public static string Verdict(ValidationResult v)
    {
        var word = v.Verdict.Wire().ToUpperInvariant();
        var signoff = v.Signoff.Status == SignoffStatus.Approved ? "approved" : "requires attention";
        var runs = v.Runs == 1 ? "1 run" : string.Create(CultureInfo.InvariantCulture, $"{v.Runs} runs");
        var counts = v.PassRate is { } rate
            ? string.Create(CultureInfo.InvariantCulture, $"{v.Passed} of {v.Total} checks passed ({Validator.Percent(rate)})")
            : "no checks ran";
        return $"{word} — {signoff} — {runs}, {counts}, needs {Validator.Percent(v.MinPassRate)}";
    }

    /// <summary><c>7/9</c>.</summary>
    public static string Fraction(CategoryValidation c) => string.Create(CultureInfo.InvariantCulture, $"{c.Passed}/{c.Total}");

    public static string Rate(double? rate) => rate is { } r ? Validator.Percent(r) : "—";

    /// <summary>One letter per run: P pass, W warn, F fail (e.g. <c>PFP</c>).</summary>
    public static string RunLetters(TargetValidation t) => string.Concat(t.Runs.Select(r => r.Status switch
    {
        ResultStatus.Fail => 'F',
        ResultStatus.Warn => 'W',
        _ => 'P',
    }));

    /// <summary>The latest failure of a target: <c>run 3: database (infrastructure), connect-timeout: connect timed out</c>; empty when it never failed.</summary>
    public static string LastFailure(TargetValidation t)
    {
        var last = t.Runs.LastOrDefault(r => !r.Passed);
        if (last is null)
        {
            return string.Empty;
        }

        var where = $"{last.Layer?.Wire() ?? "unknown"} ({last.Side?.Wire() ?? "infrastructure"})";
        var what = last.ErrorKind is null ? last.Evidence : $"{last.ErrorKind}: {last.Evidence}";
        return string.Create(CultureInfo.InvariantCulture, $"run {last.Run}: {where}{(what is null ? string.Empty : ", " + what)}");
    }
}
