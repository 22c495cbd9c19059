using Faultline.Core.Running;
using Faultline.Postgres;
using Faultline.Probes.Redis;
using Npgsql;
using StackExchange.Redis;

namespace GoldenPath;

/// <summary>
/// Turns the two spellings operators use into what the drivers take: a <c>postgres://</c> URL or an
/// Npgsql key=value string for PostgreSQL; a <c>redis://</c> / <c>rediss://</c> URL or a
/// StackExchange.Redis options string for Redis — read exactly as Faultline's probes read them, so
/// the service and <c>faultline check</c> agree on what a connection string means. Failures say what
/// is wrong, never the value.
/// </summary>
internal static class ConnectionStrings
{
    /// <summary>Parses a PostgreSQL connection string; the reason names the problem without echoing the value.</summary>
    public static bool TryParsePostgres(string text, out NpgsqlConnectionStringBuilder builder, out string reason)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ok = PostgresConnectionStrings.TryParse(text, new SecretRedactor(), out var parsed, out var problem);
        builder = parsed ?? new NpgsqlConnectionStringBuilder();
        reason = problem ?? string.Empty;
        return ok;
    }

    /// <summary>Parses a Redis connection string (URL or StackExchange.Redis options); the reason never echoes the value.</summary>
    public static bool TryParseRedis(string text, out ConfigurationOptions options, out string reason)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ok = RedisConnectionStrings.TryParse(text, new SecretRedactor(), out var parsed, out var problem);
        options = parsed ?? new ConfigurationOptions();
        reason = problem ?? string.Empty;
        return ok;
    }
}
