using System.Text;
using Faultline.Core.Model;
using static Faultline.Core.Reporting.Ansi;

namespace Faultline.Core.Reporting;

/// <summary>
/// The console report: one aligned row per target (fits 100 columns), then evidence and remedy per
/// failure or warning, then exactly two closing lines — the root cause (omitted without one) and
/// the verdict. ANSI colours only when asked for.
/// </summary>
internal sealed class TableReportWriter(bool color) : FormatWriter<Report>(ReportWriters.Table), IReportWriter
{
    public const int Width = 100;


    protected override void WriteTo(Report report, TextWriter output)
    {
        var rows = report.Results.Select(r => new[]
        {
            StatusWord(r.Status),
            ReportText.Truncate(r.Name, 24),
            ReportText.Truncate(r.Kind, 10),
            r.Status == ResultStatus.Pass ? string.Empty : r.Cause is { } cause ? ReportText.CauseArrow(cause) : r.Layer?.Wire() ?? string.Empty,
            r.Status == ResultStatus.Pass || r.Cause is not null ? string.Empty : ShortSide(r.Side),
            ReportText.Time(r.DurationMs),
            ReportText.Detail(r),
        }).ToList();
        string[] header = ["", "TARGET", "KIND", "LAYER", "SIDE", "TIME", "DETAIL"];

        var widths = new int[header.Length];
        for (var i = 0; i < header.Length - 1; i++)
        {
            widths[i] = rows.Select(row => row[i].Length).Append(header[i].Length).Max();
        }

        widths[0] = Math.Max(widths[0], 4);
        var used = widths.Take(header.Length - 1).Sum() + (2 * (header.Length - 1));
        var detailWidth = Math.Max(20, Width - used);

        var text = new StringBuilder();
        text.AppendLine(Paint(Dim, Row(header, widths, detailWidth)));
        for (var i = 0; i < rows.Count; i++)
        {
            var line = Row(rows[i], widths, detailWidth);
            var word = rows[i][0];
            text.AppendLine(Paint(ColorOf(report.Results[i].Status), word) + line[word.Length..]);
        }

        foreach (var r in report.Results.Where(r => r.Status != ResultStatus.Pass))
        {
            text.AppendLine();
            var critical = (r.Status == ResultStatus.Fail && !r.Critical ? ", non-critical" : string.Empty)
                + (r.Vantage == Vantage.Inside ? ", seen from inside the service" : string.Empty);
            text.Append(Paint(ColorOf(r.Status), StatusWord(r.Status)))
                .Append(' ').Append(r.Name).Append(" (").Append(r.Kind).Append(critical).Append(") — ")
                .AppendLine(Attributed(r));
            if (r.Cause is not null)
            {
                AppendWrapped(text, $"as seen here: {r.Layer?.Wire() ?? "unknown"} ({r.Side?.Wire() ?? "infrastructure"})");
            }

            if (r.Error is { } error)
            {
                AppendWrapped(text, $"{error.Kind}: {ReportText.OneLine(error.Message)}");
            }

            foreach (var line in r.Evidence)
            {
                if (r.Error is { } e && string.Equals(line, e.Message, StringComparison.Ordinal))
                {
                    continue;
                }

                AppendWrapped(text, ReportText.OneLine(line));
            }

            if (ReportText.Remedy(r) is { } remedy)
            {
                AppendWrapped(text, "remedy: " + ReportText.OneLine(remedy));
            }
        }

        text.AppendLine();
        if (ReportText.RootCause(report) is { } rootCause)
        {
            text.AppendLine(ReportText.OneLine(rootCause));
        }

        foreach (var finding in ReportText.Findings(report))
        {
            text.AppendLine(ReportText.OneLine(finding));
        }

        text.AppendLine(Paint(Bold + ColorOf(report.Status), ReportText.Verdict(report)));
        output.Write(text.ToString());
    }

    private static string Row(string[] cells, int[] widths, int detailWidth)
    {
        var line = new StringBuilder();
        for (var i = 0; i < cells.Length - 1; i++)
        {
            line.Append(cells[i].PadRight(widths[i])).Append("  ");
        }

        line.Append(ReportText.Truncate(ReportText.OneLine(cells[^1]), detailWidth));
        return line.ToString().TrimEnd();
    }

    /// <summary>An indented detail line, wrapped at word boundaries to the table width (continuations indented further).</summary>
    private static void AppendWrapped(StringBuilder text, string line)
    {
        const string Indent = "    ";
        const string Continuation = "      ";
        var prefix = Indent;
        var rest = line;
        while (prefix.Length + rest.Length > Width)
        {
            var room = Width - prefix.Length;
            var cut = rest.LastIndexOf(' ', room);
            if (cut <= room / 3)
            {
                break;
            }

            text.Append(prefix).AppendLine(rest[..cut]);
            rest = rest[(cut + 1)..];
            prefix = Continuation;
        }

        text.Append(prefix).AppendLine(rest);
    }

    /// <summary><c>database (infrastructure)</c>, or for a consequence <c>consequence of api/postgres — database (infrastructure)</c>.</summary>
    private static string Attributed(TargetResult r) => r.Cause is { } cause
        ? $"consequence of {cause.Target} — {cause.Layer.Wire()} ({cause.Side.Wire()})"
        : $"{r.Layer?.Wire() ?? "unknown"} ({r.Side?.Wire() ?? "infrastructure"})";

    private static string StatusWord(ResultStatus status) => status.Wire().ToUpperInvariant();

    private static string ShortSide(Side? side) => side switch
    {
        Side.Infrastructure => "infra",
        Side.Application => "app",
        _ => string.Empty,
    };

    private static string ColorOf(ResultStatus status) => status switch
    {
        ResultStatus.Fail => Red,
        ResultStatus.Warn => Yellow,
        _ => Green,
    };

    private static string ColorOf(OverallStatus status) => status switch
    {
        OverallStatus.Unhealthy => Red,
        OverallStatus.Degraded => Yellow,
        _ => Green,
    };

    private string Paint(string code, string text) => color ? code + text + Reset : text;
}
