namespace Faultline.AspNetCore.Pools;

/// <summary>The settings of a postgres dependency's connection pool (the <c>NpgsqlDataSource</c> built for the application).</summary>
internal sealed record PostgresPoolSettings(
    int MinSize,
    int MaxSize,
    TimeSpan ConnectionTimeout,
    TimeSpan IdleLifetime,
    TimeSpan Lifetime,
    TimeSpan CommandTimeout);

/// <summary>The timeouts of a redis dependency's client (StackExchange.Redis <c>ConfigurationOptions</c>).</summary>
internal sealed record RedisClientSettings(TimeSpan ConnectTimeout, TimeSpan SyncTimeout, TimeSpan AsyncTimeout);

/// <summary>
/// The documented pool and client defaults per profile (README, "Connection pools per profile"), modelled on the
/// settings of the incident Faultline grew out of: "10 connections + 15 overflow in the cloud, 5 + 10 locally;
/// recycle 30 min", and its "pool timeout" column (development 30 s, test 20 s, staging 60 s, production 70 s).
/// </summary>
internal static class PoolDefaults
{
    /// <summary>Connections in use at or above this share of the maximum make the component degraded (the incident's "pool utilisation &gt; 80 %" alert).</summary>
    public const double WarnRatio = 0.8;

    /// <summary>
    /// The postgres pool per profile.
    /// <list type="bullet">
    /// <item>MinSize / MaxSize: the incident's pool of N kept + M overflow is Npgsql's Minimum Pool Size N (connections
    /// the pool never prunes) and Maximum Pool Size N + M: cloud 10 + 15 = 25, local 5 + 10 = 15. Lab keeps 0 and
    /// allows 5, so a drill's handful of concurrent requests can fill it.</item>
    /// <item>ConnectionTimeout: Npgsql's Timeout bounds both the wait for a free pooled connection and opening a new
    /// one, which is the incident's "pool timeout": development 30 s, test 20 s, staging 60 s, production 70 s — long
    /// enough for a VPC connector that takes 10–30 s to scale. Lab 2 s, its Connection row, so a drill ends quickly.</item>
    /// <item>IdleLifetime: connections above MinSize (the overflow) are closed after this long idle. Cloud 5 min,
    /// Npgsql's own default and under the idle timeouts of cloud NAT and connector paths (AWS NAT 350 s, GCP 20 min),
    /// so the pool closes an idle connection before the path silently forgets it (Npgsql has no pre-ping). Local
    /// 1 min: a laptop database's slots go back to the other services quickly. Lab 30 s.</item>
    /// <item>Lifetime: the incident's "recycle 30 min" — no connection lives longer, so a failover, a rotated password
    /// or a replaced proxy is picked up within 30 min on every profile, Lab included.</item>
    /// <item>CommandTimeout: 30 s (Npgsql's default) outside Lab: longer than any query of a request path should take
    /// and no longer than a load balancer waits for an answer. Lab 5 s: above its 2–3 s phase timeouts, under the
    /// lab check's 5 s golden-path timeout.</item>
    /// </list>
    /// </summary>
    public static PostgresPoolSettings Postgres(FaultlineProfile profile) => profile switch
    {
        FaultlineProfile.Development => new(5, 15, Seconds(30), Minutes(1), Minutes(30), Seconds(30)),
        FaultlineProfile.Test => new(5, 15, Seconds(20), Minutes(1), Minutes(30), Seconds(30)),
        FaultlineProfile.Staging => new(10, 25, Seconds(60), Minutes(5), Minutes(30), Seconds(30)),
        FaultlineProfile.Production => new(10, 25, Seconds(70), Minutes(5), Minutes(30), Seconds(30)),
        FaultlineProfile.Lab => new(0, 5, Seconds(2), Seconds(30), Minutes(30), Seconds(5)),
        _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, "unknown profile"),
    };

    /// <summary>
    /// The redis client per profile.
    /// <list type="bullet">
    /// <item>ConnectTimeout: cloud 30 s, the incident's connector scaling delays (10–30 s); local and Lab 5 s,
    /// StackExchange.Redis's default, plenty for a Redis on the same host or network (the lab's cache drills are
    /// calibrated against it).</item>
    /// <item>SyncTimeout / AsyncTimeout: 5 s everywhere, StackExchange.Redis's default. The cache is optional: a
    /// command that takes longer has failed and the caller falls back; a connected path adds milliseconds, not
    /// seconds, so the cloud needs no more. Lab's cache-blocks-chat drill relies on a command waiting longer than the
    /// lab check's 3 s chat deadline.</item>
    /// </list>
    /// </summary>
    public static RedisClientSettings Redis(FaultlineProfile profile) => profile switch
    {
        FaultlineProfile.Staging or FaultlineProfile.Production => new(Seconds(30), Seconds(5), Seconds(5)),
        FaultlineProfile.Development or FaultlineProfile.Test or FaultlineProfile.Lab => new(Seconds(5), Seconds(5), Seconds(5)),
        _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, "unknown profile"),
    };

    private static TimeSpan Seconds(int seconds) => TimeSpan.FromSeconds(seconds);

    private static TimeSpan Minutes(int minutes) => TimeSpan.FromMinutes(minutes);
}
