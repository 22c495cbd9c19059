namespace Faultline.Core.Reporting;

/// <summary>A writer of one output format (table, json, junit, markdown) for <typeparamref name="T"/>: a report or a validation.</summary>
internal abstract class FormatWriter<T>(string format)
    where T : class
{
    /// <summary>The format's name as the command line spells it.</summary>
    public string Format { get; } = format;

    /// <summary>Writes <paramref name="value"/> to <paramref name="output"/>.</summary>
    public void Write(T value, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(output);
        WriteTo(value, output);
    }

    /// <summary>Writes <paramref name="value"/> (both arguments are checked).</summary>
    protected abstract void WriteTo(T value, TextWriter output);
}
