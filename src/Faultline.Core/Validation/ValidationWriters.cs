using Faultline.Core.Reporting;

namespace Faultline.Core.Validation;

/// <summary>Writes a validation in one format.</summary>
public interface IValidationWriter
{
    /// <summary>table, json, junit or markdown (the names of <see cref="ReportWriters.Formats"/>).</summary>
    string Format { get; }

    void Write(ValidationResult validation, TextWriter output);
}

/// <summary>The validation formats and their writers: the same four names as the report's.</summary>
public static class ValidationWriters
{
    public static IReadOnlyList<string> Formats => ReportWriters.Formats;

    /// <summary>The writer for <paramref name="format"/>; <paramref name="color"/> applies to the table only.</summary>
    /// <exception cref="ArgumentException">The format is not one of <see cref="Formats"/>.</exception>
    public static IValidationWriter Create(string format, bool color = false) => format switch
    {
        ReportWriters.Table => new ValidationTableWriter(color),
        ReportWriters.Json => new ValidationJsonWriter(),
        ReportWriters.JUnit => new ValidationJUnitWriter(),
        ReportWriters.Markdown => new ValidationMarkdownWriter(),
        _ => throw new ArgumentException($"unknown report format '{format}'; use one of: {string.Join(", ", Formats)}", nameof(format)),
    };
}
