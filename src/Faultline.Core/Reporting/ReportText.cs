using System.Globalization;
using Faultline.Core.Model;

namespace Faultline.Core.Reporting;

/// <summary>The sentences every human-facing writer shares: the verdict, the root cause, a result's detail.</summary>
internal static class ReportText
{
    /// <summary>
    /// <c>UNHEALTHY — 3 critical failures — root cause: database (infrastructure) at db; 2 consequences</c>,
    /// <c>UNHEALTHY — 2 critical failures — 2 root causes (mixed): tls (infrastructure) at cert, application (application) at api</c>,
    /// <c>DEGRADED — 1 non-critical failure, 1 warning — root cause: cache (infrastructure) at cache</c>,
    /// <c>HEALTHY — 7 targets passed</c>. Only failing roots are named; consequences are counted.
    /// </summary>
    public static string Verdict(Report report)
    {
        var s = report.Summary;
        var word = report.Status.Wire().ToUpperInvariant();
        if (report.Status == OverallStatus.Healthy)
        {
            return s.Total == 0 ? $"{word} — no targets to check" : $"{word} — {Count(s.Passed, "target")} passed";
        }

        var parts = new List<string>();
        if (s.CriticalFailures > 0)
        {
            parts.Add(Count(s.CriticalFailures, "critical failure"));
        }

        var nonCritical = s.Failed - s.CriticalFailures;
        if (nonCritical > 0)
        {
            parts.Add(Count(nonCritical, "non-critical failure"));
        }

        if (s.Warnings > 0)
        {
            parts.Add(Count(s.Warnings, "warning"));
        }

        if (s.NotStarted > 0)
        {
            // Counted among the failures above; said apart because they say nothing about the stack.
            parts.Add($"{s.NotStarted} not started (the check's deadline passed first)");
        }

        var line = $"{word} — {string.Join(", ", parts)}";
        var roots = s.Roots.Where(r => r.Status == ResultStatus.Fail).ToList();
        if (roots.Count == 1)
        {
            line += $" — root cause: {Where(roots[0])}";
        }
        else if (roots.Count > 1)
        {
            line += $" — {roots.Count} root causes ({s.Attribution.Wire()}): {string.Join(", ", roots.Select(Where))}";
        }

        var consequences = roots.Sum(r => r.Consequences.Count);
        if (roots.Count > 0 && consequences > 0)
        {
            line += "; " + Count(consequences, "consequence");
        }

        return line;

        static string Where(RootCause root) => $"{root.Layer.Wire()} ({root.Side.Wire()}) at {root.Target}";
    }

    /// <summary><c>Also: golden-path waits on optional dependency redis: … (application)</c>, one line per finding.</summary>
    public static IEnumerable<string> Findings(Report report) =>
        report.Summary.Findings.Select(f => $"Also: {f.Message} ({f.Side.Wire()})");

    /// <summary>The remedy a reader acts on: for a consequence, fix its root first, then the result's own remedy if it still fails.</summary>
    public static string? Remedy(TargetResult result) => result.Cause is { } cause
        ? $"this follows from {cause.Target}: fix that first; if {result.Name} still fails afterwards: {result.Remedy ?? "probe it again"}"
        : result.Remedy;

    /// <summary><c>← db</c>: what a consequence's row shows in place of its own layer and side.</summary>
    public static string CauseArrow(CauseRef cause) => "← " + cause.Target;

    /// <summary><c>Root cause: db — database (infrastructure): connect timed out after 5 s</c>; null without a primary.</summary>
    public static string? RootCause(Report report)
    {
        if (report.Summary.Primary is not { } primary)
        {
            return null;
        }

        var result = report.Results.FirstOrDefault(r => string.Equals(r.Name, primary.Target, StringComparison.Ordinal));
        var why = result is null ? null : Reason(result);
        var head = $"Root cause: {primary.Target} — {primary.Layer.Wire()} ({primary.Side.Wire()})";
        return why is null ? head : $"{head}: {why}";
    }

    /// <summary>Why a result failed or warned, in one phrase: the probe's error message, else the first evidence line.</summary>
    public static string? Reason(TargetResult result) =>
        result.Error?.Message ?? result.Evidence.FirstOrDefault() ?? result.Conditions.FirstOrDefault(c => !c.Ok)?.Expr;

    /// <summary>A short detail for a table row.</summary>
    public static string Detail(TargetResult result)
    {
        if (result.Status != ResultStatus.Pass)
        {
            return OneLine(Reason(result) ?? string.Empty);
        }

        var o = result.Observation;
        if (o is null)
        {
            return string.Empty;
        }

        if (o.Http is { } http)
        {
            return string.Create(CultureInfo.InvariantCulture, $"HTTP {http.StatusCode}");
        }

        if (o.Database is { } db)
        {
            return db.ServerVersion is null ? "connected" : $"PostgreSQL {db.ServerVersion}";
        }

        if (o.Cache is { } cache)
        {
            return cache.ServerVersion is null ? "PONG" : $"Redis {cache.ServerVersion}{(cache.Role is null ? string.Empty : " " + cache.Role)}";
        }

        if (o.Tls?.Leaf is { } leaf)
        {
            return $"{o.Tls.Protocol} valid to {leaf.NotAfter.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}".Trim();
        }

        if (o.Dns is { } dns)
        {
            var shown = dns.Answers.Count == 0 ? dns.ResponseCode : string.Join(", ", dns.Answers.Take(3).Select(a => a.Value));
            var more = dns.Answers.Count + dns.AnswersDropped - 3;
            return dns.AnswersDropped > 0 && more > 0 ? string.Create(CultureInfo.InvariantCulture, $"{shown} (+{more} more)") : shown;
        }

        if (o.Secrets is { } secrets)
        {
            return Count(secrets.Entries.Count(e => e.Present), "secret") + " present";
        }

        return o.Connected ? "connected" : string.Empty;
    }

    /// <summary><c>12 ms</c>, <c>5 s</c>.</summary>
    public static string Time(double ms) => Durations.Describe(TimeSpan.FromMilliseconds(ms));

    /// <summary><c>0.012</c> seconds for JUnit.</summary>
    public static string Seconds(double ms) => (ms / 1000).ToString("0.###", CultureInfo.InvariantCulture);

    public static string Count(int n, string noun) => string.Create(CultureInfo.InvariantCulture, $"{n} {noun}{(n == 1 ? string.Empty : "s")}");

    /// <summary>One line, with control and text-reordering characters from probed servers escaped (<see cref="SafeText"/>).</summary>
    public static string OneLine(string text) => SafeText.OneLine(text);

    public static string Truncate(string text, int max) => max <= 1 || text.Length <= max ? text : text[..(max - 1)] + "…";
}
