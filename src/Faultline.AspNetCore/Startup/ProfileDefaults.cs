namespace Faultline.AspNetCore.Startup;

/// <summary>
/// The documented defaults per profile (README, "Defaults per profile"). Attempt timeouts follow the
/// incident's settings table (init / table setup / connection / health check); retries follow its
/// cloud (Staging, Production: 5 attempts, 2 s → 30 s) and local (Development, Test: 3 attempts,
/// 1 s → 10 s) policies; Lab is for fault drills (2–3 s timeouts, 2 attempts).
/// </summary>
internal static class ProfileDefaults
{
    public static TimeSpan AttemptTimeout(FaultlineProfile profile, PhaseTiming timing) => TimeSpan.FromSeconds((profile, timing) switch
    {
        (FaultlineProfile.Development, PhaseTiming.Init) => 30,
        (FaultlineProfile.Development, PhaseTiming.Schema) => 15,
        (FaultlineProfile.Development, PhaseTiming.Connection) => 20,
        (FaultlineProfile.Development, PhaseTiming.HealthCheck) => 10,
        (FaultlineProfile.Test, PhaseTiming.Init) => 20,
        (FaultlineProfile.Test, PhaseTiming.Schema) => 10,
        (FaultlineProfile.Test, PhaseTiming.Connection) => 15,
        (FaultlineProfile.Test, PhaseTiming.HealthCheck) => 5,
        (FaultlineProfile.Staging, PhaseTiming.Init) => 95,
        (FaultlineProfile.Staging, PhaseTiming.Schema) => 35,
        (FaultlineProfile.Staging, PhaseTiming.Connection) => 75,
        (FaultlineProfile.Staging, PhaseTiming.HealthCheck) => 30,
        (FaultlineProfile.Production, PhaseTiming.Init) => 90,
        (FaultlineProfile.Production, PhaseTiming.Schema) => 45,
        (FaultlineProfile.Production, PhaseTiming.Connection) => 60,
        (FaultlineProfile.Production, PhaseTiming.HealthCheck) => 30,
        (FaultlineProfile.Lab, PhaseTiming.Init) => 3,
        (FaultlineProfile.Lab, PhaseTiming.Schema) => 3,
        (FaultlineProfile.Lab, PhaseTiming.Connection) => 2,
        (FaultlineProfile.Lab, PhaseTiming.HealthCheck) => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, "unknown profile or timing"),
    });

    /// <summary>Init phases read configuration and secrets, which retrying does not fix: one attempt. Others retry per profile.</summary>
    public static int Attempts(FaultlineProfile profile, PhaseTiming timing) => timing == PhaseTiming.Init ? 1 : profile switch
    {
        FaultlineProfile.Staging or FaultlineProfile.Production => 5,
        FaultlineProfile.Lab => 2,
        _ => 3,
    };

    public static TimeSpan BaseDelay(FaultlineProfile profile) => profile switch
    {
        FaultlineProfile.Staging or FaultlineProfile.Production => TimeSpan.FromSeconds(2),
        FaultlineProfile.Lab => TimeSpan.FromMilliseconds(500),
        _ => TimeSpan.FromSeconds(1),
    };

    public static TimeSpan MaxDelay(FaultlineProfile profile) => profile switch
    {
        FaultlineProfile.Staging or FaultlineProfile.Production => TimeSpan.FromSeconds(30),
        FaultlineProfile.Lab => TimeSpan.FromSeconds(1),
        _ => TimeSpan.FromSeconds(10),
    };

    /// <summary>Every attempt at its full timeout plus the largest backoff between each: the phase can never end later than this.</summary>
    public static TimeSpan Budget(TimeSpan attemptTimeout, int attempts, TimeSpan maxDelay) =>
        (attemptTimeout * attempts) + (maxDelay * Math.Max(0, attempts - 1));

    /// <summary>A phase that has used this share of its budget is slow: warned about while it still runs (every profile).</summary>
    public const double SlowShare = 0.75;

    public static TimeSpan HealthCheckTimeout(FaultlineProfile profile) => AttemptTimeout(profile, PhaseTiming.HealthCheck);

    /// <summary>
    /// The request-path timeout of one call to a dependency (the pipeline <c>AddDependency</c> registers), by
    /// the dependency's layer. Separate from the startup attempt timeouts: a 75 s connection attempt at
    /// startup is not a request timeout. A cache is optional on the request path: it gets a fraction of a
    /// second, so a slow or blackholed cache costs an uncached answer, not a stalled request. A database call
    /// through a VPC connector gets 10 s in the cloud and locally (Test 5 s, Lab 2 s so drills end quickly).
    /// </summary>
    public static TimeSpan RequestTimeout(FaultlineProfile profile, Core.Model.Layer layer) => (profile, layer) switch
    {
        (FaultlineProfile.Development or FaultlineProfile.Staging or FaultlineProfile.Production, Core.Model.Layer.Cache) => TimeSpan.FromSeconds(1),
        (_, Core.Model.Layer.Cache) => TimeSpan.FromMilliseconds(500),
        (FaultlineProfile.Test, _) => TimeSpan.FromSeconds(5),
        (FaultlineProfile.Lab, _) => TimeSpan.FromSeconds(2),
        _ => TimeSpan.FromSeconds(10),
    };

    /// <summary>Retries of an idempotent request-path call (the <c>/idempotent</c> pipeline): 2 in the cloud, 1 elsewhere.</summary>
    public static int RequestRetries(FaultlineProfile profile) =>
        profile is FaultlineProfile.Staging or FaultlineProfile.Production ? 2 : 1;

    /// <summary>First delay between request-path retries (doubled each retry, with jitter): short, a caller is waiting.</summary>
    public static readonly TimeSpan RequestRetryDelay = TimeSpan.FromMilliseconds(100);

    public const int BreakerFailureThreshold = 3;

    public static TimeSpan BreakDuration(FaultlineProfile profile) =>
        profile == FaultlineProfile.Lab ? TimeSpan.FromSeconds(5) : TimeSpan.FromSeconds(30);

    /// <summary>
    /// The window a breaker counts failures in: the circuit opens when at least the threshold of calls in the
    /// window all failed. Short, so that under request traffic the circuit opens within this time of an
    /// outage (30 s; Lab 10 s), yet long enough that the background checks alone (one per health interval)
    /// can reach the threshold (at most 5 min).
    /// </summary>
    public static TimeSpan SamplingDuration(FaultlineProfile profile, TimeSpan healthInterval, int failureThreshold)
    {
        var floor = profile == FaultlineProfile.Lab ? TimeSpan.FromSeconds(10) : TimeSpan.FromSeconds(30);
        var checks = (healthInterval * failureThreshold) + (healthInterval / 2);
        var window = checks > floor ? checks : floor;

        // A slow health schedule must not leave a success counting for hours: at most 5 min.
        return window < TimeSpan.FromMinutes(5) ? window : TimeSpan.FromMinutes(5);
    }

    /// <summary>The profile named by <paramref name="environmentName"/> (case-insensitive), else Production.</summary>
    public static FaultlineProfile FromEnvironment(string? environmentName) =>
        Enum.TryParse<FaultlineProfile>(environmentName, ignoreCase: true, out var profile) && Enum.IsDefined(profile)
            ? profile
            : FaultlineProfile.Production;
}
