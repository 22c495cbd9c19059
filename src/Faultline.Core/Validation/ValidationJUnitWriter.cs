using System.Globalization;
using System.Text;
using System.Xml;
using Faultline.Core.Model;
using Faultline.Core.Reporting;

namespace Faultline.Core.Validation;

/// <summary>
/// JUnit XML: <c>&lt;testsuites name="faultline validate"&gt;</c>, one <c>&lt;testsuite&gt;</c> per
/// category (its counts and minimum in properties; an empty category is a suite with no cases), one
/// <c>&lt;testcase&gt;</c> per target (classname = category), one <c>&lt;failure&gt;</c> per failing
/// run; a flaky or passing target notes its outcome and baseline move in system-out.
/// </summary>
internal sealed class ValidationJUnitWriter() : FormatWriter<ValidationResult>(ReportWriters.JUnit), IValidationWriter
{
    protected override void WriteTo(ValidationResult validation, TextWriter output)
    {
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false), CheckCharacters = false };
        var timestamp = validation.LastReport.StartedAt.ToString("yyyy-MM-ddTHH:mm:ssK", CultureInfo.InvariantCulture);
        using var buffer = new JUnitReportWriter.StringWriterUtf8(CultureInfo.InvariantCulture);
        using (var xml = XmlWriter.Create(buffer, settings))
        {
            xml.WriteStartDocument();
            xml.WriteStartElement("testsuites");
            xml.WriteAttributeString("name", "faultline validate");
            xml.WriteAttributeString("tests", JUnitReportWriter.Number(validation.Targets.Count));
            xml.WriteAttributeString("failures", JUnitReportWriter.Number(validation.Targets.Count(t => t.Failed > 0)));
            xml.WriteAttributeString("errors", "0");
            xml.WriteAttributeString("timestamp", timestamp);

            foreach (var category in validation.Categories)
            {
                var targets = validation.Targets.Where(t => string.Equals(t.Category, category.Name, StringComparison.Ordinal)).ToList();
                xml.WriteStartElement("testsuite");
                xml.WriteAttributeString("name", JUnitReportWriter.Clean(category.Name));
                xml.WriteAttributeString("tests", JUnitReportWriter.Number(targets.Count));
                xml.WriteAttributeString("failures", JUnitReportWriter.Number(targets.Count(t => t.Failed > 0)));
                xml.WriteAttributeString("errors", "0");
                xml.WriteAttributeString("skipped", "0");
                xml.WriteAttributeString("timestamp", timestamp);
                xml.WriteStartElement("properties");
                Property(xml, "critical", category.Critical ? "true" : "false");
                Property(xml, "passed", JUnitReportWriter.Number(category.Passed));
                Property(xml, "total", JUnitReportWriter.Number(category.Total));
                Property(xml, "passRate", ValidationText.Rate(category.PassRate));
                Property(xml, "minPassRate", Validator.Percent(category.MinPassRate));
                Property(xml, "met", category.Met ? "true" : "false");
                if (category.Note is { } note)
                {
                    Property(xml, "note", note);
                }

                xml.WriteEndElement();
                foreach (var target in targets)
                {
                    WriteCase(xml, target);
                }

                xml.WriteEndElement();
            }

            xml.WriteEndElement();
            xml.WriteEndDocument();
        }

        output.Write(buffer.ToString());
        output.WriteLine();
    }

    private static void WriteCase(XmlWriter xml, TargetValidation target)
    {
        xml.WriteStartElement("testcase");
        xml.WriteAttributeString("classname", JUnitReportWriter.Clean(target.Category));
        xml.WriteAttributeString("name", JUnitReportWriter.Clean(target.Name));
        foreach (var run in target.Runs.Where(r => !r.Passed))
        {
            var where = $"{run.Layer?.Wire() ?? "unknown"} ({run.Side?.Wire() ?? "infrastructure"})";
            xml.WriteStartElement("failure");
            xml.WriteAttributeString("message", JUnitReportWriter.Clean($"run {JUnitReportWriter.Number(run.Run)} of {JUnitReportWriter.Number(target.Runs.Count)}: {where}: {run.Evidence ?? "failed"}"));
            xml.WriteAttributeString("type", run.ErrorKind ?? "condition-failed");
            xml.WriteString(JUnitReportWriter.Clean($"layer: {where}\nerror: {run.ErrorKind ?? "none (a condition failed)"}\nevidence: {run.Evidence ?? "none"}\n"));
            xml.WriteEndElement();
        }

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"outcome: {target.Outcome.Wire()} ({target.Passed} of {target.Runs.Count} runs passed)");
        if (target.Baseline is { } change)
        {
            text.Append("; baseline: ").Append(change.Wire());
        }

        text.Append("; runs: ").Append(string.Join(", ", target.Runs.Select(r => r.Status.Wire())));
        xml.WriteElementString("system-out", JUnitReportWriter.Clean(text.ToString()));
        xml.WriteEndElement();
    }

    private static void Property(XmlWriter xml, string name, string value)
    {
        xml.WriteStartElement("property");
        xml.WriteAttributeString("name", name);
        xml.WriteAttributeString("value", JUnitReportWriter.Clean(value));
        xml.WriteEndElement();
    }
}
