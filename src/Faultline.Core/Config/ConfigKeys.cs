namespace Faultline.Core.Config;

/// <summary>The shape of a key's value.</summary>
internal enum KeyType
{
    String,
    Boolean,
    Integer,
    Duration,
    StringList,
    StringMap,

    /// <summary>A mapping whose keys are the keys of <see cref="ConfigKey.Nested"/>.</summary>
    Section,

    /// <summary>A list of <see cref="Section"/>s.</summary>
    SectionList,

    /// <summary>A mapping from free names to <see cref="Section"/>s.</summary>
    SectionMap,

    /// <summary><c>env</c>, or a <see cref="Section"/> (<c>{ dir: PATH }</c>).</summary>
    SecretSource,

    /// <summary>A mapping or list (sent as JSON), or a string (sent as written).</summary>
    Json,
}

/// <summary>Extra validation (and normalisation) of a string value.</summary>
internal enum KeyFormat
{
    None,
    TargetName,
    Kind,
    HttpUrl,
    Resolver,
    Host,
    ExistingFile,
    Directory,
    Condition,
    Regex,
    HttpMethod,
    SecretName,
    RecordType,

    /// <summary>The target's URL: http(s) for http and remote, ws(s) for websocket.</summary>
    TargetUrl,

    /// <summary>A file path, relative to the config file; it need not exist yet.</summary>
    FilePath,

    /// <summary>A JSON path: <c>$.token</c>, <c>$.data.accessToken</c>, <c>$.tokens[0]</c>.</summary>
    JsonPath,

    /// <summary>An event name, optionally ending in <c>?</c>.</summary>
    EventName,
}

/// <summary>One allowed key: where it may appear, its type, and what it means.</summary>
internal sealed record ConfigKey(string Scope, string Name, KeyType Type, string Description)
{
    /// <summary>Target scope only: the kinds the key applies to; null = every kind.</summary>
    public IReadOnlyList<string>? Kinds { get; init; }

    /// <summary>Required in its scope (for targets: required whatever the kind).</summary>
    public bool Required { get; init; }

    /// <summary>Target scope only: kinds that must set this key.</summary>
    public IReadOnlyList<string> RequiredFor { get; init; } = [];

    public KeyFormat Format { get; init; }

    /// <summary>Scope of the keys inside a Section, SectionList, SectionMap or SecretSource.</summary>
    public string? Nested { get; init; }

    /// <summary>The default, as documented.</summary>
    public string? Default { get; init; }

    /// <summary>A value to show in docs and hints, in YAML.</summary>
    public string? Example { get; init; }

    public int? Minimum { get; init; }

    public int? Maximum { get; init; }

    /// <summary>The allowed values, when the value (or each list item) is an enumeration.</summary>
    public IReadOnlyList<string>? Values { get; init; }

    public bool AppliesTo(string? kind) => Kinds is null || kind is null || Kinds.Contains(kind, StringComparer.Ordinal);
}

/// <summary>
/// The one table of config keys. Validation, mapping, the JSON schema and the docs all read it;
/// a new key is one line here (plus one line where the loader maps it onto a record).
/// </summary>
internal static class ConfigKeys
{
    public const string Root = "root";
    public const string Defaults = "defaults";
    public const string Target = "target";
    public const string Tls = "tls";
    public const string SecretDir = "source";
    public const string SecretRule = "rule";
    public const string Login = "login";

    private static readonly string[] TlsKinds = [TargetKinds.Http, TargetKinds.Tls, TargetKinds.Postgres, TargetKinds.Redis, TargetKinds.WebSocket, TargetKinds.Remote];
    private static readonly string[] ResolverKinds = [TargetKinds.Http, TargetKinds.Tls, TargetKinds.Tcp, TargetKinds.Dns, TargetKinds.Postgres, TargetKinds.Redis, TargetKinds.WebSocket, TargetKinds.Remote];
    private static readonly string[] UrlKinds = [TargetKinds.Http, TargetKinds.WebSocket, TargetKinds.Remote];
    private static readonly string[] HostKinds = [TargetKinds.Tls, TargetKinds.Tcp, TargetKinds.Dns];
    private static readonly string[] DatabaseKinds = [TargetKinds.Postgres, TargetKinds.Redis];

    public static IReadOnlyList<ConfigKey> All { get; } =
    [
        new(Root, "environment", KeyType.String, "Name of the environment the report is about; shown in every output.") { Example = "staging" },
        new(Root, "defaults", KeyType.Section, "Settings every target inherits.") { Nested = Defaults, Example = "{ timeout: 10s, concurrency: 64 }" },
        new(Root, "resolver", KeyType.String, "Resolve every host name through this DNS server (host:port, or an IP for port 53) instead of the system resolver.") { Format = KeyFormat.Resolver, Example = "\"127.0.0.1:5353\"" },
        new(Root, "targets", KeyType.SectionList, "The things to probe, each with a name and a kind.") { Nested = Target, Required = true },

        new(Defaults, "timeout", KeyType.Duration, "Hard deadline of each target that sets no timeout of its own.") { Default = "10s", Example = "10s" },
        new(Defaults, "concurrency", KeyType.Integer, "How many targets are probed at once.") { Default = "64", Minimum = 1, Maximum = 1024, Example = "64" },

        new(Target, "name", KeyType.String, "Unique name of the target: letters, digits, '-', '_', '.', '/'.") { Required = true, Format = KeyFormat.TargetName, Example = "api" },
        new(Target, "kind", KeyType.String, "What to probe: " + string.Join(", ", TargetKinds.All) + ".") { Required = true, Format = KeyFormat.Kind, Values = TargetKinds.All, Example = "http" },
        new(Target, "critical", KeyType.Boolean, "A failing critical target makes the report unhealthy (exit 1); a non-critical one only degrades it.") { Default = "true", Example = "false" },
        new(Target, "category", KeyType.String, "Group name, for reports and --category.") { Default = "default", Example = "connectivity" },
        new(Target, "conditions", KeyType.StringList, "Conditions that must hold, e.g. \"[STATUS] == 200\"; see docs/conditions.md.") { Format = KeyFormat.Condition, Example = "[\"[STATUS] == 200\", \"[RESPONSE_TIME] < 2s\"]" },
        new(Target, "dependsOn", KeyType.StringList, "Names of targets this one needs; used to pick the root cause.") { Format = KeyFormat.TargetName, Example = "[db-port]" },
        new(Target, "timeout", KeyType.Duration, "This target's hard deadline.") { Default = "defaults.timeout", Example = "5s" },
        new(Target, "tls", KeyType.Section, "TLS settings; system trust and the target's host name otherwise.") { Kinds = TlsKinds, Nested = Tls, Example = "{ caFile: ./ca.pem }" },
        new(Target, "resolver", KeyType.String, "DNS server for this target's names (host:port, or an IP for port 53); overrides the top-level resolver.") { Kinds = ResolverKinds, Format = KeyFormat.Resolver, Example = "\"127.0.0.1:5353\"" },

        new(Target, "url", KeyType.String, "Absolute URL: http:// or https:// to request (http), the service's /health/infrastructure (remote), ws:// or wss:// to upgrade (websocket).") { Kinds = UrlKinds, RequiredFor = UrlKinds, Format = KeyFormat.TargetUrl, Example = "https://api.example.test/health" },
        new(Target, "method", KeyType.String, "HTTP method.") { Kinds = [TargetKinds.Http], Format = KeyFormat.HttpMethod, Default = "GET", Example = "POST" },
        new(Target, "headers", KeyType.StringMap, "Request headers, name: value (websocket: headers of the upgrade request).") { Kinds = [TargetKinds.Http, TargetKinds.WebSocket], Example = "{ Authorization: \"Bearer ${TOKEN}\" }" },
        new(Target, "body", KeyType.String, "Request body.") { Kinds = [TargetKinds.Http], Example = "'{\"ping\": true}'" },
        new(Target, "followRedirects", KeyType.Boolean, "Follow 3xx redirects instead of reporting them.") { Kinds = [TargetKinds.Http], Default = "false", Example = "true" },
        new(Target, "maxBodyBytes", KeyType.Integer, "How many bytes of the response body are kept for conditions.") { Kinds = [TargetKinds.Http], Default = "65536", Minimum = 0, Maximum = 16 * 1024 * 1024, Example = "1048576" },

        new(Target, "host", KeyType.String, "Host name or IP address.") { Kinds = HostKinds, RequiredFor = HostKinds, Format = KeyFormat.Host, Example = "api.example.test" },
        new(Target, "port", KeyType.Integer, "TCP port.") { Kinds = [TargetKinds.Tls, TargetKinds.Tcp], RequiredFor = [TargetKinds.Tcp], Default = "443 for tls", Minimum = 1, Maximum = 65535, Example = "5432" },
        new(Target, "recordTypes", KeyType.StringList, "DNS record types to ask for.") { Kinds = [TargetKinds.Dns], Format = KeyFormat.RecordType, Values = ["A", "AAAA", "CNAME"], Default = "[A, AAAA]", Example = "[A]" },

        new(Target, "connectionString", KeyType.String, "Connection string, key=value or URL form (postgres://user:pass@host:5432/db, redis://:pass@host:6379/0, rediss://...).") { Kinds = DatabaseKinds, RequiredFor = DatabaseKinds, Example = "\"${DATABASE_URL}\"" },
        new(Target, "query", KeyType.String, "Round-trip query.") { Kinds = [TargetKinds.Postgres], Default = "SELECT 1", Example = "\"SELECT 1\"" },
        new(Target, "write", KeyType.Boolean, "Also SET a key with expiry, so out-of-memory and read-only replicas show.") { Kinds = [TargetKinds.Redis], Default = "false", Example = "true" },

        new(Target, "source", KeyType.SecretSource, "Where secrets live: env (environment variables) or { dir: PATH } (one file per secret, named like it).") { Kinds = [TargetKinds.Secret], Nested = SecretDir, Default = "env", Example = "{ dir: /run/secrets }" },
        new(Target, "required", KeyType.StringList, "Names of secrets that must be present.") { Kinds = [TargetKinds.Secret], Format = KeyFormat.SecretName, Example = "[DATABASE_URL, JWT_SECRET]" },
        new(Target, "rules", KeyType.SectionMap, "Format rules per secret name.") { Kinds = [TargetKinds.Secret], Nested = SecretRule, Example = "{ JWT_SECRET: { minLength: 32 } }" },

        new(Target, "login", KeyType.Section, "Log in before the upgrade: POST body as JSON to url, take the token at the JSON path token and send it as Authorization: Bearer.") { Kinds = [TargetKinds.WebSocket], Nested = Login, Example = "{ url: https://api.example.test/api/login, body: { username: demo, password: \"${DEMO_PASSWORD}\" }, token: \"$.token\" }" },
        new(Target, "send", KeyType.Json, "The message sent once the socket is open: a mapping (sent as JSON) or a string (sent as written).") { Kinds = [TargetKinds.WebSocket], Example = "{ type: chat, text: \"what is 6 times 7?\" }" },
        new(Target, "expect", KeyType.StringList, "Events expected after sending, in order; an item ending in ? is optional. The probe reads until every required event arrived.") { Kinds = [TargetKinds.WebSocket], Format = KeyFormat.EventName, Example = "[agent_started, agent_thinking?, agent_completed]" },
        new(Target, "eventField", KeyType.String, "The JSON field of each message that names its event.") { Kinds = [TargetKinds.WebSocket], Default = "type", Example = "event" },
        new(Target, "deadline", KeyType.Duration, "How long after sending the expected events may take. When the target sets no timeout, its timeout becomes deadline + defaults.timeout (for login, connect and upgrade).") { Kinds = [TargetKinds.WebSocket], Default = "the target's timeout", Example = "30s" },

        new(Target, "apiKey", KeyType.String, "Sent as X-Api-Key to read the service's detail; a secret, never printed.") { Kinds = [TargetKinds.Remote], Example = "\"${FAULTLINE_API_KEY}\"" },
        new(Target, "terminationFile", KeyType.String, "The service's termination-message file (one JSON line written when its startup fails), read when the service does not answer; relative to the config file.") { Kinds = [TargetKinds.Remote], Format = KeyFormat.FilePath, Example = "/var/run/api/termination-log" },

        new(Tls, "caFile", KeyType.String, "PEM file of the CA certificates to trust instead of the system store; relative to the config file.") { Format = KeyFormat.ExistingFile, Example = "./ca.pem" },
        new(Tls, "serverName", KeyType.String, "Name sent in SNI and checked against the certificate.") { Format = KeyFormat.Host, Default = "the target's host", Example = "api.example.test" },
        new(Tls, "clientCertFile", KeyType.String, "PEM client certificate for mutual TLS; relative to the config file.") { Format = KeyFormat.ExistingFile, Example = "./client.pem" },
        new(Tls, "clientKeyFile", KeyType.String, "PEM private key of the client certificate; relative to the config file.") { Format = KeyFormat.ExistingFile, Example = "./client.key" },
        new(Tls, "insecure", KeyType.Boolean, "Do not fail on trust or name problems (they are still recorded).") { Default = "false", Example = "true" },

        new(Login, "url", KeyType.String, "Absolute http:// or https:// URL of the login endpoint.") { Required = true, Format = KeyFormat.HttpUrl, Example = "https://api.example.test/api/login" },
        new(Login, "body", KeyType.Json, "The request body: a mapping (sent as JSON) or a string (sent as written), with Content-Type application/json.") { Default = "{}", Example = "{ username: demo, password: \"${DEMO_PASSWORD}\" }" },
        new(Login, "token", KeyType.String, "JSON path of the token in the response.") { Format = KeyFormat.JsonPath, Default = "$.token", Example = "\"$.data.accessToken\"" },
        new(Login, "headers", KeyType.StringMap, "Extra headers of the login request.") { Example = "{ X-Client: faultline }" },

        new(SecretDir, "dir", KeyType.String, "Directory with one file per secret; relative to the config file.") { Required = true, Format = KeyFormat.Directory, Example = "/run/secrets" },

        new(SecretRule, "minLength", KeyType.Integer, "Minimum length of the value.") { Minimum = 0, Maximum = 1_000_000, Example = "32" },
        new(SecretRule, "scheme", KeyType.StringList, "The value is a URL with one of these schemes.") { Example = "[postgres, postgresql]" },
        new(SecretRule, "pattern", KeyType.String, "The value matches this regular expression.") { Format = KeyFormat.Regex, Example = "\"^https://\"" },
    ];

    /// <summary>Kinds that need at least one key of a group (beyond <see cref="ConfigKey.RequiredFor"/>).</summary>
    public static IReadOnlyList<(string Kind, IReadOnlyList<string> AnyOf)> RequiredAnyOf { get; } =
    [
        (TargetKinds.Secret, ["required", "rules"]),
    ];

    public static IEnumerable<ConfigKey> InScope(string scope) => All.Where(k => string.Equals(k.Scope, scope, StringComparison.Ordinal));

    public static ConfigKey? Find(string scope, string name) =>
        All.FirstOrDefault(k => string.Equals(k.Scope, scope, StringComparison.Ordinal) && string.Equals(k.Name, name, StringComparison.Ordinal));
}
