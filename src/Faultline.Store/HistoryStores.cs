using Faultline.Core.Running;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Faultline.Store;

/// <summary>Opens the history store a <c>--store</c> / <c>monitor.store</c> spec names.</summary>
public static class HistoryStores
{
    /// <summary>The scheme of the default store: a SQLite file.</summary>
    public const string SqliteScheme = "sqlite";

    /// <summary>The scheme of a shared store: a PostgreSQL database.</summary>
    public const string PostgresScheme = "postgres";

    /// <summary>
    /// Opens <paramref name="spec"/>: <c>sqlite:PATH</c> (relative to the current directory) or
    /// <c>postgres:CONNSTRING</c> (a <c>postgres://user:password@host:port/db?sslmode=...</c> URL or an
    /// Npgsql <c>Host=...;Username=...;Password=...;Database=...</c> string). Nothing is opened on disk or on
    /// the network yet: the first call (or <see cref="IHistoryStore.MigrateAsync"/>) connects and creates or
    /// upgrades the schema. Throws <see cref="HistoryStoreException"/> for a spec it cannot use; the message
    /// never carries the password.
    /// </summary>
    public static IHistoryStore Open(string spec, TimeProvider time, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        loggerFactory ??= NullLoggerFactory.Instance;
        if (string.IsNullOrWhiteSpace(spec))
        {
            throw Invalid("the store is empty", "give sqlite:PATH (e.g. sqlite:./faultline.db) or postgres:CONNSTRING");
        }

        var text = spec.Trim();
        if (text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return OpenPostgres(text, time, loggerFactory);
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var scheme = colon > 0 ? text[..colon] : string.Empty;
        var rest = colon > 0 ? text[(colon + 1)..].Trim() : string.Empty;
        if (scheme.Equals(SqliteScheme, StringComparison.OrdinalIgnoreCase))
        {
            if (rest.Length == 0)
            {
                throw Invalid("sqlite: names no file", "give the database file, e.g. sqlite:./faultline.db");
            }

            var path = Path.GetFullPath(rest);
            if (Directory.Exists(path))
            {
                throw Invalid($"sqlite:{path} is a directory", "name a file inside it, e.g. sqlite:" + Path.Combine(rest, "faultline.db"));
            }

            return new SqliteHistoryStore(path, time, loggerFactory.CreateLogger<SqliteHistoryStore>());
        }

        if (scheme.Equals(PostgresScheme, StringComparison.OrdinalIgnoreCase) || scheme.Equals("postgresql", StringComparison.OrdinalIgnoreCase))
        {
            return OpenPostgres(rest, time, loggerFactory);
        }

        // Only the scheme is echoed: the rest may hold a password.
        var shown = scheme.Length is > 0 and <= 20 && scheme.All(char.IsAsciiLetterOrDigit) ? $"'{scheme}:'" : "the store";
        throw Invalid($"{shown} is not a kind of store Faultline knows", "use sqlite:PATH (default sqlite:./faultline.db) or postgres:CONNSTRING");
    }

    private static PostgresHistoryStore OpenPostgres(string connection, TimeProvider time, ILoggerFactory loggerFactory)
    {
        var redactor = new SecretRedactor();
        var (builder, display) = PostgresSpec.Parse(connection, redactor);
        return new PostgresHistoryStore(builder, display, time, loggerFactory.CreateLogger<PostgresHistoryStore>());
    }

    internal static HistoryStoreException Invalid(string what, string fix) => new($"history store: {what}; {fix}");
}

/// <summary>A store spec Faultline cannot use, or a store it must not touch (a schema from a newer Faultline). The message says what and how to fix it, never a password.</summary>
public sealed class HistoryStoreException : Exception
{
    public HistoryStoreException()
    {
    }

    public HistoryStoreException(string message)
        : base(message)
    {
    }

    public HistoryStoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Reads the <c>postgres:</c> part of a store spec into Npgsql settings.</summary>
internal static partial class PostgresSpec
{
    private const int DefaultPort = 5432;

    public static (NpgsqlConnectionStringBuilder Builder, string Display) Parse(string text, SecretRedactor redactor)
    {
        foreach (System.Text.RegularExpressions.Match match in PasswordPairPattern().Matches(text))
        {
            redactor.Add(match.Groups["value"].Value.Trim().Trim('\'', '"'));
        }

        NpgsqlConnectionStringBuilder builder;
        if (text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            builder = FromUrl(text, redactor);
        }
        else
        {
            if (!text.Contains('=', StringComparison.Ordinal))
            {
                throw HistoryStores.Invalid("postgres: needs a connection string", "give postgres:postgres://user:password@host:5432/db or postgres:Host=...;Username=...;Password=...;Database=...");
            }

            try
            {
                builder = new NpgsqlConnectionStringBuilder(text);
            }
            catch (ArgumentException ex)
            {
                throw HistoryStores.Invalid($"the postgres connection string is not valid ({redactor.Redact(ex.Message)})", "use Npgsql key=value pairs (Host, Port, Username, Password, Database, SSL Mode) or a postgres:// URL");
            }

            redactor.Add(builder.Password);
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw HistoryStores.Invalid("the postgres connection string names no host", "add Host=... (or host in the URL)");
        }

        if (builder.Host.Contains(',', StringComparison.Ordinal))
        {
            throw HistoryStores.Invalid($"the postgres connection string names several hosts ({redactor.Redact(builder.Host)})", "name the one primary the replicas share");
        }

        if (string.IsNullOrWhiteSpace(builder.ApplicationName))
        {
            builder.ApplicationName = "faultline";
        }

        var database = builder.Database ?? builder.Username ?? "postgres";
        var host = builder.Host.Contains(':', StringComparison.Ordinal) ? $"[{builder.Host.Trim('[', ']')}]" : builder.Host;
        return (builder, $"postgres:{host}:{builder.Port}/{database}");
    }

    private static NpgsqlConnectionStringBuilder FromUrl(string text, SecretRedactor redactor)
    {
        var userInfo = UserInfoPattern().Match(text);
        if (userInfo.Success && userInfo.Groups["password"].Success)
        {
            redactor.Add(userInfo.Groups["password"].Value);
            redactor.Add(Unescape(userInfo.Groups["password"].Value));
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw HistoryStores.Invalid("the postgres URL is not valid", "expected postgres://user:password@host:port/database?sslmode=... (escape special characters in the password with %XX)");
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

        var url = (Host: uri.Host.Trim('[', ']'), Port: uri.IsDefaultPort || uri.Port < 0 ? DefaultPort : uri.Port, User: user, Password: password,
            Path: Unescape(uri.AbsolutePath.Trim('/')), Query: uri.Query.TrimStart('?'));
        if (url.Path.Contains('/', StringComparison.Ordinal))
        {
            throw HistoryStores.Invalid($"the postgres URL path names more than one database ('/{url.Path}')", "give one database name after the host");
        }

        var builder = new NpgsqlConnectionStringBuilder { Host = url.Host, Port = url.Port };
        if (url.User is { Length: > 0 })
        {
            builder.Username = url.User;
        }

        if (url.Password is not null)
        {
            builder.Password = url.Password;
        }

        if (url.Path.Length > 0)
        {
            builder.Database = url.Path;
        }

        foreach (var pair in url.Query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Unescape(kv[0]);
            var value = kv.Length > 1 ? Unescape(kv[1].Replace('+', ' ')) : string.Empty;
            switch (key.ToLowerInvariant())
            {
                case "sslmode":
                    builder.SslMode = value.ToLowerInvariant() switch
                    {
                        "disable" => SslMode.Disable,
                        "allow" => SslMode.Allow,
                        "prefer" => SslMode.Prefer,
                        "require" => SslMode.Require,
                        "verify-ca" => SslMode.VerifyCA,
                        "verify-full" => SslMode.VerifyFull,
                        _ => throw HistoryStores.Invalid($"sslmode '{value}' is not known", "use disable, allow, prefer, require, verify-ca or verify-full"),
                    };
                    break;
                case "sslrootcert":
                    builder.RootCertificate = value;
                    break;
                case "application_name":
                    builder.ApplicationName = value;
                    break;
                case "connect_timeout":
                    builder.Timeout = int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
                        ? seconds
                        : throw HistoryStores.Invalid($"connect_timeout '{value}' is not a number of seconds", "give whole seconds, e.g. connect_timeout=10");
                    break;
                default:
                    throw HistoryStores.Invalid($"the postgres URL parameter '{key}' is not known", "known: sslmode, sslrootcert, application_name, connect_timeout");
            }
        }

        return builder;
    }

    private static string Unescape(string value)
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

    [System.Text.RegularExpressions.GeneratedRegex(@"^[a-z]+://(?<user>[^:@/]*)(:(?<password>[^@]*))?@", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex UserInfoPattern();

    [System.Text.RegularExpressions.GeneratedRegex(@"(?:^|;)\s*(?:password|pwd)\s*=\s*(?<value>'[^']*'|""[^""]*""|[^;]*)", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex PasswordPairPattern();
}
