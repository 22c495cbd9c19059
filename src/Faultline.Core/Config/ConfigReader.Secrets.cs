using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Faultline.Core.Config;

/// <summary>
/// The secrets of a config, decided while it is read (docs/security.md, "What is a secret"): what a
/// key's <see cref="Secrecy"/> says, the user-info of every URL, and the query values of a URL that
/// the environment filled in. Every output removes them through one redactor.
/// </summary>
internal sealed partial class ConfigReader
{
    /// <summary>Headers whose literal values never carry a credential; any other header value is a secret.</summary>
    private static readonly HashSet<string> PlainHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language", "Cache-Control", "Connection", "Content-Language",
        "Content-Type", "Host", "Origin", "Pragma", "Referer", "User-Agent", "X-Requested-With",
    };

    private readonly HashSet<string> _secrets = new(StringComparer.Ordinal);

    /// <summary>The values no output may show, in the order they were read.</summary>
    public IReadOnlyList<string> Secrets => [.. _secrets];

    /// <summary>A name of a JSON field or environment variable that holds a credential.</summary>
    [GeneratedRegex("pass|secret|token|key|credential|auth|session|cookie|dsn|connection", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex CredentialName();

    private void AddSecret(string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            _secrets.Add(value);
        }
    }

    /// <summary>After interpolating a scalar of <paramref name="key"/>: the values the environment filled in, and a URL's credentials.</summary>
    private void RecordScalarSecrets(ConfigKey key, string value, IReadOnlyList<string> filledIn)
    {
        if (key.Secrecy != Secrecy.None)
        {
            foreach (var filled in filledIn)
            {
                AddSecret(filled);
            }
        }

        if (key.Format is KeyFormat.TargetUrl or KeyFormat.HttpUrl or KeyFormat.TemplateUrl)
        {
            RecordUrlSecrets(value, filledIn);
        }
    }

    /// <summary>A URL's user-info password and its Basic credential; what the environment filled into its user-info or query.</summary>
    private void RecordUrlSecrets(string url, IReadOnlyList<string> filledIn)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            return;
        }

        var rest = url[(schemeEnd + 3)..];
        var authorityEnd = rest.IndexOfAny(['/', '?', '#']);
        var authority = authorityEnd < 0 ? rest : rest[..authorityEnd];
        var at = authority.LastIndexOf('@');
        var userInfo = at < 0 ? string.Empty : authority[..at];
        if (userInfo.Length > 0)
        {
            var plain = Uri.UnescapeDataString(userInfo);
            if (plain.Split(':', 2) is [_, { Length: > 0 } password])
            {
                AddSecret(password);
                AddSecret(Convert.ToBase64String(Encoding.UTF8.GetBytes(plain)));
            }
        }

        var queryStart = rest.IndexOf('?', StringComparison.Ordinal);
        var query = queryStart < 0 ? string.Empty : rest[(queryStart + 1)..].Split('#', 2)[0];
        foreach (var filled in filledIn)
        {
            if (Contains(userInfo, filled) || Contains(query, filled))
            {
                AddSecret(filled);
            }
        }

        static bool Contains(string part, string value) =>
            part.Length > 0 && (part.Contains(value, StringComparison.Ordinal) || part.Contains(Uri.EscapeDataString(value), StringComparison.Ordinal));
    }

    /// <summary>The whole value of a <see cref="Secrecy.Whole"/> string key (a JSON body also gives its credential fields).</summary>
    private void RecordWholeSecret(ConfigKey key, string value)
    {
        if (key.Secrecy != Secrecy.Whole)
        {
            return;
        }

        AddSecret(value);
        RecordCredentialFields(value);
    }

    /// <summary>One entry of a <see cref="Secrecy.Whole"/> mapping: header values unless the header never carries a credential; environment values whose name says credential.</summary>
    private void RecordMapSecret(ConfigKey key, string name, string value)
    {
        if (key.Secrecy != Secrecy.Whole)
        {
            return;
        }

        var secret = key.CaseSensitiveNames ? CredentialName().IsMatch(name) : !PlainHeaders.Contains(name);
        if (secret)
        {
            AddSecret(value);
        }
    }

    /// <summary>The string values of a JSON document's fields named like credentials (password, token, apiKey, ...), at any depth.</summary>
    private void RecordCredentialFields(string json)
    {
        var trimmed = json.TrimStart();
        if (trimmed.Length == 0 || (trimmed[0] != '{' && trimmed[0] != '['))
        {
            return;
        }

        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
            Walk(document.RootElement, credential: false);
        }
        catch (JsonException)
        {
            // Not JSON after all: the whole value is already a secret.
        }

        void Walk(JsonElement element, bool credential)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        Walk(property.Value, credential || CredentialName().IsMatch(property.Name));
                    }

                    break;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                    {
                        Walk(item, credential);
                    }

                    break;
                case JsonValueKind.String when credential:
                    AddSecret(element.GetString());
                    break;
                case JsonValueKind.Number when credential:
                    AddSecret(element.GetRawText());
                    break;
            }
        }
    }
}
