using System.Collections.Concurrent;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Faultline.Core.Running;

/// <summary>
/// Collects values that must never be printed and removes them from any text before it reaches a
/// writer, a store, an alert or a log. What is a secret is decided in one place: the config's
/// <see cref="Config.FaultlineConfig.Secrets"/> (read with the file), plus what probes learn
/// (connection-string passwords, secret values, tokens); docs/security.md lists both. Each value is
/// also removed in the forms a server may echo it in: URL-escaped, JSON-escaped, and for an
/// <c>Authorization</c>-style value the credential alone (a Basic credential decoded too). Thread-safe.
/// </summary>
public sealed class SecretRedactor
{
    public const string Mask = "***";

    /// <summary>Values shorter than this are not redacted on their own (they would mangle ordinary text).</summary>
    public const int MinimumLength = 4;

    /// <summary>HTTP authentication schemes (IANA registry and common API-key forms) whose credential follows a space.</summary>
    private static readonly HashSet<string> AuthSchemes = new(StringComparer.OrdinalIgnoreCase)
    {
        "Basic", "Bearer", "Token", "ApiKey", "Api-Key", "Key", "Digest", "Negotiate", "NTLM", "DPoP", "Mutual", "HOBA", "VAPID", "SharedKey",
    };

    private static readonly JavaScriptEncoder[] JsonEncoders = [JavaScriptEncoder.Default, JavaScriptEncoder.UnsafeRelaxedJsonEscaping];

    private readonly ConcurrentDictionary<string, byte> _values = new(StringComparer.Ordinal);
    private volatile string[]? _longestFirst;

    /// <summary>A redactor that knows <paramref name="values"/> (e.g. <see cref="Config.FaultlineConfig.Secrets"/>).</summary>
    public static SecretRedactor Of(IEnumerable<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var redactor = new SecretRedactor();
        foreach (var value in values)
        {
            redactor.Add(value);
        }

        return redactor;
    }

    public void Add(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        Register(value);
        var trimmed = value.Trim();
        Register(trimmed);

        // "Bearer abc…", "Basic dXNl…", "Token abc…": the credential alone is as secret as the whole header.
        var space = trimmed.IndexOf(' ', StringComparison.Ordinal);
        if (space > 0 && AuthSchemes.Contains(trimmed[..space]))
        {
            var credential = trimmed[(space + 1)..].Trim();
            Register(credential);
            if (trimmed.AsSpan(0, space).Equals("Basic", StringComparison.OrdinalIgnoreCase))
            {
                AddBasicCredential(credential);
            }
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
        foreach (var value in LongestFirst())
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

    /// <summary>A base64 <c>user:password</c>: the decoded pair and the password are secrets too.</summary>
    private void AddBasicCredential(string base64)
    {
        var bytes = new byte[base64.Length];
        if (!Convert.TryFromBase64String(base64, bytes, out var written))
        {
            return;
        }

        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, true).GetString(bytes, 0, written);
        }
        catch (DecoderFallbackException)
        {
            return;
        }

        Register(decoded);
        if (decoded.Split(':', 2) is [_, { Length: > 0 } password])
        {
            Register(password);
        }
    }

    private void Register(string value)
    {
        if (value.Length < MinimumLength)
        {
            return;
        }

        var added = _values.TryAdd(value, 0);
        foreach (var encoder in JsonEncoders)
        {
            var json = JsonEncodedText.Encode(value, encoder).ToString();
            if (!string.Equals(json, value, StringComparison.Ordinal))
            {
                added |= _values.TryAdd(json, 0);
            }
        }

        if (added)
        {
            _longestFirst = null;
        }
    }

    private string[] LongestFirst() =>
        _longestFirst ??= [.. _values.Keys.OrderByDescending(v => v.Length).ThenBy(v => v, StringComparer.Ordinal)];
}
