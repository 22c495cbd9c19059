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

    /// <summary>Absolute path of the file this came from; null for configs built in code (quick mode).</summary>
    public string? SourcePath { get; init; }

    /// <summary>Directory relative paths were resolved against.</summary>
    public string BaseDirectory { get; init; } = Directory.GetCurrentDirectory();
}

public sealed record DefaultsSpec
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>How many targets run at once.</summary>
    public int Concurrency { get; init; } = 64;
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

    public static IReadOnlyList<string> All { get; } = [Http, Tls, Dns, Tcp, Postgres, Redis, Secret, WebSocket, Remote];
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

    /// <summary>Condition expressions as written; validated by the loader.</summary>
    public IReadOnlyList<string> Conditions { get; init; } = [];

    public IReadOnlyList<string> DependsOn { get; init; } = [];

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

    /// <summary>websocket: how long after sending the expected events may take; null = until the target's timeout.</summary>
    public TimeSpan? Deadline { get; init; }

    // remote
    /// <summary>remote: sent as <c>X-Api-Key</c>; a secret, kept out of every output.</summary>
    public string? ApiKey { get; init; }

    /// <summary>remote: the service's termination-message file, read when the service does not answer.</summary>
    public string? TerminationFile { get; init; }

    /// <summary>Where the target was declared, for messages; null when built in code.</summary>
    public SourceLocation? Location { get; init; }
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
