using Faultline.Core.Running;
using Faultline.Postgres;
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
    /// Npgsql <c>Host=...;Username=...;Password=...;Database=...</c> string; the host may be a unix socket directory,
    /// <c>Host=/cloudsql/PROJECT:REGION:INSTANCE</c> or <c>postgres://user:password@/db?host=/dir</c>). Nothing is opened on disk or on
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

        if (PostgresConnection(spec) is { } connection)
        {
            return OpenPostgres(connection, time, loggerFactory);
        }

        var text = spec.Trim();
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

        // Only the scheme is echoed: the rest may hold a password.
        var shown = scheme.Length is > 0 and <= 20 && scheme.All(char.IsAsciiLetterOrDigit) ? $"'{scheme}:'" : "the store";
        throw Invalid($"{shown} is not a kind of store Faultline knows", "use sqlite:PATH (default sqlite:./faultline.db) or postgres:CONNSTRING");
    }

    /// <summary>
    /// A redactor that knows the password <paramref name="spec"/> holds (a postgres URL's or <c>Password=</c>), read as
    /// <see cref="Open"/> reads the spec: for messages about the store that may quote what its server or driver said.
    /// </summary>
    public static SecretRedactor Redactor(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var redactor = new SecretRedactor();
        if (PostgresConnection(spec) is { } connection)
        {
            // Reading the connection string hands its password to the redactor, also when the rest does not parse.
            _ = PostgresConnectionStrings.TryParse(connection, redactor, out _, out _);
        }

        return redactor;
    }

    /// <summary>The connection string of a postgres spec (<c>postgres:CONNSTRING</c>, or a <c>postgres://</c> URL as it is); null for any other.</summary>
    private static string? PostgresConnection(string spec)
    {
        var text = spec.Trim();
        if (text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return text;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var scheme = colon > 0 ? text[..colon] : string.Empty;
        return scheme.Equals(PostgresScheme, StringComparison.OrdinalIgnoreCase) || scheme.Equals("postgresql", StringComparison.OrdinalIgnoreCase)
            ? text[(colon + 1)..].Trim()
            : null;
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
internal static class PostgresSpec
{
    public static (NpgsqlConnectionStringBuilder Builder, string Display) Parse(string text, SecretRedactor redactor)
    {
        if (!PostgresConnectionStrings.TryParse(text, redactor, out var builder, out var problem))
        {
            throw HistoryStores.Invalid($"the postgres connection string is not valid: {problem}", "give postgres:postgres://user:password@host:5432/db or postgres:Host=...;Username=...;Password=...;Database=...");
        }

        if (string.IsNullOrWhiteSpace(builder.ApplicationName))
        {
            builder.ApplicationName = "faultline";
        }

        // host:port/db, or unix:DIR/.s.PGSQL.PORT (db name) for a socket directory such as /cloudsql/PROJECT:REGION:INSTANCE.
        return (builder, "postgres:" + PostgresConnectionStrings.Describe(builder));
    }
}
