using System.Text.RegularExpressions;
using Faultline.Core.Running;
using Microsoft.Extensions.Configuration;

namespace Faultline.AspNetCore.Probing;

/// <summary>
/// Keeps secrets out of everything the library writes (responses, stderr, the termination file, logs):
/// values of configuration keys that name a secret (password, secret, key, token) or hold a connection
/// string, passwords inside those connection strings, and credentials written as <c>password=...</c> or
/// <c>scheme://user:password@</c> anywhere in a message.
/// </summary>
internal sealed partial class SecretScrubber
{
    private static readonly string[] SecretWords = ["password", "pwd", "secret", "key", "token", "credential", "connectionstring"];

    private readonly SecretRedactor _redactor = new();
    private readonly List<string> _values = [];
    private readonly Lock _gate = new();

    public SecretScrubber(IConfiguration? configuration = null)
    {
        if (configuration is null)
        {
            return;
        }

        foreach (var (key, value) in configuration.AsEnumerable())
        {
            if (string.IsNullOrEmpty(value))
            {
                continue;
            }

            var lower = key.Replace(":", string.Empty, StringComparison.Ordinal).ToLowerInvariant();
            var isConnection = key.StartsWith("ConnectionStrings:", StringComparison.OrdinalIgnoreCase);
            if (isConnection || SecretWords.Any(w => lower.Contains(w, StringComparison.Ordinal)))
            {
                Add(value);
                foreach (var embedded in EmbeddedPasswords(value))
                {
                    Add(embedded);
                }
            }
        }
    }

    /// <summary>Every value known to be secret, for probes that redact their own results.</summary>
    public IReadOnlyList<string> KnownValues
    {
        get
        {
            lock (_gate)
            {
                return [.. _values];
            }
        }
    }

    public void Add(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length < SecretRedactor.MinimumLength)
        {
            return;
        }

        lock (_gate)
        {
            if (!_values.Contains(value, StringComparer.Ordinal))
            {
                _values.Add(value);
                _redactor.Add(value);
            }
        }
    }

    public string Scrub(string text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }

        text = _redactor.Redact(text);
        text = UrlPassword().Replace(text, "${prefix}***@");
        return KeyValuePassword().Replace(text, "${key}=***");
    }

    public string? ScrubNullable(string? text) => text is null ? null : Scrub(text);

    private static IEnumerable<string> EmbeddedPasswords(string value)
    {
        foreach (Match match in KeyValuePassword().Matches(value))
        {
            yield return match.Groups["value"].Value.Trim('"', '\'');
        }

        foreach (Match match in UrlPassword().Matches(value))
        {
            yield return Uri.UnescapeDataString(match.Groups["password"].Value);
        }
    }

    [GeneratedRegex(@"(?<prefix>[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:)(?<password>[^@\s/]+)@", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 200)]
    private static partial Regex UrlPassword();

    [GeneratedRegex(@"(?<key>\b(?:password|pwd|passwd|pass|secret|token|api[_-]?key)\b)\s*=\s*(?<value>""[^""]*""|'[^']*'|[^;\s&,]+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 200)]
    private static partial Regex KeyValuePassword();
}
