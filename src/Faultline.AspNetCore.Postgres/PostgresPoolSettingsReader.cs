using Faultline.AspNetCore.Pools;
using Faultline.Core.Running;
using Faultline.Postgres;
using Npgsql;

namespace Faultline.AspNetCore.Postgres;

/// <summary>
/// The pool settings of one postgres dependency: the connection string's own values, else
/// <c>Faultline:Pools:&lt;name&gt;</c>, else the profile (<see cref="PoolDefaults.Postgres"/>); both of the first two set
/// and different is a conflict. One place for the validator (at start) and the data source (on first use).
/// </summary>
internal static class PostgresPoolSettingsReader
{
    // Npgsql's canonical keywords: what NpgsqlConnectionStringBuilder.Keys lists for a value the string sets (any synonym).
    private const string MinKeyword = "Minimum Pool Size";
    private const string MaxKeyword = "Maximum Pool Size";
    private const string TimeoutKeyword = "Timeout";
    private const string IdleKeyword = "Connection Idle Lifetime";
    private const string LifetimeKeyword = "Connection Lifetime";
    private const string CommandKeyword = "Command Timeout";

    /// <summary>Parses the connection string as the postgres probe does; false with what is wrong (redacted) when it is missing or unusable.</summary>
    public static bool TryParse(PostgresRegistration registration, out NpgsqlConnectionStringBuilder builder, out string problem)
    {
        builder = new NpgsqlConnectionStringBuilder();
        if (string.IsNullOrWhiteSpace(registration.ConnectionString))
        {
            problem = $"the connection string of postgres dependency '{registration.Name}' is missing or empty";
            return false;
        }

        if (!PostgresConnectionStrings.TryParse(registration.ConnectionString, new SecretRedactor(), out var parsed, out var reason))
        {
            problem = $"the connection string of postgres dependency '{registration.Name}' is unusable: {reason}";
            return false;
        }

        builder = parsed;
        problem = string.Empty;
        return true;
    }

    public static PostgresPoolSettings Resolve(string name, PoolOptions? configured, NpgsqlConnectionStringBuilder connection, PostgresPoolSettings defaults, PoolSettingsResolver resolver)
    {
        var set = connection.Keys.Cast<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
        int? Count(string keyword, int value) => set.Contains(keyword) ? value : null;
        TimeSpan? Seconds(string keyword, int value) => set.Contains(keyword) ? TimeSpan.FromSeconds(value) : null;

        var max = resolver.Pick(nameof(PoolOptions.MaxSize), configured?.MaxSize, Count(MaxKeyword, connection.MaxPoolSize), MaxKeyword, defaults.MaxSize);
        var minExplicit = configured?.MinSize is not null || set.Contains(MinKeyword);
        var min = resolver.Pick(nameof(PoolOptions.MinSize), configured?.MinSize, Count(MinKeyword, connection.MinPoolSize), MinKeyword, defaults.MinSize);
        if (min > max)
        {
            if (minExplicit)
            {
                resolver.Add($"the minimum pool size of '{name}' ({min}) is above its maximum ({max}): lower Faultline:Pools:{name}:MinSize or the connection string's {MinKeyword}");
            }

            // The profile's minimum never exceeds a maximum set explicitly lower.
            min = max;
        }

        return new PostgresPoolSettings(
            min,
            max,
            resolver.Pick(nameof(PoolOptions.ConnectionTimeout), configured?.ConnectionTimeout, Seconds(TimeoutKeyword, connection.Timeout), TimeoutKeyword, defaults.ConnectionTimeout),
            resolver.Pick(nameof(PoolOptions.IdleLifetime), configured?.IdleLifetime, Seconds(IdleKeyword, connection.ConnectionIdleLifetime), IdleKeyword, defaults.IdleLifetime),
            resolver.Pick(nameof(PoolOptions.Lifetime), configured?.Lifetime, Seconds(LifetimeKeyword, connection.ConnectionLifetime), LifetimeKeyword, defaults.Lifetime),
            resolver.Pick(nameof(PoolOptions.CommandTimeout), configured?.CommandTimeout, Seconds(CommandKeyword, connection.CommandTimeout), CommandKeyword, defaults.CommandTimeout));
    }

    /// <summary>Writes <paramref name="settings"/> into <paramref name="connection"/> (whole seconds, as Npgsql counts them).</summary>
    public static void Apply(PostgresPoolSettings settings, NpgsqlConnectionStringBuilder connection)
    {
        connection.MinPoolSize = settings.MinSize;
        connection.MaxPoolSize = settings.MaxSize;
        connection.Timeout = (int)settings.ConnectionTimeout.TotalSeconds;
        connection.ConnectionIdleLifetime = (int)settings.IdleLifetime.TotalSeconds;
        connection.ConnectionLifetime = (int)settings.Lifetime.TotalSeconds;
        connection.CommandTimeout = (int)settings.CommandTimeout.TotalSeconds;

        // Npgsql refuses a pruning interval longer than the idle lifetime (its default interval is 10 s).
        if (connection.ConnectionPruningInterval > connection.ConnectionIdleLifetime)
        {
            connection.ConnectionPruningInterval = connection.ConnectionIdleLifetime;
        }
    }
}
