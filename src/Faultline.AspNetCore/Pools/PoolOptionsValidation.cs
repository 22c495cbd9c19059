using Faultline.Core.Config;

namespace Faultline.AspNetCore.Pools;

/// <summary>
/// Checks <c>Faultline:Pools</c>: each entry names a dependency whose pool or client a driver package builds, sets
/// only keys of that dependency's kind, and keeps every value in a range the driver accepts. A disagreement with the
/// connection string is checked by the driver package, which reads it.
/// </summary>
internal static class PoolOptionsValidation
{
    /// <summary>Npgsql's upper bound for Maximum Pool Size and for Timeout (seconds).</summary>
    public const int NpgsqlLimit = 1024;

    /// <summary>The connection pruning interval Npgsql uses: an idle lifetime below it is rejected by Npgsql.</summary>
    public static readonly TimeSpan MinIdleLifetime = TimeSpan.FromSeconds(10);

    private static readonly string[] PostgresKeys = [nameof(PoolOptions.MinSize), nameof(PoolOptions.MaxSize), nameof(PoolOptions.ConnectionTimeout), nameof(PoolOptions.IdleLifetime), nameof(PoolOptions.Lifetime), nameof(PoolOptions.CommandTimeout)];
    private static readonly string[] RedisKeys = [nameof(PoolOptions.ConnectTimeout), nameof(PoolOptions.SyncTimeout), nameof(PoolOptions.AsyncTimeout)];

    public static IEnumerable<string> Validate(IReadOnlyDictionary<string, PoolOptions> pools, IReadOnlyDictionary<string, string> registered)
    {
        foreach (var (name, pool) in pools)
        {
            var prefix = $"Faultline:Pools:{name}";
            if (!registered.TryGetValue(name, out var kind))
            {
                var known = registered.Count == 0 ? "none is registered" : $"registered: {string.Join(", ", registered.Keys.Order(StringComparer.Ordinal))}";
                yield return $"{prefix} names no dependency added with AddPostgres or AddRedis ({known})";
                continue;
            }

            var (own, other) = kind == TargetKinds.Postgres ? (PostgresKeys, RedisKeys) : (RedisKeys, PostgresKeys);
            var misplaced = other.Where(key => IsSet(pool, key)).ToList();
            if (misplaced.Count > 0)
            {
                yield return $"{prefix}: {string.Join(", ", misplaced)} do not apply to a {kind} dependency (its keys: {string.Join(", ", own)})";
            }

            foreach (var error in kind == TargetKinds.Postgres ? Postgres(prefix, pool) : Redis(prefix, pool))
            {
                yield return error;
            }
        }
    }

    private static IEnumerable<string> Postgres(string prefix, PoolOptions pool)
    {
        if (pool.MaxSize is < 1 or > NpgsqlLimit)
        {
            yield return $"{prefix}:MaxSize must be between 1 and {NpgsqlLimit}";
        }

        if (pool.MinSize is < 0 or > NpgsqlLimit)
        {
            yield return $"{prefix}:MinSize must be between 0 and {NpgsqlLimit}";
        }

        if (pool is { MinSize: { } min, MaxSize: { } max } && min > max)
        {
            yield return $"{prefix}:MinSize must not be above MaxSize";
        }

        foreach (var error in WholeSeconds(prefix, nameof(PoolOptions.ConnectionTimeout), pool.ConnectionTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(NpgsqlLimit)))
        {
            yield return error;
        }

        foreach (var error in WholeSeconds(prefix, nameof(PoolOptions.IdleLifetime), pool.IdleLifetime, MinIdleLifetime, TimeSpan.FromDays(1)))
        {
            yield return error;
        }

        foreach (var error in WholeSeconds(prefix, nameof(PoolOptions.Lifetime), pool.Lifetime, TimeSpan.Zero, TimeSpan.FromDays(7)))
        {
            yield return error;
        }

        foreach (var error in WholeSeconds(prefix, nameof(PoolOptions.CommandTimeout), pool.CommandTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)))
        {
            yield return error;
        }
    }

    private static IEnumerable<string> Redis(string prefix, PoolOptions pool)
    {
        foreach (var (key, value) in new[] { (nameof(PoolOptions.ConnectTimeout), pool.ConnectTimeout), (nameof(PoolOptions.SyncTimeout), pool.SyncTimeout), (nameof(PoolOptions.AsyncTimeout), pool.AsyncTimeout) })
        {
            if (value is { } v && (v < TimeSpan.FromMilliseconds(100) || v > TimeSpan.FromMinutes(10)))
            {
                yield return $"{prefix}:{key} must be between 100 ms and 10 minutes";
            }
        }
    }

    /// <summary>Npgsql counts these in whole seconds: a fraction would be cut silently, so it is refused.</summary>
    private static IEnumerable<string> WholeSeconds(string prefix, string key, TimeSpan? value, TimeSpan min, TimeSpan max)
    {
        if (value is not { } v)
        {
            yield break;
        }

        if (v < min || v > max)
        {
            yield return $"{prefix}:{key} must be between {Core.Model.Durations.Describe(min)} and {Core.Model.Durations.Describe(max)}";
        }
        else if (v.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            yield return $"{prefix}:{key} must be whole seconds (Npgsql counts it in seconds)";
        }
    }

    private static bool IsSet(PoolOptions pool, string key) => key switch
    {
        nameof(PoolOptions.MinSize) => pool.MinSize is not null,
        nameof(PoolOptions.MaxSize) => pool.MaxSize is not null,
        nameof(PoolOptions.ConnectionTimeout) => pool.ConnectionTimeout is not null,
        nameof(PoolOptions.IdleLifetime) => pool.IdleLifetime is not null,
        nameof(PoolOptions.Lifetime) => pool.Lifetime is not null,
        nameof(PoolOptions.CommandTimeout) => pool.CommandTimeout is not null,
        nameof(PoolOptions.ConnectTimeout) => pool.ConnectTimeout is not null,
        nameof(PoolOptions.SyncTimeout) => pool.SyncTimeout is not null,
        nameof(PoolOptions.AsyncTimeout) => pool.AsyncTimeout is not null,
        _ => false,
    };
}
