using System.Diagnostics.CodeAnalysis;
using Faultline.Core.Running;
using Npgsql;

namespace Faultline.Postgres;

/// <summary>
/// The postgres probe's connection-string reading for code that connects outside a probe (the history store, a
/// service's own data source): a <c>postgres://</c> / <c>postgresql://</c> URL or an Npgsql key=value string, read
/// the same way, with the password handed to the redactor before anything can go wrong. A unix socket directory
/// (<c>Host=/cloudsql/PROJECT:REGION:INSTANCE</c>, <c>postgres://user:pw@/db?host=/cloudsql/...</c>) comes out as
/// an Npgsql <c>Host</c> that is that directory.
/// </summary>
public static class PostgresConnectionStrings
{
    /// <summary>True with Npgsql settings (sslrootcert as RootCertificate); false with what is wrong, already redacted.</summary>
    public static bool TryParse(string text, SecretRedactor redactor, [NotNullWhen(true)] out NpgsqlConnectionStringBuilder? builder, [NotNullWhen(false)] out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(redactor);
        builder = null;
        problem = PostgresConnectionString.Parse(text, redactor, out var settings);
        if (problem is not null)
        {
            problem = redactor.Redact(problem);
            return false;
        }

        builder = settings.Builder;
        if (settings.RootCertificateFile is { } rootCertificate)
        {
            builder.RootCertificate = rootCertificate;
        }

        return true;
    }

    /// <summary>
    /// Where <paramref name="builder"/> connects, without credentials: <c>host:port</c>, or <c>unix:DIR/.s.PGSQL.PORT</c>
    /// when its host is a unix socket directory (Cloud SQL's <c>/cloudsql/PROJECT:REGION:INSTANCE</c>).
    /// </summary>
    public static string Endpoint(NpgsqlConnectionStringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var host = builder.Host ?? string.Empty;
        var socket = PostgresConnectionString.IsSocketDirectory(host);
        return PostgresConnectionString.Endpoint(socket ? host : host.Trim('[', ']'), builder.Port, socket);
    }

    /// <summary><c>host:port/database</c>, or <c>unix:DIR/.s.PGSQL.PORT (db database)</c>: how the probe names the same target.</summary>
    public static string Describe(NpgsqlConnectionStringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var host = builder.Host ?? string.Empty;
        var socket = PostgresConnectionString.IsSocketDirectory(host);
        var database = builder.Database ?? builder.Username ?? "postgres";
        return PostgresConnectionString.Describe(socket ? host : host.Trim('[', ']'), builder.Port, database, socket);
    }
}
