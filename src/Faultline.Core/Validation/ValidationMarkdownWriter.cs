using System.Globalization;
using System.Text;
using Faultline.Core.Model;
using Faultline.Core.Reporting;

namespace Faultline.Core.Validation;

/// <summary>Markdown for a CI step summary or an incident ticket: the verdict line, a categories table, a targets table, the sign-off with its reasons.</summary>
internal sealed class ValidationMarkdownWriter() : FormatWriter<ValidationResult>(ReportWriters.Markdown), IValidationWriter
{
    protected override void WriteTo(ValidationResult validation, TextWriter output)
    {
        var v = validation;

        var md = new StringBuilder();
        md.Append("## Faultline validate: ").AppendLine(MarkdownReportWriter.Cell(ValidationText.Verdict(v))).AppendLine();
        var context = new List<string>();
        if (v.LastReport.Environment is { } environment)
        {
            context.Add($"environment `{MarkdownReportWriter.Code(environment)}`");
        }

        context.Add("last run started " + v.LastReport.StartedAt.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture));
        if (v.BaselineSource is { } baseline)
        {
            context.Add($"baseline `{MarkdownReportWriter.Code(Path.GetFileName(baseline))}`");
        }

        md.AppendLine(string.Join(" · ", context)).AppendLine();

        md.AppendLine("### Categories").AppendLine();
        md.AppendLine("| category | critical | passed | pass rate | needs | met |");
        md.AppendLine("|---|---|---|---|---|---|");
        foreach (var c in v.Categories)
        {
            var met = c.Met ? "yes" : "**no**";
            if (c.Note is { } note)
            {
                met += " — " + MarkdownReportWriter.Cell(note);
            }

            md.Append("| ").Append(MarkdownReportWriter.Cell(c.Name))
                .Append(" | ").Append(c.Critical ? "yes" : "no")
                .Append(" | ").Append(ValidationText.Fraction(c))
                .Append(" | ").Append(ValidationText.Rate(c.PassRate))
                .Append(" | ").Append(Validator.Percent(c.MinPassRate))
                .Append(" | ").Append(met)
                .AppendLine(" |");
        }

        md.AppendLine();
        md.AppendLine("### Targets").AppendLine();
        var withBaseline = v.Targets.Any(t => t.Baseline is not null);
        md.AppendLine(withBaseline ? "| target | category | outcome | baseline | runs | last failure |" : "| target | category | outcome | runs | last failure |");
        md.AppendLine(withBaseline ? "|---|---|---|---|---|---|" : "|---|---|---|---|---|");
        foreach (var t in v.Targets)
        {
            var outcome = t.Outcome == TargetOutcome.Passing ? "passing" : $"**{t.Outcome.Wire()}**";
            md.Append("| ").Append(MarkdownReportWriter.Cell(t.Name))
                .Append(" | ").Append(MarkdownReportWriter.Cell(t.Category))
                .Append(" | ").Append(outcome);
            if (withBaseline)
            {
                md.Append(" | ").Append(t.Baseline?.Wire() ?? string.Empty);
            }

            md.Append(" | ").Append(string.Join(", ", t.Runs.Select(r => r.Status.Wire())))
                .Append(" | ").Append(MarkdownReportWriter.Cell(ReportText.Truncate(ValidationText.LastFailure(t), 160)))
                .AppendLine(" |");
        }

        md.AppendLine();
        md.Append("### Sign-off: ").AppendLine(v.Signoff.Status == SignoffStatus.Approved ? "approved" : "requires attention").AppendLine();
        if (v.Signoff.Reasons.Count == 0)
        {
            md.AppendLine("Every critical category met its minimum and the overall pass rate reached " + Validator.Percent(v.MinPassRate) + ".");
        }
        else
        {
            foreach (var reason in v.Signoff.Reasons)
            {
                md.Append("- ").AppendLine(MarkdownReportWriter.Cell(reason));
            }
        }

        output.Write(md.ToString());
    }
}
