using System.Globalization;
using Npgsql;
using StackExchange.Redis;

namespace GoldenPath;

/// <summary>
/// Turns the two spellings operators use into what the drivers take: a <c>postgres://</c> URL or an
/// Npgsql key=value string for PostgreSQL; a <c>redis://</c> / <c>rediss://</c> URL or a
/// StackExchange.Redis options string for Redis. Failures say what is wrong, never the value.
/// </summary>
internal static class ConnectionStrings
{
    private const int PostgresDefaultPort = 5432;
    private const int RedisDefaultPort = 6379;

    /// <summary>Parses a PostgreSQL connection string; the reason names the problem without echoing the value.</summary>
    public static bool TryParsePostgres(string text, out NpgsqlConnectionStringBuilder builder, out string reason)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        builder = new NpgsqlConnectionStringBuilder();
        if (trimmed.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            || trimmed.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return TryParsePostgresUrl(trimmed, builder, out reason);
        }

        if (!trimmed.Contains('=', StringComparison.Ordinal))
        {
            reason = "expected a postgres://user:password@host:port/database URL or Host=...;Username=...;Password=...;Database=...";
            return false;
        }

        try
        {
            builder.ConnectionString = trimmed;
        }
        catch (ArgumentException)
        {
            reason = "it is not a valid key=value connection string (unknown keyword or malformed value)";
            return false;
        }
        catch (FormatException)
        {
            reason = "a value in the key=value connection string has the wrong format";
            return false;
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            reason = "Host is missing";
            return false;
        }

        reason = string.Empty;
        return true;
    }

    private static bool TryParsePostgresUrl(string text, NpgsqlConnectionStringBuilder builder, out string reason)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            reason = "expected postgres://user:password@host:port/database (escape special characters in the password with %XX)";
            return false;
        }

        builder.Host = uri.Host.Trim('[', ']');
        builder.Port = uri.IsDefaultPort || uri.Port < 0 ? PostgresDefaultPort : uri.Port;
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length > 1)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        var database = uri.AbsolutePath.Trim('/');
        if (database.Contains('/', StringComparison.Ordinal))
        {
            reason = "the URL path must name one database";
            return false;
        }

        if (database.Length > 0)
        {
            builder.Database = Uri.UnescapeDataString(database);
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]).ToLowerInvariant();
            var value = kv.Length > 1 ? Uri.UnescapeDataString(kv[1].Replace('+', ' ')) : string.Empty;
            switch (key)
            {
                case "sslmode":
                    if (!TryParseSslMode(value, out var mode))
                    {
                        reason = "sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full";
                        return false;
                    }

                    builder.SslMode = mode;
                    break;
                case "sslrootcert":
                    builder.RootCertificate = value;
                    break;
                case "application_name":
                    builder.ApplicationName = value;
                    break;
                case "connect_timeout":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
                    {
                        reason = "connect_timeout must be a whole number of seconds";
                        return false;
                    }

                    builder.Timeout = seconds;
                    break;
                default:
                    reason = $"unknown URL parameter '{key}' (known: sslmode, sslrootcert, application_name, connect_timeout)";
                    return false;
            }
        }

        reason = string.Empty;
        return true;
    }

    private static bool TryParseSslMode(string value, out SslMode mode)
    {
        switch (value.ToLowerInvariant())
        {
            case "disable":
                mode = SslMode.Disable;
                return true;
            case "allow":
                mode = SslMode.Allow;
                return true;
            case "prefer":
                mode = SslMode.Prefer;
                return true;
            case "require":
                mode = SslMode.Require;
                return true;
            case "verify-ca":
                mode = SslMode.VerifyCA;
                return true;
            case "verify-full":
                mode = SslMode.VerifyFull;
                return true;
            default:
                mode = SslMode.Prefer;
                return false;
        }
    }

    /// <summary>Parses a Redis connection string (URL or StackExchange.Redis options); the reason never echoes the value.</summary>
    public static bool TryParseRedis(string text, out ConfigurationOptions options, out string reason)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        options = new ConfigurationOptions();
        if (trimmed.StartsWith("redis://", StringComparison.OrdinalIgnoreCase)
            || trimmed.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            {
                reason = "expected redis://[:password@]host:port[/database] or rediss:// for TLS";
                return false;
            }

            options.EndPoints.Add(uri.Host.Trim('[', ']'), uri.IsDefaultPort || uri.Port < 0 ? RedisDefaultPort : uri.Port);
            options.Ssl = uri.Scheme.Equals("rediss", StringComparison.OrdinalIgnoreCase);
            if (options.Ssl)
            {
                options.SslHost = uri.Host;
            }

            if (uri.UserInfo.Length > 0)
            {
                var parts = uri.UserInfo.Split(':', 2);
                var user = Uri.UnescapeDataString(parts[0]);
                if (user.Length > 0)
                {
                    options.User = user;
                }

                if (parts.Length > 1)
                {
                    options.Password = Uri.UnescapeDataString(parts[1]);
                }
            }

            var path = uri.AbsolutePath.Trim('/');
            if (path.Length > 0)
            {
                if (!int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out var database))
                {
                    reason = "the URL path must be a database number";
                    return false;
                }

                options.DefaultDatabase = database;
            }

            reason = string.Empty;
            return true;
        }

        try
        {
            options = ConfigurationOptions.Parse(trimmed);
        }
        catch (ArgumentException)
        {
            reason = "it is not a valid redis:// URL or StackExchange.Redis options string";
            return false;
        }

        if (options.EndPoints.Count == 0)
        {
            reason = "no host:port is given";
            return false;
        }

        reason = string.Empty;
        return true;
    }
}
