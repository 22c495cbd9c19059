using System.Globalization;
using System.Text;
using Faultline.Core.Model;

namespace Faultline.Core.Reporting;

/// <summary>Markdown for a CI step summary: the verdict, a table of targets, the root cause, then evidence and remedy per failure.</summary>
internal sealed class MarkdownReportWriter() : FormatWriter<Report>(ReportWriters.Markdown), IReportWriter
{
    protected override void WriteTo(Report report, TextWriter output)
    {
        var md = new StringBuilder();
        md.Append("## Faultline: ").AppendLine(Inline(ReportText.Verdict(report))).AppendLine();
        var context = new List<string>();
        if (report.Environment is { } environment)
        {
            context.Add($"environment `{Code(environment)}`");
        }

        context.Add("started " + report.StartedAt.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture));
        context.Add("took " + ReportText.Time(report.DurationMs));
        context.Add($"{report.Summary.Passed} passed, {report.Summary.Failed} failed, {report.Summary.Warnings} warned of {report.Summary.Total}");
        md.AppendLine(string.Join(" · ", context)).AppendLine();

        md.AppendLine("| target | kind | status | layer | side | time | detail |");
        md.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var r in report.Results)
        {
            var status = r.Status switch
            {
                ResultStatus.Fail => r.Critical ? "**FAIL**" : "**FAIL** (non-critical)",
                ResultStatus.Warn => "WARN",
                _ => "pass",
            };
            var passed = r.Status == ResultStatus.Pass;
            md.Append("| ").Append(Cell(r.Name))
                .Append(" | ").Append(Cell(r.Kind))
                .Append(" | ").Append(status)
                .Append(" | ").Append(passed ? string.Empty : Cell(r.Cause is { } cause ? ReportText.CauseArrow(cause) : r.Layer?.Wire() ?? string.Empty))
                .Append(" | ").Append(passed || r.Cause is not null ? string.Empty : Cell(r.Side?.Wire() ?? string.Empty))
                .Append(" | ").Append(Cell(ReportText.Time(r.DurationMs)))
                .Append(" | ").Append(Cell(ReportText.Truncate(ReportText.Detail(r), 140)))
                .AppendLine(" |");
        }

        md.AppendLine();
        if (report.Summary.Primary is { } primary)
        {
            md.AppendLine("### Root cause").AppendLine();
            md.Append(CultureInfo.InvariantCulture, $"**{Inline(primary.Target)}** — {primary.Layer.Wire()} ({primary.Side.Wire()})");
            var reason = report.Results.FirstOrDefault(r => r.Name == primary.Target) is { } pr ? ReportText.Reason(pr) : null;
            md.AppendLine(reason is null ? string.Empty : ": " + Inline(ReportText.OneLine(reason))).AppendLine();
            var others = report.Summary.Roots.Where(r => r.Status == ResultStatus.Fail && r.Target != primary.Target).ToList();
            foreach (var root in report.Summary.Roots.Where(r => r.Status == ResultStatus.Fail))
            {
                if (root.Consequences.Count > 0)
                {
                    md.Append(CultureInfo.InvariantCulture, $"- {Inline(root.Target)} → consequences: {Inline(string.Join(", ", root.Consequences))}").AppendLine();
                }
            }

            foreach (var root in others)
            {
                md.Append(CultureInfo.InvariantCulture, $"- another root: **{Inline(root.Target)}** — {root.Layer.Wire()} ({root.Side.Wire()})").AppendLine();
            }

            foreach (var finding in ReportText.Findings(report))
            {
                md.Append("- ").AppendLine(Inline(ReportText.OneLine(finding)));
            }

            md.AppendLine();
        }

        var problems = report.Results.Where(r => r.Status != ResultStatus.Pass).ToList();
        if (problems.Count > 0)
        {
            md.AppendLine("### Failures and warnings").AppendLine();
            foreach (var r in problems)
            {
                var tag = r.Status == ResultStatus.Warn ? "warning" : r.Critical ? "failure" : "non-critical failure";
                var own = $"{r.Layer?.Wire() ?? "unknown"} ({r.Side?.Wire() ?? "infrastructure"})";
                var where = r.Cause is { } following ? $"consequence of {Inline(following.Target)} — {following.Layer.Wire()} ({following.Side.Wire()})" : own;
                md.Append(CultureInfo.InvariantCulture, $"#### {Inline(r.Name)} ({Inline(r.Kind)}) — {where}, {tag}").AppendLine().AppendLine();
                if (r.Cause is not null)
                {
                    md.Append(CultureInfo.InvariantCulture, $"- as seen here: {own}").AppendLine();
                }

                if (r.Error is { } error)
                {
                    md.Append(CultureInfo.InvariantCulture, $"- error `{Code(error.Kind)}`: {Inline(ReportText.OneLine(error.Message))}").AppendLine();
                }

                foreach (var line in r.Evidence.Where(l => !string.Equals(l, r.Error?.Message, StringComparison.Ordinal)))
                {
                    md.Append("- ").AppendLine(Inline(ReportText.OneLine(line)));
                }

                if (ReportText.Remedy(r) is { } remedy)
                {
                    md.AppendLine().Append("**Remedy:** ").AppendLine(Inline(ReportText.OneLine(remedy)));
                }

                md.AppendLine();
            }
        }

        output.Write(md.ToString());
    }

    /// <summary>A table cell: one line, pipes escaped.</summary>
    /// <summary>Text for a table cell: one line, Markdown and HTML specials escaped (shared with the validation writer).</summary>
    internal static string Cell(string text) => Inline(ReportText.OneLine(text));

    /// <summary>Text in a paragraph or list item: Markdown/HTML control characters escaped so evidence (HTML bodies) shows as text.</summary>
    private static string Inline(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            switch (c)
            {
                case '<':
                    builder.Append("&lt;");
                    break;
                case '>':
                    builder.Append("&gt;");
                    break;
                case '|' or '*' or '_' or '`' or '[' or ']' or '\\':
                    builder.Append('\\').Append(c);
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }

        return builder.ToString();
    }

    /// <summary>Text inside a code span: backticks become quotes.</summary>
    internal static string Code(string text) => text.Replace("`", "'", StringComparison.Ordinal);
}
