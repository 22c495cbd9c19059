using System.Text;
using Faultline.Core.Reporting;
using static Faultline.Core.Reporting.Ansi;

namespace Faultline.Core.Validation;

/// <summary>
/// The console view: a categories table, a targets table (one letter per run: P pass, W warn, F fail),
/// the sign-off reasons, then the verdict as the last line. ANSI colours only when asked for.
/// </summary>
internal sealed class ValidationTableWriter(bool color) : FormatWriter<ValidationResult>(ReportWriters.Table), IValidationWriter
{
    private const int Width = 100;

    protected override void WriteTo(ValidationResult validation, TextWriter output)
    {
        var v = validation;
        var text = new StringBuilder();

        var categoryRows = v.Categories.Select(c => new[]
        {
            c.Met ? "MET" : "NOT MET",
            ReportText.Truncate(c.Name, 24),
            c.Critical ? "yes" : "no",
            ValidationText.Fraction(c),
            ValidationText.Rate(c.PassRate),
            Validator.Percent(c.MinPassRate),
            c.Note ?? string.Empty,
        }).ToList();
        Table(text, ["", "CATEGORY", "CRITICAL", "PASSED", "RATE", "NEEDS", "NOTE"], categoryRows, row => row[0] == "MET" ? Green : Red);

        text.AppendLine();
        var withBaseline = v.Targets.Any(t => t.Baseline is not null);
        var targetRows = v.Targets.Select(t => new[]
        {
            t.Outcome.Wire().ToUpperInvariant(),
            ReportText.Truncate(t.Name, 24),
            ReportText.Truncate(t.Category, 16),
            ValidationText.RunLetters(t),
            withBaseline ? t.Baseline?.Wire() ?? string.Empty : string.Empty,
            ValidationText.LastFailure(t),
        }).ToList();
        Table(text, ["", "TARGET", "CATEGORY", "RUNS", withBaseline ? "BASELINE" : string.Empty, "LAST FAILURE"], targetRows, row => row[0] switch
        {
            "PASSING" => Green,
            "FLAKY" => Yellow,
            _ => Red,
        });

        if (v.Signoff.Reasons.Count > 0)
        {
            text.AppendLine().AppendLine("Needs attention:");
            foreach (var reason in v.Signoff.Reasons)
            {
                text.Append("  - ").AppendLine(ReportText.OneLine(reason));
            }
        }

        text.AppendLine();
        var paint = v.Verdict == ValidationVerdict.Pass ? Green : Red;
        text.AppendLine(Paint(Bold + paint, "VALIDATION " + ValidationText.Verdict(v)));
        output.Write(text.ToString());
    }

    private void Table(StringBuilder text, string[] header, List<string[]> rows, Func<string[], string> colorOf)
    {
        var widths = new int[header.Length];
        for (var i = 0; i < header.Length - 1; i++)
        {
            widths[i] = rows.Select(row => row[i].Length).Append(header[i].Length).Max();
        }

        var used = widths.Take(header.Length - 1).Sum() + (2 * (header.Length - 1));
        var lastWidth = Math.Max(20, Width - used);
        text.AppendLine(Paint(Dim, Row(header, widths, lastWidth)));
        foreach (var row in rows)
        {
            var line = Row(row, widths, lastWidth);
            text.AppendLine(Paint(colorOf(row), row[0]) + line[row[0].Length..]);
        }
    }

    private static string Row(string[] cells, int[] widths, int lastWidth)
    {
        var line = new StringBuilder();
        for (var i = 0; i < cells.Length - 1; i++)
        {
            if (widths[i] == 0)
            {
                continue;
            }

            line.Append(cells[i].PadRight(widths[i])).Append("  ");
        }

        line.Append(ReportText.Truncate(ReportText.OneLine(cells[^1]), lastWidth));
        return line.ToString().TrimEnd();
    }

    private string Paint(string code, string text) => color ? code + text + Reset : text;
}
