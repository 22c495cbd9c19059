using System.Globalization;
using System.Text;
using System.Xml;
using Faultline.Core.Model;

namespace Faultline.Core.Reporting;

/// <summary>
/// JUnit XML: <c>&lt;testsuites name="faultline"&gt;</c> with one <c>&lt;testsuite&gt;</c> per
/// category and one <c>&lt;testcase&gt;</c> per target (classname = category, name = target).
/// A failure's message is <c>layer (side): reason</c>, its text the evidence and the remedy;
/// non-critical failures say <c>(non-critical)</c>; warnings pass with the warning in system-out.
/// </summary>
internal sealed class JUnitReportWriter() : FormatWriter<Report>(ReportWriters.JUnit), IReportWriter
{
    protected override void WriteTo(Report report, TextWriter output)
    {
        var settings = new XmlWriterSettings
        {
            Indent = true,
            Encoding = new UTF8Encoding(false),
            OmitXmlDeclaration = false,
            CheckCharacters = false,
        };

        using var buffer = new StringWriterUtf8(CultureInfo.InvariantCulture);
        using (var xml = XmlWriter.Create(buffer, settings))
        {
            xml.WriteStartDocument();
            xml.WriteStartElement("testsuites");
            xml.WriteAttributeString("name", "faultline");
            xml.WriteAttributeString("tests", Number(report.Summary.Total));
            xml.WriteAttributeString("failures", Number(report.Summary.Failed - report.Summary.NotStarted));
            xml.WriteAttributeString("errors", "0");
            xml.WriteAttributeString("skipped", Number(report.Summary.NotStarted));
            xml.WriteAttributeString("time", ReportText.Seconds(report.DurationMs));
            xml.WriteAttributeString("timestamp", report.StartedAt.ToString("yyyy-MM-ddTHH:mm:ssK", CultureInfo.InvariantCulture));

            foreach (var category in report.Results.GroupBy(r => r.Category, StringComparer.Ordinal))
            {
                var results = category.ToList();
                xml.WriteStartElement("testsuite");
                xml.WriteAttributeString("name", category.Key);
                xml.WriteAttributeString("tests", Number(results.Count));
                xml.WriteAttributeString("failures", Number(results.Count(r => r.Status == ResultStatus.Fail && !Causality.IsNotStarted(r))));
                xml.WriteAttributeString("errors", "0");
                xml.WriteAttributeString("skipped", Number(results.Count(Causality.IsNotStarted)));
                xml.WriteAttributeString("time", ReportText.Seconds(results.Max(r => r.DurationMs)));
                xml.WriteAttributeString("timestamp", report.StartedAt.ToString("yyyy-MM-ddTHH:mm:ssK", CultureInfo.InvariantCulture));
                xml.WriteStartElement("properties");
                if (report.Environment is { } environment)
                {
                    WriteProperty(xml, "environment", environment);
                }

                WriteProperty(xml, "verdict", ReportText.Verdict(report));
                xml.WriteEndElement();

                foreach (var result in results)
                {
                    WriteCase(xml, result);
                }

                xml.WriteEndElement();
            }

            xml.WriteEndElement();
            xml.WriteEndDocument();
        }

        output.Write(buffer.ToString());
        output.WriteLine();
    }

    private static void WriteCase(XmlWriter xml, TargetResult result)
    {
        xml.WriteStartElement("testcase");
        xml.WriteAttributeString("classname", Clean(result.Category));
        xml.WriteAttributeString("name", Clean(result.Name));
        xml.WriteAttributeString("time", ReportText.Seconds(result.DurationMs));

        if (Causality.IsNotStarted(result))
        {
            // Never probed: the run's deadline passed while it waited for a slot. Skipped, not failed.
            xml.WriteStartElement("skipped");
            xml.WriteAttributeString("message", Clean(ReportText.OneLine(ReportText.Reason(result) ?? "not started")));
            xml.WriteEndElement();
        }
        else if (result.Status == ResultStatus.Fail)
        {
            var layer = result.Layer?.Wire() ?? "unknown";
            var side = result.Side?.Wire() ?? "infrastructure";
            var critical = result.Critical ? string.Empty : " (non-critical)";
            var where = result.Cause is { } cause ? $"consequence of {cause.Target} — {cause.Layer.Wire()} ({cause.Side.Wire()})" : $"{layer} ({side})";
            xml.WriteStartElement("failure");
            xml.WriteAttributeString("message", Clean($"{where}{critical}: {ReportText.OneLine(ReportText.Reason(result) ?? "failed")}"));
            xml.WriteAttributeString("type", result.Error?.Kind ?? "condition-failed");
            xml.WriteString(Clean(string.Join('\n', Body(result).Split('\n').Select(l => SafeText.Escape(l.TrimEnd('\r'))))));
            xml.WriteEndElement();
        }
        else
        {
            var text = new StringBuilder();
            text.Append(CultureInfo.InvariantCulture, $"{result.Kind} {result.Target}: {result.Status.Wire()}").AppendLine();
            if (result.Status == ResultStatus.Warn)
            {
                foreach (var line in result.Observation?.Warnings ?? result.Evidence)
                {
                    text.Append("warning: ").AppendLine(line);
                }
            }

            xml.WriteElementString("system-out", Clean(text.ToString()));
        }

        xml.WriteEndElement();
    }

    private static void WriteProperty(XmlWriter xml, string name, string value)
    {
        xml.WriteStartElement("property");
        xml.WriteAttributeString("name", name);
        xml.WriteAttributeString("value", Clean(value));
        xml.WriteEndElement();
    }

    private static string Body(TargetResult result)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"target: {result.Kind} {result.Target}").AppendLine();
        if (result.Cause is { } cause)
        {
            text.Append(CultureInfo.InvariantCulture, $"consequence of: {cause.Target} ({cause.Layer.Wire()}, {cause.Side.Wire()}); own layer: {result.Layer?.Wire() ?? "unknown"} ({result.Side?.Wire() ?? "infrastructure"})").AppendLine();
        }
        if (result.Error is { } error)
        {
            text.Append(CultureInfo.InvariantCulture, $"error: {error.Kind}: {error.Message}").AppendLine();
        }

        foreach (var condition in result.Conditions.Where(c => !c.Ok))
        {
            text.Append(CultureInfo.InvariantCulture, $"condition failed: {condition.Expr} (actual: {condition.Actual ?? "none"})").AppendLine();
        }

        foreach (var line in result.Evidence.Where(l => !string.Equals(l, result.Error?.Message, StringComparison.Ordinal)))
        {
            text.Append("evidence: ").AppendLine(line);
        }

        if (result.Remedy is { } remedy)
        {
            text.Append("remedy: ").AppendLine(remedy);
        }

        return text.ToString();
    }

    internal static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Drop characters XML 1.0 cannot carry (control characters from a hostile body, say); shared with the validation writer.</summary>
    internal static string Clean(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (XmlConvert.IsXmlChar(c) || char.IsSurrogate(c))
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary>A string writer that declares UTF-8, so the XML declaration says so.</summary>
    internal sealed class StringWriterUtf8(IFormatProvider provider) : StringWriter(provider)
    {
        public override Encoding Encoding => new UTF8Encoding(false);
    }
}
