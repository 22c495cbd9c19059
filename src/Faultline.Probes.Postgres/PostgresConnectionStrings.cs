using System.Diagnostics.CodeAnalysis;
using Faultline.Core.Running;
using Npgsql;

namespace Faultline.Probes.Postgres;

/// <summary>
/// The postgres probe's connection-string reading for code that connects outside a probe (the history store):
/// a <c>postgres://</c> / <c>postgresql://</c> URL or an Npgsql key=value string, read the same way, with the
/// password handed to the redactor before anything can go wrong.
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
}
