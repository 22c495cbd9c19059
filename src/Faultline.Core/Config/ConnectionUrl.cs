using System.Text.RegularExpressions;
using Faultline.Core.Running;

namespace Faultline.Core.Config;

/// <summary>
/// The parts of a connection URL (<c>scheme://user:password@host:port/path?query</c>) that the
/// postgres and redis connection strings share. The password is registered with the redactor before anything
/// else parses the text, so no later message can carry it — not even a malformed URL's.
/// </summary>
public sealed partial record ConnectionUrl
{
    public required string Scheme { get; init; }

    /// <summary>The host without IPv6 brackets.</summary>
    public required string Host { get; init; }

    public required int Port { get; init; }

    /// <summary>The unescaped user name; null when the URL names none.</summary>
    public string? User { get; init; }

    /// <summary>The unescaped password; null when the URL has none. Already registered with the redactor.</summary>
    public string? Password { get; init; }

    /// <summary>The path without its slashes (e.g. the database name), unescaped.</summary>
    public string Path { get; init; } = string.Empty;

    /// <summary>The query string without its leading <c>?</c>.</summary>
    public string Query { get; init; } = string.Empty;

    /// <summary>
    /// Parses <paramref name="text"/>. Returns false when it is not an absolute URL with a host;
    /// <paramref name="defaultPort"/> applies when the URL names no port.
    /// </summary>
    public static bool TryParse(string text, int defaultPort, SecretRedactor redactor, out ConnectionUrl url)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(redactor);
        url = null!;
        var userInfo = UserInfoPattern().Match(text);
        if (userInfo.Success && userInfo.Groups["password"].Success)
        {
            redactor.Add(userInfo.Groups["password"].Value);
            redactor.Add(Unescape(userInfo.Groups["password"].Value));
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            return false;
        }

        string? user = null;
        string? password = null;
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            user = parts[0].Length > 0 ? Unescape(parts[0]) : null;
            password = parts.Length > 1 ? Unescape(parts[1]) : null;
            redactor.Add(password);
        }

        url = new ConnectionUrl
        {
            Scheme = uri.Scheme,
            Host = uri.Host.Trim('[', ']'),
            Port = uri.IsDefaultPort || uri.Port < 0 ? defaultPort : uri.Port,
            User = user,
            Password = password,
            Path = Unescape(uri.AbsolutePath.Trim('/')),
            Query = uri.Query.TrimStart('?'),
        };
        return true;
    }

    /// <summary><c>host:port</c>, with brackets around an IPv6 literal.</summary>
    public static string FormatEndpoint(string host, int port)
    {
        ArgumentNullException.ThrowIfNull(host);
        return host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]:{port}" : $"{host}:{port}";
    }

    /// <summary><see cref="Uri.UnescapeDataString(string)"/>, or the text itself when it is not valid escaping.</summary>
    public static string Unescape(string value)
    {
        try
        {
            return Uri.UnescapeDataString(value);
        }
        catch (UriFormatException)
        {
            return value;
        }
    }

    [GeneratedRegex(@"^[a-z]+://(?<user>[^:@/]*)(:(?<password>[^@]*))?@", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UserInfoPattern();
}
