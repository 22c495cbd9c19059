using System.Collections.Concurrent;

namespace Faultline.Core.Running;

/// <summary>
/// Collects values that must never be printed (secret values, passwords from connection strings)
/// and removes them from any text before it reaches a writer or a log. Thread-safe.
/// </summary>
public sealed class SecretRedactor
{
    public const string Mask = "***";

    /// <summary>Values shorter than this are not redacted on their own (they would mangle ordinary text).</summary>
    public const int MinimumLength = 4;

    private readonly ConcurrentDictionary<string, byte> _values = new(StringComparer.Ordinal);

    public void Add(string? value)
    {
        if (!string.IsNullOrEmpty(value) && value.Length >= MinimumLength)
        {
            _values.TryAdd(value, 0);
        }
    }

    public int Count => _values.Count;

    public string Redact(string text)
    {
        if (string.IsNullOrEmpty(text) || _values.IsEmpty)
        {
            return text;
        }

        // Longest first, so a value that contains another is removed whole.
        foreach (var value in _values.Keys.OrderByDescending(v => v.Length))
        {
            if (text.Contains(value, StringComparison.Ordinal))
            {
                text = text.Replace(value, Mask, StringComparison.Ordinal);
            }

            var escaped = Uri.EscapeDataString(value);
            if (!string.Equals(escaped, value, StringComparison.Ordinal) && text.Contains(escaped, StringComparison.Ordinal))
            {
                text = text.Replace(escaped, Mask, StringComparison.Ordinal);
            }
        }

        return text;
    }

    public string? RedactNullable(string? text) => text is null ? null : Redact(text);
}
