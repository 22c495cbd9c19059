using System.Text.RegularExpressions;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Faultline.Probes.Net;
using Npgsql;

namespace Faultline.Probes.Postgres;

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

    /// <summary><c>host:port/database</c>, no credentials.</summary>
    public string Display => $"{Net.NetworkPreflight.FormatEndpoint(Host, Port)}/{Database}";
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

    /// <summary>URL query parameters (libpq names) the probe understands; others are an error, not silently dropped.</summary>
    private static readonly HashSet<string> IgnoredUrlParameters = new(StringComparer.OrdinalIgnoreCase)
    {
        // The target's timeout decides; libpq's own connect timeout would only blur which layer was slow.
        "connect_timeout",
        "target_session_attrs",
        "keepalives",
        "keepalives_idle",
    };

    public static bool TryParse(string? text, string targetName, SecretRedactor redactor, out PostgresSettings settings, out ProbeError error)
    {
        settings = null!;
        error = null!;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = Invalid(targetName, "it is empty");
            return false;
        }

        var problem = Parse(text, redactor, out settings);
        if (problem is not null)
        {
            error = Invalid(targetName, redactor.Redact(problem));
            return false;
        }

        return true;
    }

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

    private static ProbeError Invalid(string targetName, string reason) =>
        new(ErrorKind.ConfigInvalid, $"connection string for '{targetName}' is not a valid postgres URL or key=value string: {reason}") { Phase = "config" };

    private static string? FromUrl(string text, SecretRedactor redactor, out PostgresSettings settings)
    {
        settings = null!;

        if (!ConnectionUrl.TryParse(text, DefaultPort, redactor, out var url))
        {
            return "expected postgres://user:password@host:port/database?sslmode=... (escape special characters in the password with %XX)";
        }

        var (host, port, user, password) = (url.Host, url.Port, url.User, url.Password);
        var database = url.Path.Length > 0 ? url.Path : null;
        if (database is not null && database.Contains('/', StringComparison.Ordinal))
        {
            return $"the path names one database, got '/{url.Path}'";
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = host,
            Port = port,
        };
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
                        return $"unknown URL parameter '{key}' (known: sslmode, sslrootcert, application_name, options, user, password, dbname, connect_timeout)";
                    }

                    break;
            }
        }

        if (!SslModes.TryGetValue(sslModeName, out var sslMode))
        {
            return $"sslmode '{sslModeName}' is not one of disable, allow, prefer, require, verify-ca, verify-full";
        }

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
        };
        return null;
    }

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

        if (builder.Host.Contains(',', StringComparison.Ordinal))
        {
            return $"Host names several servers ({builder.Host}); probe each as its own target";
        }

        if (builder.Host.StartsWith('/') || builder.Host.StartsWith('@'))
        {
            return $"Host {builder.Host} is a unix socket; the probe checks the network path, give a host name or IP address";
        }

        var rootCert = builder.RootCertificate;
        builder.RootCertificate = null;
        var sslModeName = builder.SslMode switch
        {
            SslMode.VerifyCA => "verify-ca",
            SslMode.VerifyFull => "verify-full",
            var other => other.ToString().ToLowerInvariant(),
        };
        var host = builder.Host.Trim('[', ']');
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
        };
        return null;
    }

    [GeneratedRegex(@"(?:^|;)\s*(?:password|pwd)\s*=\s*(?<value>'[^']*'|""[^""]*""|[^;]*)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PasswordPairPattern();
}
