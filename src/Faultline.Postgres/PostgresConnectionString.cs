using System.Text.RegularExpressions;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Npgsql;

namespace Faultline.Postgres;

/// <summary>A parsed postgres connection string: the Npgsql settings plus what the probe needs to name and secure the target.</summary>
internal sealed record PostgresSettings
{
    public required NpgsqlConnectionStringBuilder Builder { get; init; }

    public required string Host { get; init; }

    public required int Port { get; init; }

    /// <summary>The database asked for; Npgsql's default (the user name) when none is given.</summary>
    public required string Database { get; init; }

    public string? Username { get; init; }

    /// <summary>The sslmode as the user wrote it (libpq spelling), for messages.</summary>
    public required string SslModeName { get; init; }

    public required SslMode SslMode { get; init; }

    /// <summary><c>sslrootcert</c> / <c>Root Certificate</c>: a CA file to trust, used when <c>tls.caFile</c> is not set.</summary>
    public string? RootCertificateFile { get; init; }

    /// <summary>
    /// The unix socket directory when the host is a path (<c>Host=/cloudsql/PROJECT:REGION:INSTANCE</c>, or a URL's
    /// <c>?host=/...</c>); null for TCP. <see cref="Host"/> is the same directory then.
    /// </summary>
    public string? SocketDirectory { get; init; }

    /// <summary>The socket file, <c>DIR/.s.PGSQL.PORT</c>; null for TCP.</summary>
    public string? SocketPath => SocketDirectory is { } directory ? PostgresConnectionString.SocketPath(directory, Port) : null;

    /// <summary><c>host:port/database</c>, or <c>unix:DIR/.s.PGSQL.PORT (db database)</c> for a socket; no credentials.</summary>
    public string Display => PostgresConnectionString.Describe(Host, Port, Database, SocketDirectory is not null);
}

/// <summary>
/// Reads both forms users have: URLs (<c>postgres://user:pass@host:5432/db?sslmode=require</c>,
/// <c>postgresql://</c>) and Npgsql key=value strings (<c>Host=..;Port=..;Username=..;Password=..</c>).
/// The password is handed to the redactor before anything can go wrong, and never echoed.
/// </summary>
internal static partial class PostgresConnectionString
{
    public const int DefaultPort = 5432;

    private static readonly Dictionary<string, SslMode> SslModes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["disable"] = SslMode.Disable,
        ["allow"] = SslMode.Allow,
        ["prefer"] = SslMode.Prefer,
        ["require"] = SslMode.Require,
        ["verify-ca"] = SslMode.VerifyCA,
        ["verify-full"] = SslMode.VerifyFull,
    };

    /// <summary>The socket file PostgreSQL (and the Cloud SQL proxy) creates in a socket directory: <c>DIR/.s.PGSQL.PORT</c>.</summary>
    public static string SocketPath(string directory, int port) =>
        Path.Join(directory, string.Create(System.Globalization.CultureInfo.InvariantCulture, $".s.PGSQL.{port}"));

    /// <summary>True when a host names a unix socket directory (an absolute path), as Npgsql and libpq read it.</summary>
    public static bool IsSocketDirectory(string host) => host.StartsWith('/');

    /// <summary><c>unix:DIR/.s.PGSQL.PORT</c> for a socket directory, else <c>host:port</c> (IPv6 literals in brackets).</summary>
    public static string Endpoint(string host, int port, bool socket) =>
        socket ? "unix:" + SocketPath(host, port) : ConnectionUrl.FormatEndpoint(host, port);

    /// <summary><c>host:port/database</c>, or <c>unix:DIR/.s.PGSQL.PORT (db database)</c>: a target named without credentials.</summary>
    public static string Describe(string host, int port, string database, bool socket) =>
        socket ? $"{Endpoint(host, port, socket)} (db {database})" : $"{Endpoint(host, port, socket)}/{database}";

    /// <summary>URL query parameters (libpq names) the probe understands; others are an error, not silently dropped.</summary>
    private static readonly HashSet<string> IgnoredUrlParameters = new(StringComparer.OrdinalIgnoreCase)
    {
        // The target's timeout decides; libpq's own connect timeout would only blur which layer was slow.
        "connect_timeout",
        "target_session_attrs",
        "keepalives",
        "keepalives_idle",
    };

    public static bool TryParse(string? text, string targetName, SecretRedactor redactor, out PostgresSettings settings, out ProbeError error) =>
        ConnectionUrl.TryRead(text, targetName, "postgres", redactor, Parse, out settings, out error);

    /// <summary>Parses either form; returns what is wrong (not yet redacted), or null with <paramref name="settings"/> set.</summary>
    internal static string? Parse(string text, SecretRedactor redactor, out PostgresSettings settings)
    {
        var trimmed = text.Trim();
        var isUrl = trimmed.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            || trimmed.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase);
        return isUrl
            ? FromUrl(trimmed, redactor, out settings)
            : FromKeyValue(trimmed, redactor, out settings);
    }

    private static string? FromUrl(string text, SecretRedactor redactor, out PostgresSettings settings)
    {
        settings = null!;

        // libpq's socket spellings have no host System.Uri accepts: none at all (postgres://user:pw@/db?host=/cloudsql/p:r:i)
        // or a percent-encoded path (postgresql://%2Fvar%2Frun%2Fpostgresql/db). The authority gets a stand-in host to parse
        // the rest; the socket directory comes from the authority or from ?host=.
        var (parseable, hostless, authoritySocket) = StandInHost(text);
        if (!ConnectionUrl.TryParse(parseable, DefaultPort, redactor, out var url))
        {
            return "expected postgres://user:password@host:port/database?sslmode=... or, for a unix socket, postgres://user:password@/database?host=/socket/directory (escape special characters in the password with %XX)";
        }

        var (host, port, user, password) = (url.Host, url.Port, url.User, url.Password);
        string? socketDirectory = authoritySocket;
        if (authoritySocket is not null)
        {
            host = authoritySocket;
        }

        var database = url.Path.Length > 0 ? url.Path : null;
        if (database is not null && database.Contains('/', StringComparison.Ordinal))
        {
            return $"the path names one database, got '/{url.Path}'";
        }

        var builder = new NpgsqlConnectionStringBuilder();
        if (user is { Length: > 0 })
        {
            builder.Username = user;
        }

        if (password is not null)
        {
            builder.Password = password;
        }

        if (database is not null)
        {
            builder.Database = database;
        }

        var sslModeName = "prefer";
        string? rootCert = null;
        foreach (var pair in url.Query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            var value = kv.Length > 1 ? Uri.UnescapeDataString(kv[1].Replace('+', ' ')) : string.Empty;
            switch (key.ToLowerInvariant())
            {
                case "host":
                    if (HostProblem(value) is { } hostProblem)
                    {
                        return hostProblem;
                    }

                    host = value;
                    hostless = false;
                    socketDirectory = IsSocketDirectory(value) ? value : null;
                    break;
                case "port":
                    if (!int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
                    {
                        return $"port '{value}' is not a port number (1-65535)";
                    }

                    break;
                case "sslmode":
                    sslModeName = value;
                    break;
                case "sslrootcert":
                    rootCert = value;
                    break;
                case "application_name":
                    builder.ApplicationName = value;
                    break;
                case "options":
                    builder.Options = value;
                    break;
                case "user":
                    builder.Username = value;
                    break;
                case "password":
                    redactor.Add(value);
                    builder.Password = value;
                    break;
                case "dbname":
                    builder.Database = value;
                    break;
                default:
                    if (!IgnoredUrlParameters.Contains(key))
                    {
                        return $"unknown URL parameter '{key}' (known: host, port, sslmode, sslrootcert, application_name, options, user, password, dbname, connect_timeout)";
                    }

                    break;
            }
        }

        if (hostless)
        {
            return "the URL names no host: write postgres://user:password@host:port/database, or for a unix socket postgres://user:password@/database?host=/cloudsql/PROJECT:REGION:INSTANCE";
        }

        if (!SslModes.TryGetValue(sslModeName, out var sslMode))
        {
            return $"sslmode '{sslModeName}' is not one of disable, allow, prefer, require, verify-ca, verify-full";
        }

        if (socketDirectory is not null && SocketSslProblem(socketDirectory, sslModeName.ToLowerInvariant(), sslMode) is { } sslProblem)
        {
            return sslProblem;
        }

        builder.Host = host;
        builder.Port = port;
        builder.SslMode = sslMode;
        settings = new PostgresSettings
        {
            Builder = builder,
            Host = host,
            Port = port,
            Database = builder.Database ?? builder.Username ?? "postgres",
            Username = builder.Username,
            SslModeName = sslModeName.ToLowerInvariant(),
            SslMode = sslMode,
            RootCertificateFile = rootCert,
            SocketDirectory = socketDirectory,
        };
        return null;
    }

    /// <summary>
    /// The URL with a parseable authority: an empty host (<c>@/db</c>, <c>:///db</c>, <c>@:5433/db</c>) or a
    /// percent-encoded socket directory (<c>%2Fcloudsql%2F...</c>) becomes <c>localhost</c>, the port kept.
    /// </summary>
    private static (string Text, bool Hostless, string? Socket) StandInHost(string text)
    {
        var authority = text.IndexOf("://", StringComparison.Ordinal) + 3;
        var userInfo = UserInfoPattern().Match(text);
        var hostStart = userInfo.Success ? userInfo.Length : authority;
        var hostEnd = text.IndexOfAny(['/', '?'], hostStart);
        if (hostEnd < 0)
        {
            hostEnd = text.Length;
        }

        var hostPort = text[hostStart..hostEnd];
        var colon = hostPort.StartsWith('[') ? -1 : hostPort.IndexOf(':', StringComparison.Ordinal);
        var hostPart = colon >= 0 ? hostPort[..colon] : hostPort;
        var portPart = colon >= 0 ? hostPort[colon..] : string.Empty;
        if (hostPart.Length == 0)
        {
            return (text[..hostStart] + "localhost" + portPart + text[hostEnd..], true, null);
        }

        if (hostPart.StartsWith("%2F", StringComparison.OrdinalIgnoreCase))
        {
            return (text[..hostStart] + "localhost" + portPart + text[hostEnd..], false, ConnectionUrl.Unescape(hostPart));
        }

        return (text, false, null);
    }

    /// <summary>What is wrong with a host value beyond what Npgsql checks: several servers, an abstract socket.</summary>
    private static string? HostProblem(string host)
    {
        if (host.Contains(',', StringComparison.Ordinal))
        {
            return $"Host names several servers ({host}); probe each as its own target";
        }

        if (host.StartsWith('@'))
        {
            return $"Host {host} is an abstract unix socket, which the probe cannot check; give the socket directory (e.g. /cloudsql/PROJECT:REGION:INSTANCE) or a host name";
        }

        return host.Length == 0 ? "Host is missing" : null;
    }

    /// <summary>
    /// PostgreSQL never encrypts a unix socket connection (it answers N to Npgsql's SSLRequest), so a mode that
    /// requires TLS fails there every time: say so now rather than as a TLS failure of the server.
    /// </summary>
    private static string? SocketSslProblem(string directory, string sslModeName, SslMode sslMode) =>
        sslMode is SslMode.Require or SslMode.VerifyCA or SslMode.VerifyFull
            ? $"sslmode {sslModeName} cannot be met over the unix socket in {directory}: PostgreSQL does not encrypt socket connections (a Cloud SQL proxy encrypts the path to the instance itself); use sslmode disable or prefer"
            : null;

    private static string? FromKeyValue(string text, SecretRedactor redactor, out PostgresSettings settings)
    {
        settings = null!;
        foreach (Match match in PasswordPairPattern().Matches(text))
        {
            redactor.Add(match.Groups["value"].Value.Trim().Trim('\'', '"'));
        }

        if (!text.Contains('=', StringComparison.Ordinal))
        {
            return "expected Host=...;Port=...;Username=...;Password=...;Database=... or a postgres:// URL";
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(text);
        }
        catch (ArgumentException ex)
        {
            return $"an unknown keyword or a malformed value ({ex.Message}); use Npgsql keywords such as Host, Port, Username, Password, Database, SSL Mode";
        }

        redactor.Add(builder.Password);
        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            return "Host is missing";
        }

        if (HostProblem(builder.Host) is { } hostProblem)
        {
            return hostProblem;
        }

        var rootCert = builder.RootCertificate;
        builder.RootCertificate = null;
        var sslModeName = builder.SslMode switch
        {
            SslMode.VerifyCA => "verify-ca",
            SslMode.VerifyFull => "verify-full",
            var other => other.ToString().ToLowerInvariant(),
        };
        var socketDirectory = IsSocketDirectory(builder.Host) ? builder.Host : null;
        if (socketDirectory is not null && SocketSslProblem(socketDirectory, sslModeName, builder.SslMode) is { } sslProblem)
        {
            return sslProblem;
        }

        var host = socketDirectory ?? builder.Host.Trim('[', ']');
        settings = new PostgresSettings
        {
            Builder = builder,
            Host = host,
            Port = builder.Port,
            Database = builder.Database ?? builder.Username ?? "postgres",
            Username = builder.Username,
            SslModeName = sslModeName,
            SslMode = builder.SslMode,
            RootCertificateFile = rootCert,
            SocketDirectory = socketDirectory,
        };
        return null;
    }

    /// <summary>The user information of a URL as <see cref="ConnectionUrl"/> reads it: up to the first <c>@</c>.</summary>
    [GeneratedRegex(@"^[a-z]+://[^:@/]*(:[^@]*)?@", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UserInfoPattern();

    [GeneratedRegex(@"(?:^|;)\s*(?:password|pwd)\s*=\s*(?<value>'[^']*'|""[^""]*""|[^;]*)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PasswordPairPattern();
}
