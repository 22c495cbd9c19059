namespace Faultline.Core.Config;

/// <summary>Where something was written in a config file, for error messages (1-based).</summary>
public sealed record SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>The whole config file. One schema for every command; later commands add sections.</summary>
public sealed record FaultlineConfig
{
    public string? Environment { get; init; }

    public DefaultsSpec Defaults { get; init; } = new();

    /// <summary>Resolve every name through this DNS server (<c>host:port</c>); null = system resolver.</summary>
    public string? Resolver { get; init; }

    public IReadOnlyList<TargetSpec> Targets { get; init; } = [];

    /// <summary><c>monitor:</c> settings of <c>faultline monitor</c>.</summary>
    public MonitorSpec Monitor { get; init; } = new();

    /// <summary><c>alerts:</c> where <c>faultline monitor</c> sends incident notifications; targets name them.</summary>
    public IReadOnlyList<AlertSpec> Alerts { get; init; } = [];

    /// <summary><c>validation:</c> settings of <c>faultline validate</c>; null when the file has none (defaults apply).</summary>
    public ValidationSpec? Validation { get; init; }

    /// <summary>
    /// Values no output may show (docs/security.md, "What is a secret"): decided while the file is read,
    /// from the keys that carry credentials, URL user-info and what the environment filled in.
    /// </summary>
    public IReadOnlyList<string> Secrets { get; init; } = [];

    /// <summary>Absolute path of the file this came from; null for configs built in code (quick mode).</summary>
    public string? SourcePath { get; init; }

    /// <summary>Directory relative paths were resolved against.</summary>
    public string BaseDirectory { get; init; } = Directory.GetCurrentDirectory();
}

public sealed record DefaultsSpec
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    public static readonly TimeSpan DefaultCheckDeadline = TimeSpan.FromMinutes(1);

    /// <summary>How many targets run at once.</summary>
    public int Concurrency { get; init; } = 64;

    /// <summary>
    /// How long a run waits for probe slots: a target still waiting when it passes is reported
    /// <c>not-started</c>. A target that started keeps its own deadline.
    /// </summary>
    public TimeSpan CheckDeadline { get; init; } = DefaultCheckDeadline;

    /// <summary>The side of configuration-layer findings of every target that sets no <see cref="TargetSpec.Owner"/>; null = the error table's side.</summary>
    public Model.Side? Owner { get; init; }
}

/// <summary>The probe kinds <c>check</c> knows.</summary>
public static class TargetKinds
{
    public const string Http = "http";
    public const string Tls = "tls";
    public const string Dns = "dns";
    public const string Tcp = "tcp";
    public const string Postgres = "postgres";
    public const string Redis = "redis";
    public const string Secret = "secret";
    public const string WebSocket = "websocket";
    public const string Remote = "remote";

    /// <summary>Runs another target's probe <see cref="TargetSpec.Parallel"/> times at once (a load check).</summary>
    public const string Concurrency = "concurrency";

    /// <summary>Starts a service command <see cref="TargetSpec.Instances"/> times at once and waits for each to be ready (a load check).</summary>
    public const string Startup = "startup";

    public static IReadOnlyList<string> All { get; } = [Http, Tls, Dns, Tcp, Postgres, Redis, Secret, WebSocket, Remote, Concurrency, Startup];
}

/// <summary>
/// One target. A single record carries the fields of every kind; the loader rejects fields that do
/// not belong to the target's kind, so a typo or a misplaced key never passes silently.
/// Paths (<see cref="TlsSpec.CaFile"/>, secret dirs) are absolute after loading.
/// </summary>
public sealed record TargetSpec
{
    public required string Name { get; init; }

    public required string Kind { get; init; }

    public bool Critical { get; init; } = true;

    public string Category { get; init; } = "default";

    /// <summary>
    /// The side of this target's findings on the configuration layer (and of the inside results of a remote
    /// target); null = <see cref="DefaultsSpec.Owner"/>, else the error table's side. Other layers keep theirs.
    /// </summary>
    public Model.Side? Owner { get; init; }

    /// <summary>Condition expressions as written; validated by the loader.</summary>
    public IReadOnlyList<string> Conditions { get; init; } = [];

    public IReadOnlyList<string> DependsOn { get; init; } = [];

    /// <summary>The <c>remote</c> target of the service that serves this target (<c>service:</c>); see docs/attribution.md.</summary>
    public string? Service { get; init; }

    /// <summary>This target's hard deadline; null = <see cref="DefaultsSpec.Timeout"/>.</summary>
    public TimeSpan? Timeout { get; init; }

    public TlsSpec? Tls { get; init; }

    // http
    public string? Url { get; init; }

    public string Method { get; init; } = "GET";

    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    public string? Body { get; init; }

    public bool FollowRedirects { get; init; }

    public int MaxBodyBytes { get; init; } = 64 * 1024;

    // tls, tcp, dns
    public string? Host { get; init; }

    public int? Port { get; init; }

    /// <summary>dns: record types to ask for (A, AAAA, CNAME). Default A and AAAA.</summary>
    public IReadOnlyList<string> RecordTypes { get; init; } = ["A", "AAAA"];

    /// <summary>Per-target DNS server override (<c>host:port</c>).</summary>
    public string? Resolver { get; init; }

    // postgres, redis
    public string? ConnectionString { get; init; }

    /// <summary>postgres: the round-trip query; default <c>SELECT 1</c>.</summary>
    public string? Query { get; init; }

    /// <summary>redis: also SET a key with expiry, so OOM and read-only replicas show.</summary>
    public bool Write { get; init; }

    // secret
    public SecretSourceSpec? Source { get; init; }

    public IReadOnlyList<string> Required { get; init; } = [];

    public IReadOnlyDictionary<string, SecretRuleSpec> Rules { get; init; } = new Dictionary<string, SecretRuleSpec>();

    // websocket
    /// <summary>websocket: an HTTP login before the upgrade, whose token is sent as <c>Authorization: Bearer</c>.</summary>
    public LoginSpec? Login { get; init; }

    /// <summary>websocket: the message sent after the upgrade (JSON text, or a string as written); null = send nothing.</summary>
    public string? Send { get; init; }

    /// <summary>websocket: the events expected, in order; an item ending in <c>?</c> is optional.</summary>
    public IReadOnlyList<string> Expect { get; init; } = [];

    /// <summary>websocket: the JSON field of each message that names its event.</summary>
    public string EventField { get; init; } = "type";

    /// <summary>websocket: how long after sending the expected events may take; startup: how long an instance may take to be ready. null = until the target's timeout.</summary>
    public TimeSpan? Deadline { get; init; }

    // remote
    /// <summary>remote: sent as <c>X-Api-Key</c>; a secret, kept out of every output.</summary>
    public string? ApiKey { get; init; }

    /// <summary>remote: the service's termination-message file, read when the service does not answer.</summary>
    public string? TerminationFile { get; init; }

    // monitor
    /// <summary>monitor: how often the target is probed (jitter is added by the scheduler).</summary>
    public TimeSpan Interval { get; init; } = DefaultInterval;

    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(30);

    /// <summary>monitor: consecutive failures before an incident opens.</summary>
    public int FailureThreshold { get; init; } = 3;

    /// <summary>monitor: consecutive successes before an open incident resolves.</summary>
    public int SuccessThreshold { get; init; } = 2;

    /// <summary>monitor: a passing probe slower than this is <c>degraded</c>; null = never.</summary>
    public TimeSpan? DegradedAbove { get; init; }

    /// <summary>monitor: names of <see cref="FaultlineConfig.Alerts"/> notified about this target's incidents.</summary>
    public IReadOnlyList<string> Alerts { get; init; } = [];

    // concurrency
    /// <summary>concurrency: the name of the target whose probe is run in parallel.</summary>
    public string? Of { get; init; }

    /// <summary>concurrency: how many probes run at once.</summary>
    public int Parallel { get; init; } = 10;

    // startup
    /// <summary>startup: the service command line, run with <c>/bin/sh -c</c>; <c>{port}</c> and <c>{instance}</c> are replaced per instance.</summary>
    public string? Run { get; init; }

    /// <summary>startup: environment variables of each instance (values may use <c>{port}</c> and <c>{instance}</c>).</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>startup: the working directory of each instance (absolute after loading); null = the config file's directory.</summary>
    public string? WorkingDir { get; init; }

    /// <summary>startup: the URL that answers 2xx once an instance is ready (may use <c>{port}</c> and <c>{instance}</c>).</summary>
    public string? ReadyUrl { get; init; }

    /// <summary>startup: how many instances start at once.</summary>
    public int Instances { get; init; } = 1;

    /// <summary>Where the target was declared, for messages; null when built in code.</summary>
    public SourceLocation? Location { get; init; }
}

/// <summary><c>monitor:</c> — the history store, flapping, retention and maintenance windows.</summary>
public sealed record MonitorSpec
{
    public const string DefaultStore = "sqlite:./faultline.db";

    /// <summary><c>sqlite:PATH</c> or <c>postgres:CONNSTRING</c>; null = <see cref="DefaultStore"/>. The CLI flag wins.</summary>
    public string? Store { get; init; }

    /// <summary>The window flapping is counted over.</summary>
    public TimeSpan FlapWindow { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>State changes within <see cref="FlapWindow"/> that make a target <c>flapping</c>.</summary>
    public int FlapChanges { get; init; } = 4;

    /// <summary>How long raw results are kept.</summary>
    public TimeSpan RawRetention { get; init; } = TimeSpan.FromDays(14);

    /// <summary>How long hourly rollups are kept.</summary>
    public TimeSpan RollupRetention { get; init; } = TimeSpan.FromDays(400);

    /// <summary>Re-announce an incident still open after this long (and again each time); null = never.</summary>
    public TimeSpan? Reminder { get; init; }

    /// <summary>Periods when incidents still open and resolve but no alert is sent.</summary>
    public IReadOnlyList<MaintenanceWindowSpec> Maintenance { get; init; } = [];
}

/// <summary>A maintenance window: alerts for <see cref="Targets"/> (empty = all) are held between From and Until.</summary>
public sealed record MaintenanceWindowSpec
{
    public required DateTimeOffset From { get; init; }

    public required DateTimeOffset Until { get; init; }

    public IReadOnlyList<string> Targets { get; init; } = [];

    public string? Reason { get; init; }
}

/// <summary>The alert kinds <c>monitor</c> knows.</summary>
public static class AlertKinds
{
    public const string Webhook = "webhook";
    public const string Command = "command";
    public const string Log = "log";

    public static IReadOnlyList<string> All { get; } = [Webhook, Command, Log];
}

/// <summary>One entry of <c>alerts:</c>.</summary>
public sealed record AlertSpec
{
    public required string Name { get; init; }

    public required string Kind { get; init; }

    /// <summary>webhook: where the JSON is POSTed.</summary>
    public string? Url { get; init; }

    /// <summary>webhook: <c>generic</c> or <c>slack</c>.</summary>
    public string Format { get; init; } = "generic";

    /// <summary>webhook: extra request headers.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>command: the command line, run with <c>/bin/sh -c</c> and the event in its environment.</summary>
    public string? Run { get; init; }

    /// <summary>Attempts after the first one when delivery fails (with exponential backoff).</summary>
    public int Retries { get; init; } = 3;

    /// <summary>Deadline of one delivery attempt.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>command: where <see cref="Run"/> runs — the config file's directory (so <c>./notify.sh</c> is found beside it); null = the current directory.</summary>
    public string? WorkingDirectory { get; init; }

    public SourceLocation? Location { get; init; }
}

/// <summary><c>validation:</c> — how <c>faultline validate</c> decides "fixed".</summary>
public sealed record ValidationSpec
{
    /// <summary>Share of (target, run) outcomes that must pass overall (warn counts as pass).</summary>
    public double MinPassRate { get; init; } = 0.8;

    public int Runs { get; init; } = 3;

    /// <summary>Pause between runs.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Declared categories; when any are declared, every target's category must be one of them.</summary>
    public IReadOnlyList<CategorySpec> Categories { get; init; } = [];
}

public sealed record CategorySpec
{
    public required string Name { get; init; }

    public bool Critical { get; init; } = true;

    /// <summary>null = the overall <see cref="ValidationSpec.MinPassRate"/>.</summary>
    public double? MinPassRate { get; init; }
}

public sealed record TlsSpec
{
    public string? CaFile { get; init; }

    public string? ServerName { get; init; }

    public string? ClientCertFile { get; init; }

    public string? ClientKeyFile { get; init; }

    /// <summary>Skip trust and name checks (still records what they would have said).</summary>
    public bool Insecure { get; init; }
}

/// <summary><c>env</c> (Directory null) or <c>{ dir: PATH }</c>, one file per secret.</summary>
public sealed record SecretSourceSpec
{
    public string? Directory { get; init; }

    public bool IsEnvironment => Directory is null;
}

public sealed record SecretRuleSpec
{
    public int? MinLength { get; init; }

    public IReadOnlyList<string>? Scheme { get; init; }

    public string? Pattern { get; init; }
}

/// <summary>A login step: POST <see cref="Body"/> as JSON to <see cref="Url"/>, read the token at <see cref="TokenPath"/>.</summary>
public sealed record LoginSpec
{
    public required string Url { get; init; }

    /// <summary>JSON text (or a string as written); null = an empty JSON object.</summary>
    public string? Body { get; init; }

    /// <summary>A JSON path into the response: <c>$.token</c>, <c>$.data.accessToken</c>, <c>$.tokens[0]</c>.</summary>
    public string TokenPath { get; init; } = "$.token";

    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
}
