using System.Globalization;
using Faultline.Core.Reporting;

namespace Faultline.Core.Config;

/// <summary>One problem in a config file: where, what, and what to write instead.</summary>
public sealed record ConfigError(SourceLocation? Location, string Message, string? Hint)
{
    /// <summary>How much of a message or hint one line shows; the middle of a longer one (a huge key quoted back) is left out.</summary>
    private const int MaxPartLength = 1_000;

    /// <summary>
    /// <c>file:line:col: message. hint</c> on one line: control and text-reordering characters from the file are
    /// written as escapes (<see cref="SafeText"/>), and a message or hint longer than 1,000 characters keeps its start
    /// and its end.
    /// </summary>
    public override string ToString()
    {
        var message = Part(Message);
        var text = Location is null ? message : $"{Part(Location.ToString())}: {message}";
        return string.IsNullOrEmpty(Hint) ? text : $"{text}. {Part(Hint)}";
    }

    private static string Part(string text)
    {
        var shown = SafeText.Escape(text);
        if (shown.Length <= MaxPartLength)
        {
            return shown;
        }

        const int Tail = 150;
        var head = MaxPartLength - Tail;
        return string.Create(CultureInfo.InvariantCulture, $"{shown[..head]} … ({shown.Length - head - Tail:N0} characters left out) … {shown[^Tail..]}");
    }
}

/// <summary>
/// A config file that cannot be used. <see cref="Errors"/> holds the first <see cref="ConfigLimits.MaxErrorsShown"/>
/// errors in file order and <see cref="Count"/> how many there are in all; <see cref="Exception.Message"/> lists the
/// errors shown, one per line, then "and N more errors" when some were left out.
/// </summary>
public sealed class ConfigException : Exception
{
    public ConfigException(IReadOnlyList<ConfigError> errors)
        : this(errors, (errors ?? throw new ArgumentNullException(nameof(errors))).Count)
    {
    }

    /// <summary><paramref name="count"/> errors in all, of which <paramref name="errors"/> (at most <see cref="ConfigLimits.MaxErrorsShown"/> are kept) are shown.</summary>
    public ConfigException(IReadOnlyList<ConfigError> errors, int count)
        : base(Describe(Shown(errors), Math.Max(count, errors.Count)))
    {
        Errors = Shown(errors);
        Count = Math.Max(count, errors.Count);
    }

    public ConfigException()
        : this([new ConfigError(null, "invalid configuration", null)])
    {
    }

    public ConfigException(string message)
        : this([new ConfigError(null, message, null)])
    {
    }

    public ConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [new ConfigError(null, message, null)];
        Count = 1;
    }

    /// <summary>The errors shown: at most <see cref="ConfigLimits.MaxErrorsShown"/>, the first in file order.</summary>
    public IReadOnlyList<ConfigError> Errors { get; }

    /// <summary>How many errors the config has in all.</summary>
    public int Count { get; }

    /// <summary>How many errors are not in <see cref="Errors"/>.</summary>
    public int Omitted => Count - Errors.Count;

    /// <summary>The line that stands for the errors left out, or null when none were.</summary>
    public string? OmittedLine => OmittedText(Omitted, Errors.Count);

    private static IReadOnlyList<ConfigError> Shown(IReadOnlyList<ConfigError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return errors.Count > ConfigLimits.MaxErrorsShown ? [.. errors.Take(ConfigLimits.MaxErrorsShown)] : errors;
    }

    private static string Describe(IReadOnlyList<ConfigError> shown, int count)
    {
        var lines = shown.Select(e => e.ToString());
        return string.Join(Environment.NewLine, OmittedText(count - shown.Count, shown.Count) is { } omitted ? lines.Append(omitted) : lines);
    }

    private static string? OmittedText(int omitted, int shown) => omitted > 0
        ? string.Create(CultureInfo.InvariantCulture, $"and {omitted:N0} more error{(omitted == 1 ? string.Empty : "s")} (the first {shown} are shown)")
        : null;
}
