using System.Text.RegularExpressions;
using Faultline.Core.Model;
using Faultline.Core.Running;

namespace Faultline.Core.Config;

/// <summary>Parses one connection string form set; returns what is wrong (not yet redacted), or null with <paramref name="settings"/> set.</summary>
public delegate string? ConnectionParser<T>(string text, SecretRedactor redactor, out T settings);

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

    /// <summary>
    /// Reads the connection string of target <paramref name="targetName"/> with <paramref name="parse"/> (which hands any
    /// password to <paramref name="redactor"/> first). False with a <c>config-invalid</c> error, already redacted, when it
    /// is empty or not a valid <paramref name="what"/> URL or key=value string.
    /// </summary>
    public static bool TryRead<T>(string? text, string targetName, string what, SecretRedactor redactor, ConnectionParser<T> parse, out T settings, out ProbeError error)
    {
        ArgumentNullException.ThrowIfNull(redactor);
        ArgumentNullException.ThrowIfNull(parse);
        settings = default!;
        error = null!;
        var problem = string.IsNullOrWhiteSpace(text) ? "it is empty" : parse(text, redactor, out settings) is { } found ? redactor.Redact(found) : null;
        if (problem is null)
        {
            return true;
        }

        error = new ProbeError(ErrorKind.ConfigInvalid, $"connection string for '{targetName}' is not a valid {what} URL or key=value string: {problem}") { Phase = "config" };
        return false;
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
