namespace Faultline.AspNetCore;

/// <summary>The environment profile that picks default timeouts, attempts and backoff.</summary>
public enum FaultlineProfile
{
    Development,
    Test,
    Staging,
    Production,

    /// <summary>Fault drills: 2–3 s timeouts and 2 attempts, so a drill ends quickly.</summary>
    Lab,
}

/// <summary>Options bound from the <c>Faultline</c> configuration section (see the library README for every key).</summary>
public sealed class FaultlineOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Faultline";

    /// <summary>Service name shown in <c>/health/infrastructure</c>; defaults to the application name.</summary>
    public string? ServiceName { get; set; }

    /// <summary><c>Faultline:Profile</c>; defaults to the ASP.NET Core environment name when it matches a profile, else Production.</summary>
    public FaultlineProfile? Profile { get; set; }

    /// <summary><c>Faultline:TerminationMessagePath</c>: where a fatal startup failure is written as one JSON line (e.g. <c>/dev/termination-log</c>).</summary>
    public string? TerminationMessagePath { get; set; }

    /// <summary><c>Faultline:ApiKey</c>: callers presenting it in <c>X-Api-Key</c> see component and timeline detail.</summary>
    public string? ApiKey { get; set; }

    public StartupOptions Startup { get; set; } = new();

    public HealthOptions Health { get; set; } = new();

    /// <summary><c>Faultline:Breakers:&lt;name&gt;</c>: circuit breaker settings per dependency (the name a phase gives to <c>Breaker</c>).</summary>
    public Dictionary<string, BreakerOptions> Breakers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// <c>Faultline:Requests:&lt;name&gt;</c>: the request-path pipeline of each dependency added with
    /// <c>AddDependency</c> (timeout of one call, retries of idempotent calls).
    /// </summary>
    public Dictionary<string, RequestOptions> Requests { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// <c>Faultline:Pools:&lt;name&gt;</c>: the connection pool of a postgres dependency and the client timeouts of a redis
    /// dependency, per dependency name (the name given to <c>AddPostgres</c> / <c>AddRedis</c>); unset values come from
    /// the connection string when it sets them, else the profile (README, "Connection pools per profile").
    /// </summary>
    public Dictionary<string, PoolOptions> Pools { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// <c>Faultline:PollyTelemetry</c>: whether the request-path pipelines report to Polly's telemetry (metrics and
    /// telemetry listeners configured for the app; never log lines). Off by default: it roughly doubles a call's
    /// overhead; the breakers' state and transitions are in <c>/health/infrastructure</c> and Faultline's logs either way.
    /// </summary>
    public bool PollyTelemetry { get; set; }

    /// <summary>Errors met while binding the section (unknown keys, unconvertible values), reported by validation.</summary>
    internal List<string> BindingErrors { get; } = [];
}

/// <summary><c>Faultline:Breakers:&lt;name&gt;</c>: when the circuit breaker of one dependency opens and for how long.</summary>
public sealed class BreakerOptions
{
    /// <summary>Consecutive failures (within <see cref="SamplingDuration"/>, none succeeding) that open the circuit; at least 2. Default 3.</summary>
    public int? FailureThreshold { get; set; }

    /// <summary>How long the circuit stays open before half-open lets one trial through. Default 30 s (Lab 5 s).</summary>
    public TimeSpan? BreakDuration { get; set; }

    /// <summary>The window failures are counted in. Default 30 s (Lab 10 s), longer when the health interval needs it (threshold × interval + half an interval, at most 5 min).</summary>
    public TimeSpan? SamplingDuration { get; set; }
}

/// <summary><c>Faultline:Requests:&lt;name&gt;</c>: the request-path pipeline of one dependency.</summary>
public sealed class RequestOptions
{
    /// <summary>Timeout of one call on the request path. Default by profile and layer (cache 0.5–1 s, others 2–10 s; see the README).</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>Retries of a call made through the idempotent pipeline (<c>FaultlinePipelines.Idempotent(name)</c>); 0 turns them off. Default 2 in Staging and Production, 1 elsewhere.</summary>
    public int? Retries { get; set; }
}

/// <summary>
/// <c>Faultline:Pools:&lt;name&gt;</c>: overrides of the profile's pool and client settings for one dependency. The first six
/// apply to a postgres dependency (its <c>NpgsqlDataSource</c>), the last three to a redis dependency; a key of the other
/// kind is a configuration error. A value the connection string also sets must agree with it.
/// </summary>
public sealed class PoolOptions
{
    /// <summary>Postgres: connections the pool keeps open when idle (Npgsql <c>Minimum Pool Size</c>).</summary>
    public int? MinSize { get; set; }

    /// <summary>Postgres: most connections open at once; a request beyond them waits (Npgsql <c>Maximum Pool Size</c>).</summary>
    public int? MaxSize { get; set; }

    /// <summary>Postgres: how long opening a connection may take, waiting for a free one included, whole seconds (Npgsql <c>Timeout</c>).</summary>
    public TimeSpan? ConnectionTimeout { get; set; }

    /// <summary>Postgres: how long a connection above <see cref="MinSize"/> stays idle before it is closed, whole seconds (Npgsql <c>Connection Idle Lifetime</c>).</summary>
    public TimeSpan? IdleLifetime { get; set; }

    /// <summary>Postgres: the age at which a connection is closed instead of returned to the pool (recycling), whole seconds (Npgsql <c>Connection Lifetime</c>).</summary>
    public TimeSpan? Lifetime { get; set; }

    /// <summary>Postgres: how long a command may run, whole seconds (Npgsql <c>Command Timeout</c>).</summary>
    public TimeSpan? CommandTimeout { get; set; }

    /// <summary>Redis: how long a connect may take (StackExchange.Redis <c>connectTimeout</c>).</summary>
    public TimeSpan? ConnectTimeout { get; set; }

    /// <summary>Redis: how long a synchronous command may take (StackExchange.Redis <c>syncTimeout</c>).</summary>
    public TimeSpan? SyncTimeout { get; set; }

    /// <summary>Redis: how long an asynchronous command may take (StackExchange.Redis <c>asyncTimeout</c>).</summary>
    public TimeSpan? AsyncTimeout { get; set; }
}

/// <summary><c>Faultline:Startup</c>.</summary>
public sealed class StartupOptions
{
    /// <summary>
    /// <c>Faultline:Startup:SlowShare</c>: the share of its budget (greater than 0, at most 1) a phase may use
    /// before it is marked slow and a warning is logged, while it still runs. Default 0.75. A phase's own
    /// setting (configuration, then registration) overrides it.
    /// </summary>
    public double SlowShare { get; set; } = Startup.ProfileDefaults.SlowShare;

    /// <summary><c>Faultline:Startup:Phases:&lt;name&gt;</c>: per-phase overrides of the profile defaults.</summary>
    public Dictionary<string, PhaseOptions> Phases { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary><c>Faultline:Startup:Phases:&lt;name&gt;</c>. Unset values come from the phase's registration, then the profile.</summary>
public sealed class PhaseOptions
{
    /// <summary>Timeout of one attempt.</summary>
    public TimeSpan? AttemptTimeout { get; set; }

    /// <summary>Time for the whole phase, every attempt and backoff included.</summary>
    public TimeSpan? Budget { get; set; }

    /// <summary>Attempts in all (1 = no retry).</summary>
    public int? Attempts { get; set; }

    /// <summary>A failing critical phase stops the service with exit code 3; a failing optional one makes it degraded.</summary>
    public bool? Critical { get; set; }

    /// <summary>First backoff delay between attempts (doubled each retry, with jitter).</summary>
    public TimeSpan? BaseDelay { get; set; }

    /// <summary>Largest backoff delay between attempts.</summary>
    public TimeSpan? MaxDelay { get; set; }

    /// <summary>Share of the budget (greater than 0, at most 1) after which the phase is slow; overrides <see cref="StartupOptions.SlowShare"/>.</summary>
    public double? SlowShare { get; set; }
}

/// <summary><c>Faultline:Health</c>: endpoint paths and the background evaluation schedule.</summary>
public sealed class HealthOptions
{
    public string LivePath { get; set; } = "/health/live";

    public string ReadyPath { get; set; } = "/health/ready";

    public string StartupPath { get; set; } = "/health/startup";

    public string InfrastructurePath { get; set; } = "/health/infrastructure";

    /// <summary>How often dependency checks run in the background; endpoints serve the latest snapshot.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Deadline of one dependency check; defaults to the profile's health-check timeout.</summary>
    public TimeSpan? CheckTimeout { get; set; }

    /// <summary>Authorization policy that may see detail instead of (or besides) the API key.</summary>
    public string? DetailPolicy { get; set; }

    /// <summary>Seconds sent in <c>Retry-After</c> with the 503 that application endpoints answer while the plan runs. Default 5.</summary>
    public int RetryAfterSeconds { get; set; } = 5;
}
