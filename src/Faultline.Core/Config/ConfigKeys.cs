namespace Faultline.Core.Config;

/// <summary>The shape of a key's value.</summary>
internal enum KeyType
{
    String,
    Boolean,
    Integer,

    /// <summary>A decimal number (e.g. a share 0..1), bounded by <see cref="ConfigKey.Minimum"/> and <see cref="ConfigKey.Maximum"/>.</summary>
    Number,
    Duration,

    /// <summary>An ISO-8601 timestamp with an offset or Z: <c>2026-11-26T02:00:00Z</c>.</summary>
    Timestamp,
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

    /// <summary>One of <see cref="ConfigKey.Values"/>.</summary>
    OneOf,

    /// <summary>The history store: <c>sqlite:PATH</c> (made absolute) or <c>postgres:CONNSTRING</c>.</summary>
    Store,

    /// <summary>A directory that must exist, relative to the config file.</summary>
    ExistingDirectory,

    /// <summary>An http(s) URL that may hold <c>{port}</c> and <c>{instance}</c>.</summary>
    TemplateUrl,
}

/// <summary>Which of a key's values are secrets, kept out of every output (docs/security.md, "What is a secret").</summary>
internal enum Secrecy
{
    /// <summary>Not a secret. In a URL the user-info password, and query values filled in from the environment, still are.</summary>
    None,

    /// <summary>What its <c>${VAR}</c> references filled in.</summary>
    Interpolated,

    /// <summary>
    /// The whole value (each value of a mapping, except literal values of headers that never carry
    /// credentials, such as Accept; the credential fields of a JSON body), and what its <c>${VAR}</c>
    /// references filled in.
    /// </summary>
    Whole,
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

    /// <summary>Which of its values are secrets; see <see cref="Config.Secrecy"/>.</summary>
    public Secrecy Secrecy { get; init; }

    /// <summary>Scope of the keys inside a Section, SectionList, SectionMap or SecretSource.</summary>
    public string? Nested { get; init; }

    /// <summary>The default, as documented.</summary>
    public string? Default { get; init; }

    /// <summary>A value to show in docs and hints, in YAML.</summary>
    public string? Example { get; init; }

    public int? Minimum { get; init; }

    public int? Maximum { get; init; }

    /// <summary>Duration keys: the shortest value allowed.</summary>
    public TimeSpan? MinimumDuration { get; init; }

    /// <summary>Duration keys: the longest value allowed (<see cref="ConfigLimits"/>).</summary>
    public TimeSpan? MaximumDuration { get; init; }

    /// <summary>StringMap keys: names differ by case (environment variables); otherwise names are case-insensitive (headers).</summary>
    public bool CaseSensitiveNames { get; init; }

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
    public const string Monitor = "monitor";
    public const string Maintenance = "maintenance";
    public const string Alert = "alert";
    public const string Validation = "validation";
    public const string Category = "category";

    private static readonly string[] TlsKinds = [TargetKinds.Http, TargetKinds.Tls, TargetKinds.Postgres, TargetKinds.Redis, TargetKinds.WebSocket, TargetKinds.Remote];
    private static readonly string[] ResolverKinds = [TargetKinds.Http, TargetKinds.Tls, TargetKinds.Tcp, TargetKinds.Dns, TargetKinds.Postgres, TargetKinds.Redis, TargetKinds.WebSocket, TargetKinds.Remote];
    private static readonly string[] UrlKinds = [TargetKinds.Http, TargetKinds.WebSocket, TargetKinds.Remote];
    private static readonly string[] HostKinds = [TargetKinds.Tls, TargetKinds.Tcp, TargetKinds.Dns];
    private static readonly string[] DatabaseKinds = [TargetKinds.Postgres, TargetKinds.Redis];
    private static readonly string[] Owners = ["infrastructure", "application"];
    private const string OwnerText = "instead of the side each error kind has by default (docs/attribution.md); other layers keep theirs.";

    public static IReadOnlyList<ConfigKey> All { get; } =
    [
        new(Root, "environment", KeyType.String, "Name of the environment the report is about; shown in every output.") { Example = "staging" },
        new(Root, "defaults", KeyType.Section, "Settings every target inherits.") { Nested = Defaults, Example = "{ timeout: 10s, concurrency: 64 }" },
        new(Root, "resolver", KeyType.String, "Resolve every host name through this DNS server (host:port, or an IP for port 53) instead of the system resolver.") { Format = KeyFormat.Resolver, Example = "\"127.0.0.1:5353\"" },
        new(Root, "targets", KeyType.SectionList, "The things to probe, each with a name and a kind.") { Nested = Target, Required = true },
        new(Root, "monitor", KeyType.Section, "Settings of faultline monitor: history store, flapping, retention, reminders and maintenance windows.") { Nested = Monitor, Example = "{ store: \"sqlite:./faultline.db\" }" },
        new(Root, "alerts", KeyType.SectionList, "Where faultline monitor sends incident notifications; targets name them in their alerts key.") { Nested = Alert, Example = "[{ name: ops, kind: webhook, url: \"http://127.0.0.1:9000/hook\" }]" },
        new(Root, "validation", KeyType.Section, "Settings of faultline validate: how many runs, and the pass rates overall and per category.") { Nested = Validation, Example = "{ minPassRate: 0.8, runs: 3 }" },

        new(Defaults, "timeout", KeyType.Duration, "Hard deadline of each target that sets no timeout of its own.") { Default = "10s", Example = "10s", MaximumDuration = ConfigLimits.MaxTimeout },
        new(Defaults, "concurrency", KeyType.Integer, "How many targets are probed at once.") { Default = "64", Minimum = 1, Maximum = 1024, Example = "64" },
        new(Defaults, "checkDeadline", KeyType.Duration, "How long a run waits for probe slots (defaults.concurrency): a target still waiting when it passes is reported not-started, never probed and never a root cause. A target that started keeps its own timeout, so a run ends within checkDeadline plus the longest timeout.") { Default = "1m", Example = "2m", MinimumDuration = TimeSpan.FromSeconds(1), MaximumDuration = ConfigLimits.MaxTimeout },
        new(Defaults, "owner", KeyType.String, "The side (infrastructure or application) of the configuration-layer findings (secrets, credentials, settings) of every target that sets no owner of its own, " + OwnerText) { Format = KeyFormat.OneOf, Values = Owners, Default = "by error kind", Example = "application" },

        new(Target, "name", KeyType.String, "Unique name of the target: letters, digits, '-', '_', '.', '/'.") { Required = true, Format = KeyFormat.TargetName, Example = "api" },
        new(Target, "kind", KeyType.String, "What to probe: " + string.Join(", ", TargetKinds.All) + ".") { Required = true, Format = KeyFormat.Kind, Values = TargetKinds.All, Example = "http" },
        new(Target, "critical", KeyType.Boolean, "A failing critical target makes the report unhealthy (exit 1); a non-critical one only degrades it.") { Default = "true", Example = "false" },
        new(Target, "category", KeyType.String, "Group name, for reports and --category.") { Default = "default", Example = "connectivity" },
        new(Target, "owner", KeyType.String, "The side (infrastructure or application) of this target's configuration-layer findings (secrets, credentials, settings), and on a remote target of its service's inside results, " + OwnerText) { Format = KeyFormat.OneOf, Values = Owners, Default = "defaults.owner", Example = "infrastructure" },
        new(Target, "conditions", KeyType.StringList, "Conditions that must hold, e.g. \"[STATUS] == 200\"; see docs/conditions.md.") { Format = KeyFormat.Condition, Example = "[\"[STATUS] == 200\", \"[RESPONSE_TIME] < 2s\"]" },
        new(Target, "dependsOn", KeyType.StringList, "Names of targets this one needs; used to pick the root cause.") { Format = KeyFormat.TargetName, Example = "[db-port]" },
        new(Target, "service", KeyType.String, "Name of the remote target of the service that serves this one: its failing inside components become this target's causes (inferred from the URL's origin when not set; see docs/attribution.md).") { Format = KeyFormat.TargetName, Example = "api" },
        new(Target, "timeout", KeyType.Duration, "This target's hard deadline.") { Default = "defaults.timeout", Example = "5s", MaximumDuration = ConfigLimits.MaxTimeout },
        new(Target, "interval", KeyType.Duration, "monitor: how often the target is probed (at least 1s).") { Default = "30s", Example = "10s", MinimumDuration = TimeSpan.FromSeconds(1), MaximumDuration = ConfigLimits.MaxInterval },
        new(Target, "failureThreshold", KeyType.Integer, "monitor: consecutive failures before an incident opens.") { Default = "3", Minimum = 1, Maximum = 100, Example = "3" },
        new(Target, "successThreshold", KeyType.Integer, "monitor: consecutive successes before an open incident resolves.") { Default = "2", Minimum = 1, Maximum = 100, Example = "2" },
        new(Target, "degradedAbove", KeyType.Duration, "monitor: a passing probe slower than this counts as degraded.") { Default = "never", Example = "1s", MaximumDuration = ConfigLimits.MaxTimeout },
        new(Target, "alerts", KeyType.StringList, "monitor: names of entries of the top-level alerts notified about this target's incidents.") { Format = KeyFormat.TargetName, Example = "[ops]" },
        new(Target, "tls", KeyType.Section, "TLS settings; system trust and the target's host name otherwise.") { Kinds = TlsKinds, Nested = Tls, Example = "{ caFile: ./ca.pem }" },
        new(Target, "resolver", KeyType.String, "DNS server for this target's names (host:port, or an IP for port 53); overrides the top-level resolver.") { Kinds = ResolverKinds, Format = KeyFormat.Resolver, Example = "\"127.0.0.1:5353\"" },

        new(Target, "url", KeyType.String, "Absolute URL: http:// or https:// to request (http), the service's /health/infrastructure (remote), ws:// or wss:// to upgrade (websocket).") { Kinds = UrlKinds, RequiredFor = UrlKinds, Format = KeyFormat.TargetUrl, Example = "https://api.example.test/health" },
        new(Target, "method", KeyType.String, "HTTP method.") { Kinds = [TargetKinds.Http], Format = KeyFormat.HttpMethod, Default = "GET", Example = "POST" },
        new(Target, "headers", KeyType.StringMap, "Request headers, name: value (websocket: headers of the upgrade request).") { Kinds = [TargetKinds.Http, TargetKinds.WebSocket], Example = "{ Authorization: \"Bearer ${TOKEN}\" }", Secrecy = Secrecy.Whole },
        new(Target, "body", KeyType.String, "Request body.") { Kinds = [TargetKinds.Http], Example = "'{\"ping\": true}'", Secrecy = Secrecy.Whole },
        new(Target, "followRedirects", KeyType.Boolean, "Follow 3xx redirects instead of reporting them.") { Kinds = [TargetKinds.Http], Default = "false", Example = "true" },
        new(Target, "maxBodyBytes", KeyType.Integer, "How many bytes of the response body are kept for conditions.") { Kinds = [TargetKinds.Http], Default = "65536", Minimum = 0, Maximum = 16 * 1024 * 1024, Example = "1048576" },

        new(Target, "host", KeyType.String, "Host name or IP address.") { Kinds = HostKinds, RequiredFor = HostKinds, Format = KeyFormat.Host, Example = "api.example.test" },
        new(Target, "port", KeyType.Integer, "TCP port.") { Kinds = [TargetKinds.Tls, TargetKinds.Tcp], RequiredFor = [TargetKinds.Tcp], Default = "443 for tls", Minimum = 1, Maximum = 65535, Example = "5432" },
        new(Target, "recordTypes", KeyType.StringList, "DNS record types to ask for.") { Kinds = [TargetKinds.Dns], Format = KeyFormat.RecordType, Values = ["A", "AAAA", "CNAME"], Default = "[A, AAAA]", Example = "[A]" },

        new(Target, "connectionString", KeyType.String, "Connection string, key=value or URL form (postgres://user:pass@host:5432/db, redis://:pass@host:6379/0, rediss://...).") { Kinds = DatabaseKinds, RequiredFor = DatabaseKinds, Example = "\"${DATABASE_URL}\"", Secrecy = Secrecy.Whole },
        new(Target, "query", KeyType.String, "Round-trip query.") { Kinds = [TargetKinds.Postgres], Default = "SELECT 1", Example = "\"SELECT 1\"" },
        new(Target, "write", KeyType.Boolean, "Also SET a key with expiry, so out-of-memory and read-only replicas show.") { Kinds = [TargetKinds.Redis], Default = "false", Example = "true" },

        new(Target, "source", KeyType.SecretSource, "Where secrets live: env (environment variables) or { dir: PATH } (one file per secret, named like it).") { Kinds = [TargetKinds.Secret], Nested = SecretDir, Default = "env", Example = "{ dir: /run/secrets }" },
        new(Target, "required", KeyType.StringList, "Names of secrets that must be present.") { Kinds = [TargetKinds.Secret], Format = KeyFormat.SecretName, Example = "[DATABASE_URL, JWT_SECRET]" },
        new(Target, "rules", KeyType.SectionMap, "Format rules per secret name.") { Kinds = [TargetKinds.Secret], Nested = SecretRule, Example = "{ JWT_SECRET: { minLength: 32 } }" },

        new(Target, "login", KeyType.Section, "Log in before the upgrade: POST body as JSON to url, take the token at the JSON path token and send it as Authorization: Bearer.") { Kinds = [TargetKinds.WebSocket], Nested = Login, Example = "{ url: https://api.example.test/api/login, body: { username: demo, password: \"${DEMO_PASSWORD}\" }, token: \"$.token\" }" },
        new(Target, "send", KeyType.Json, "The message sent once the socket is open: a mapping (sent as JSON) or a string (sent as written).") { Kinds = [TargetKinds.WebSocket], Example = "{ type: chat, text: \"what is 6 times 7?\" }", Secrecy = Secrecy.Whole },
        new(Target, "expect", KeyType.StringList, "Events expected after sending, in order; an item ending in ? is optional. The probe reads until every required event arrived.") { Kinds = [TargetKinds.WebSocket], Format = KeyFormat.EventName, Example = "[agent_started, agent_thinking?, agent_completed]" },
        new(Target, "eventField", KeyType.String, "The JSON field of each message that names its event.") { Kinds = [TargetKinds.WebSocket], Default = "type", Example = "event" },
        new(Target, "deadline", KeyType.Duration, "websocket: how long after sending the expected events may take; startup: how long each instance may take to answer its readyUrl. When the target sets no timeout, its timeout becomes deadline + defaults.timeout (websocket: for login, connect and upgrade; startup: for stopping the instances).") { Kinds = [TargetKinds.WebSocket, TargetKinds.Startup], Default = "the target's timeout", Example = "30s", MaximumDuration = ConfigLimits.MaxTimeout },

        new(Target, "apiKey", KeyType.String, "Sent as X-Api-Key to read the service's detail; a secret, never printed.") { Kinds = [TargetKinds.Remote], Example = "\"${FAULTLINE_API_KEY}\"", Secrecy = Secrecy.Whole },
        new(Target, "terminationFile", KeyType.String, "The service's termination-message file (one JSON line written when its startup fails), read when the service does not answer; relative to the config file.") { Kinds = [TargetKinds.Remote], Format = KeyFormat.FilePath, Example = "/var/run/api/termination-log" },

        new(Target, "of", KeyType.String, "The target whose probe runs in parallel; not itself a concurrency or startup target.") { Kinds = [TargetKinds.Concurrency], RequiredFor = [TargetKinds.Concurrency], Format = KeyFormat.TargetName, Example = "db" },
        new(Target, "parallel", KeyType.Integer, "How many probes of the target named in of run at once.") { Kinds = [TargetKinds.Concurrency], Default = "10", Minimum = 1, Maximum = 1000, Example = "50" },

        new(Target, "run", KeyType.String, "The service command line, run with /bin/sh -c in each instance; {port} and {instance} are replaced per instance.") { Kinds = [TargetKinds.Startup], RequiredFor = [TargetKinds.Startup], Example = "\"dotnet run --project samples/GoldenPath --urls http://127.0.0.1:{port}\"", Secrecy = Secrecy.Interpolated },
        new(Target, "env", KeyType.StringMap, "Environment variables of each instance; values may use {port} and {instance}.") { Kinds = [TargetKinds.Startup], CaseSensitiveNames = true, Example = "{ ASPNETCORE_URLS: \"http://127.0.0.1:{port}\" }", Secrecy = Secrecy.Whole },
        new(Target, "workingDir", KeyType.String, "Working directory of each instance; relative to the config file; must exist.") { Kinds = [TargetKinds.Startup], Format = KeyFormat.ExistingDirectory, Default = "the config file's directory", Example = "../samples/GoldenPath" },
        new(Target, "readyUrl", KeyType.String, "Absolute http:// or https:// URL that answers 2xx once an instance is ready; may use {port} and {instance}.") { Kinds = [TargetKinds.Startup], RequiredFor = [TargetKinds.Startup], Format = KeyFormat.TemplateUrl, Example = "\"http://127.0.0.1:{port}/health/ready\"" },
        new(Target, "instances", KeyType.Integer, "How many instances start at once.") { Kinds = [TargetKinds.Startup], Default = "1", Minimum = 1, Maximum = 100, Example = "5" },

        new(Monitor, "store", KeyType.String, "The history store: sqlite:PATH (relative to the config file) or postgres:CONNSTRING (key=value pairs). The --store flag wins.") { Format = KeyFormat.Store, Default = MonitorSpec.DefaultStore, Example = "\"postgres:Host=127.0.0.1;Database=faultline;Username=faultline;Password=${PGPASSWORD}\"", Secrecy = Secrecy.Interpolated },
        new(Monitor, "flapWindow", KeyType.Duration, "The window state changes are counted over to detect flapping.") { Default = "10m", Example = "10m", MaximumDuration = ConfigLimits.MaxInterval },
        new(Monitor, "flapChanges", KeyType.Integer, "State changes within flapWindow that make a target flapping.") { Default = "4", Minimum = 1, Maximum = 1000, Example = "4" },
        new(Monitor, "rawRetention", KeyType.Duration, "How long raw results are kept.") { Default = "14d", Example = "14d", MaximumDuration = ConfigLimits.MaxRetention },
        new(Monitor, "rollupRetention", KeyType.Duration, "How long hourly rollups are kept; at least rawRetention.") { Default = "400d", Example = "400d", MaximumDuration = ConfigLimits.MaxRetention },
        new(Monitor, "reminder", KeyType.Duration, "Announce an incident again after it has been open this long, and again each time.") { Default = "never", Example = "4h", MaximumDuration = ConfigLimits.MaxReminder },
        new(Monitor, "maintenance", KeyType.SectionList, "Maintenance windows: incidents still open and resolve, but no alert is sent.") { Nested = Maintenance, Example = "[{ from: 2026-11-26T02:00:00Z, until: 2026-11-26T04:00:00Z, targets: [db], reason: upgrade }]" },

        new(Maintenance, "from", KeyType.Timestamp, "Start of the window: an ISO-8601 timestamp with an offset or Z.") { Required = true, Example = "2026-11-26T02:00:00Z" },
        new(Maintenance, "until", KeyType.Timestamp, "End of the window, after from.") { Required = true, Example = "2026-11-26T04:00:00Z" },
        new(Maintenance, "targets", KeyType.StringList, "Names of the targets whose alerts are held.") { Format = KeyFormat.TargetName, Default = "every target", Example = "[db, api]" },
        new(Maintenance, "reason", KeyType.String, "Why, for the log and the status page.") { Example = "database upgrade" },

        new(Alert, "name", KeyType.String, "Unique name of the alert, used in a target's alerts: letters, digits, '-', '_', '.', '/'.") { Required = true, Format = KeyFormat.TargetName, Example = "ops" },
        new(Alert, "kind", KeyType.String, "How the notification is sent: " + string.Join(", ", AlertKinds.All) + ".") { Required = true, Format = KeyFormat.Kind, Values = AlertKinds.All, Example = "webhook" },
        new(Alert, "url", KeyType.String, "Absolute http:// or https:// URL the event is POSTed to as JSON.") { Kinds = [AlertKinds.Webhook], RequiredFor = [AlertKinds.Webhook], Format = KeyFormat.HttpUrl, Example = "\"http://127.0.0.1:9000/hook\"", Secrecy = Secrecy.Whole },
        new(Alert, "format", KeyType.String, "The JSON body: generic, or slack (a Slack-compatible text message).") { Kinds = [AlertKinds.Webhook], Format = KeyFormat.OneOf, Values = ["generic", "slack"], Default = "generic", Example = "slack" },
        new(Alert, "headers", KeyType.StringMap, "Extra request headers, name: value.") { Kinds = [AlertKinds.Webhook], Example = "{ Authorization: \"Bearer ${HOOK_TOKEN}\" }", Secrecy = Secrecy.Whole },
        new(Alert, "run", KeyType.String, "The command line, run with /bin/sh -c with the event in its environment.") { Kinds = [AlertKinds.Command], RequiredFor = [AlertKinds.Command], Example = "./notify.sh", Secrecy = Secrecy.Interpolated },
        new(Alert, "retries", KeyType.Integer, "Attempts after the first one when delivery fails (with exponential backoff).") { Default = "3", Minimum = 0, Maximum = 10, Example = "5" },
        new(Alert, "timeout", KeyType.Duration, "Deadline of one delivery attempt.") { Default = "10s", Example = "5s", MaximumDuration = ConfigLimits.MaxTimeout },

        new(Validation, "minPassRate", KeyType.Number, "Share of (target, run) outcomes that must pass overall, as a number from 0 to 1 (warn counts as pass).") { Minimum = 0, Maximum = 1, Default = "0.8", Example = "0.8" },
        new(Validation, "runs", KeyType.Integer, "How many times the whole suite runs; --runs overrides.") { Default = "3", Minimum = 1, Maximum = 1000, Example = "3" },
        new(Validation, "interval", KeyType.Duration, "Pause between runs; --interval overrides.") { Default = "5s", Example = "5s", MaximumDuration = ConfigLimits.MaxInterval },
        new(Validation, "categories", KeyType.SectionList, "Declared categories; when any are declared, every target's category must be one of them.") { Nested = Category, Example = "[{ name: database, critical: true, minPassRate: 1.0 }]" },

        new(Category, "name", KeyType.String, "The category, as targets write it in category: letters, digits, '-', '_', '.', '/'.") { Required = true, Format = KeyFormat.TargetName, Example = "database" },
        new(Category, "critical", KeyType.Boolean, "A critical category that misses its minPassRate fails the verdict.") { Default = "true", Example = "false" },
        new(Category, "minPassRate", KeyType.Number, "Share of this category's (target, run) outcomes that must pass, from 0 to 1.") { Minimum = 0, Maximum = 1, Default = "validation.minPassRate", Example = "1.0" },

        new(Tls, "caFile", KeyType.String, "PEM file of the CA certificates to trust instead of the system store; relative to the config file.") { Format = KeyFormat.ExistingFile, Example = "./ca.pem" },
        new(Tls, "serverName", KeyType.String, "Name sent in SNI and checked against the certificate.") { Format = KeyFormat.Host, Default = "the target's host", Example = "api.example.test" },
        new(Tls, "clientCertFile", KeyType.String, "PEM client certificate for mutual TLS; relative to the config file.") { Format = KeyFormat.ExistingFile, Example = "./client.pem" },
        new(Tls, "clientKeyFile", KeyType.String, "PEM private key of the client certificate; relative to the config file.") { Format = KeyFormat.ExistingFile, Example = "./client.key" },
        new(Tls, "insecure", KeyType.Boolean, "Do not fail on trust or name problems (they are still recorded).") { Default = "false", Example = "true" },

        new(Login, "url", KeyType.String, "Absolute http:// or https:// URL of the login endpoint.") { Required = true, Format = KeyFormat.HttpUrl, Example = "https://api.example.test/api/login" },
        new(Login, "body", KeyType.Json, "The request body: a mapping (sent as JSON) or a string (sent as written), with Content-Type application/json.") { Default = "{}", Example = "{ username: demo, password: \"${DEMO_PASSWORD}\" }", Secrecy = Secrecy.Whole },
        new(Login, "token", KeyType.String, "JSON path of the token in the response.") { Format = KeyFormat.JsonPath, Default = "$.token", Example = "\"$.data.accessToken\"" },
        new(Login, "headers", KeyType.StringMap, "Extra headers of the login request.") { Example = "{ X-Client: faultline }", Secrecy = Secrecy.Whole },

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
