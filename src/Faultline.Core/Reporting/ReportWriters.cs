using Faultline.Core.Model;

namespace Faultline.Core.Reporting;

/// <summary>Writes a report in one format.</summary>
public interface IReportWriter
{
    /// <summary>The format's name as the command line spells it: table, json, junit, markdown.</summary>
    string Format { get; }

    void Write(Report report, TextWriter output);
}

/// <summary>The report formats and their writers.</summary>
public static class ReportWriters
{
    public const string Table = "table";
    public const string Json = "json";
    public const string JUnit = "junit";
    public const string Markdown = "markdown";

    public static IReadOnlyList<string> Formats { get; } = [Table, Json, JUnit, Markdown];

    /// <summary>The writer for <paramref name="format"/>; <paramref name="color"/> applies to the table only.</summary>
    /// <exception cref="ArgumentException">The format is not one of <see cref="Formats"/>.</exception>
    public static IReportWriter Create(string format, bool color = false) => format switch
    {
        Table => new TableReportWriter(color),
        Json => new JsonReportWriter(),
        JUnit => new JUnitReportWriter(),
        Markdown => new MarkdownReportWriter(),
        _ => throw new ArgumentException($"unknown report format '{format}'; use one of: {string.Join(", ", Formats)}", nameof(format)),
    };
}
