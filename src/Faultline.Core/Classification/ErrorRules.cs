using System.Globalization;
using System.Text.RegularExpressions;
using Faultline.Core.Config;
using Faultline.Core.Model;

namespace Faultline.Core.Classification;

/// <summary>
/// One row of the error table: a probe error kind (optionally for one target kind) → layer, side,
/// an evidence template, a remedy template and, where the observation holds more facts, a function
/// adding them. Templates use the placeholders of <see cref="Facts.Fill"/>.
/// </summary>
internal sealed record ErrorRule(
    ErrorKind Kind,
    string? TargetKind,
    Layer Layer,
    Side Side,
    string Evidence,
    string Remedy,
    Func<Facts, ProbeError, IEnumerable<string?>>? More = null,
    Func<Facts, ProbeError, (Layer Layer, Side Side, string Remedy)?>? Refine = null,
    Func<Facts, ProbeError, string>? RemedyFor = null);

/// <summary>The error table. docs/attribution.md lists it row by row; keep the two in step.</summary>
internal static class ErrorRules
{
    private const string Postgres = TargetKinds.Postgres;
    private const string Redis = TargetKinds.Redis;

    public static IReadOnlyList<ErrorRule> All { get; } =
    [
        // DNS
        new(ErrorKind.DnsNxDomain, null, Layer.Dns, Side.Infrastructure,
            "name {host} does not exist at resolver {resolver} (NXDOMAIN)",
            "create the DNS record for {host}, or correct the host name in the configuration"),
        new(ErrorKind.DnsServFail, null, Layer.Dns, Side.Infrastructure,
            "resolver {resolver} answered SERVFAIL for {host}",
            "check the resolver and the zone's authoritative servers (broken delegation, DNSSEC failure, unreachable upstream)"),
        new(ErrorKind.DnsRefused, null, Layer.Dns, Side.Infrastructure,
            "resolver {resolver} refused the query for {host} ({code})",
            "use a resolver that serves this zone, or allow this client in the resolver's access list"),
        new(ErrorKind.DnsTimeout, null, Layer.Dns, Side.Infrastructure,
            "resolver {resolver} did not answer the query for {host} in time",
            "check that the resolver {resolver} runs and is reachable (UDP and TCP port 53 not filtered)"),
        new(ErrorKind.DnsNoAnswer, null, Layer.Dns, Side.Infrastructure,
            "{host} exists at resolver {resolver} but has no {types} record",
            "add the missing {types} record for {host}, or ask for the record type the name has"),
        new(ErrorKind.DnsMalformed, null, Layer.Dns, Side.Infrastructure,
            "resolver {resolver} sent an answer for {host} that could not be read ({code})",
            "check the resolver {resolver} and what sits between it and this host (a middlebox rewriting or cutting DNS packets, TCP port 53 blocked); ask another resolver to compare"),

        // Transport
        new(ErrorKind.ConnectionRefused, null, Layer.Network, Side.Infrastructure,
            "nothing listening on {endpoint} (connection refused)",
            "start the service on {endpoint}, or correct the port; check that it listens on the right interface",
            More: (f, _) => [f.AddressesLine()]),
        new(ErrorKind.ConnectionRefused, Postgres, Layer.Database, Side.Infrastructure,
            "nothing listening on {endpoint} (connection refused): the Postgres server is down or on another port",
            "start Postgres on {endpoint}, or correct the host and port of the connection string",
            More: (f, _) => [f.AddressesLine()]),
        new(ErrorKind.ConnectionRefused, Redis, Layer.Cache, Side.Infrastructure,
            "nothing listening on {endpoint} (connection refused): the Redis server is down or on another port",
            "start Redis on {endpoint}, or correct the host and port of the connection string",
            More: (f, _) => [f.AddressesLine()]),
        new(ErrorKind.ConnectTimeout, null, Layer.Network, Side.Infrastructure,
            "no answer to the connection attempt to {endpoint}: a filtered or blackholed path",
            "check firewall rules, security groups and routes between this host and {endpoint}",
            More: (f, _) => [f.AddressesLine()]),
        new(ErrorKind.ConnectTimeout, Postgres, Layer.Database, Side.Infrastructure,
            "no answer to the connection attempt to {endpoint}: a filtered or blackholed path to the database",
            "check the network path to the database (firewall, VPC connector, authorised networks) and that Postgres is up",
            More: (f, _) => [f.AddressesLine()]),
        new(ErrorKind.ConnectTimeout, Redis, Layer.Cache, Side.Infrastructure,
            "no answer to the connection attempt to {endpoint}: a filtered or blackholed path to the cache",
            "check the network path to Redis (firewall, VPC connector, authorised networks) and that Redis is up",
            More: (f, _) => [f.AddressesLine()]),
        new(ErrorKind.NetworkUnreachable, null, Layer.Network, Side.Infrastructure,
            "no route to {endpoint} (network unreachable)",
            "check routes, interfaces and VPC attachments between this host and {endpoint}",
            More: (f, _) => [f.AddressesLine()]),
        // A unix socket that is not there (e.g. Cloud SQL's /cloudsql/PROJECT:REGION:INSTANCE): the connection never left
        // this host and nothing reached the database, so unlike a refused connection it is the path, not the server.
        new(ErrorKind.SocketMissing, null, Layer.Network, Side.Infrastructure,
            "no socket at {endpoint}: the connection never left this host",
            "make the socket appear where the connection string points: attach the Cloud SQL instance to the service (Cloud Run --add-cloudsql-instances, or a Cloud SQL Auth Proxy with --unix-socket), or start the server or proxy that creates it; otherwise correct the socket directory and port of the connection string"),
        new(ErrorKind.ConnectionReset, null, Layer.Network, Side.Infrastructure,
            "{endpoint} reset the connection",
            "look for a firewall, proxy or idle timeout dropping connections, or a server process dying mid-request",
            More: (f, _) => [f.PhasesLine()]),
        new(ErrorKind.ConnectionReset, Postgres, Layer.Database, Side.Infrastructure,
            "the database at {endpoint} reset the connection",
            "the database path dropped the connection: check that Postgres is up and what sits in between (VPC connector, proxy, firewall idle timeout)",
            More: (f, _) => [f.PhasesLine()]),
        new(ErrorKind.ConnectionReset, Redis, Layer.Cache, Side.Infrastructure,
            "Redis at {endpoint} reset the connection",
            "the cache path dropped the connection: check that Redis is up and what sits in between (VPC connector, proxy, firewall idle timeout)",
            More: (f, _) => [f.PhasesLine()]),
        new(ErrorKind.ConnectionClosed, null, Layer.Network, Side.Infrastructure,
            "{endpoint} closed the connection before a complete answer",
            "check what listens on {endpoint}: a middlebox closing connections, or a server that crashed",
            More: (f, _) => [f.PhasesLine()]),
        new(ErrorKind.ConnectionClosed, TargetKinds.Http, Layer.Application, Side.Application,
            "{endpoint} accepted the connection and closed it without a complete HTTP response",
            "read the service's logs: it dropped the request (crash, or a plain-HTTP/HTTPS mismatch on the port)",
            More: (f, _) => [f.PhasesLine()]),
        new(ErrorKind.ConnectionClosed, Postgres, Layer.Database, Side.Infrastructure,
            "the database at {endpoint} closed the connection before answering",
            "read the Postgres log for this connection (backend crash, pg_hba rejection, or a proxy in the path closing it)"),
        new(ErrorKind.ConnectionClosed, Redis, Layer.Cache, Side.Infrastructure,
            "Redis at {endpoint} closed the connection before answering",
            "check Redis' maxclients and timeout settings and its log; a proxy in the path may close idle connections"),
        new(ErrorKind.ReadTimeout, null, Layer.Application, Side.Application,
            "connected to {endpoint}, but no answer arrived before the deadline",
            "the server accepted the connection but never answered: look for a hung or overloaded service",
            More: (f, _) => [f.PhasesLine()]),
        new(ErrorKind.ReadTimeout, TargetKinds.Http, Layer.Application, Side.Application,
            "connected to {endpoint}, but no HTTP response arrived before the deadline",
            "the service accepted the request and never answered: look for a hung handler, a blocked thread pool or a slow dependency in its logs",
            More: (f, _) => [f.PhasesLine()]),
        new(ErrorKind.ReadTimeout, Postgres, Layer.Database, Side.Infrastructure,
            "connected to the database at {endpoint}, but it did not answer before the deadline",
            "check the database's load, locks and connection queue (pg_stat_activity); it accepts connections but does not answer",
            More: (f, _) => [f.PhasesLine()]),
        new(ErrorKind.ReadTimeout, Redis, Layer.Cache, Side.Infrastructure,
            "connected to Redis at {endpoint}, but it did not answer before the deadline",
            "check Redis' load (SLOWLOG, blocking commands, persistence forks); it accepts connections but does not answer",
            More: (f, _) => [f.PhasesLine()]),
        new(ErrorKind.ConnectionClosed, TargetKinds.WebSocket, Layer.Application, Side.Application,
            "{endpoint} closed the WebSocket before the expected events arrived",
            "read the service's logs for this connection: its handler ended the socket early (an unhandled error, a crash, or a proxy's idle timeout shorter than the exchange)",
            More: (f, _) => WebSocketLines(f)),
        new(ErrorKind.ReadTimeout, TargetKinds.WebSocket, Layer.Application, Side.Application,
            "connected to {endpoint}, but the expected events did not all arrive before the deadline",
            "the service took the message but did not finish: the first missing event names where it stopped; look at that step and the dependencies it waits on",
            More: (f, _) => WebSocketLines(f)),
        new(ErrorKind.EventOutOfOrder, null, Layer.Application, Side.Application,
            "{endpoint} sent its events out of the expected order",
            "make the service emit its events in the documented order (or correct the order in expect)",
            More: (f, _) => WebSocketLines(f)),
        new(ErrorKind.RedirectRefused, null, Layer.Application, Side.Application,
            "{endpoint} redirected from https to http; the probe does not downgrade",
            "serve the resource over https (or correct the redirect rule of the service or its load balancer); point the target at the final https URL"),
        new(ErrorKind.RedirectLoop, null, Layer.Application, Side.Application,
            "{endpoint} redirects in a loop or without end",
            "correct the redirect rules of the service or its load balancer (a rewrite that matches its own target, an http↔https or trailing-slash rule applied twice)"),
        new(ErrorKind.UnexpectedStatus, null, Layer.Application, Side.Application,
            "{endpoint} answered with HTTP {code} where the probe needed another status",
            "read the service's logs for this request: it refused the step",
            More: (f, _) => f.Observation.Http is { } http ? ConditionRules.Response(f, http, null, readHealthBody: true).Evidence : [],
            Refine: (f, _) => f.Observation.Http is { } http && ConditionRules.Response(f, http, null, readHealthBody: true) is { } verdict
                ? (verdict.Layer, verdict.Side, verdict.Remedy)
                : null),
        new(ErrorKind.ProtocolError, null, Layer.Configuration, Side.Application,
            "{endpoint} does not speak the {kind} protocol",
            "check the port and the scheme (http vs https, TLS on or off) in the configuration"),

        // TLS
        new(ErrorKind.TlsExpired, null, Layer.Tls, Side.Infrastructure,
            "the certificate presented by {endpoint} has expired",
            "renew the certificate and deploy it to the endpoint (check the renewal job or certificate manager)",
            More: (f, _) => ExpiredLines(f)),
        new(ErrorKind.TlsNotYetValid, null, Layer.Tls, Side.Infrastructure,
            "the certificate presented by {endpoint} is not valid yet",
            "deploy a certificate that is valid now, or fix the clock of the host that issued it",
            More: (f, _) => NotYetValidLines(f)),
        new(ErrorKind.TlsNameMismatch, null, Layer.Tls, Side.Infrastructure,
            "certificate name mismatch",
            "issue a certificate covering the host name, or call the host name the certificate covers",
            More: (f, _) => [$"certificate covers {f.SansText()}; requested {f.RequestedName}", .. f.CertificateLines()]),
        new(ErrorKind.TlsUntrusted, null, Layer.Tls, Side.Infrastructure,
            "the certificate chain of {endpoint} does not lead to a trusted root",
            "serve the full chain (with intermediates), or for a private CA set tls.caFile to its CA certificate",
            More: (f, _) => f.CertificateLines()),
        new(ErrorKind.TlsHandshakeFailed, null, Layer.Tls, Side.Infrastructure,
            "TLS handshake with {endpoint} failed",
            "compare TLS versions and cipher suites on both sides, and check that the port speaks TLS",
            More: (f, _) => f.CertificateLines()),
        new(ErrorKind.TlsTimeout, null, Layer.Tls, Side.Infrastructure,
            "TLS handshake with {endpoint} did not finish before the deadline",
            "check the TLS listener (overloaded termination, or a middlebox dropping the ClientHello)",
            More: (f, _) => [f.PhasesLine()]),

        // Database. Rejected credentials are the platform's (it provisions the roles and the secret store, and
        // rotates them); a database name that does not exist is a setting of the service's connection string.
        new(ErrorKind.DatabaseAuthFailed, null, Layer.Configuration, Side.Infrastructure,
            "the database rejected the credentials ({code})",
            "make the database role and the secret the service reads agree (a password rotated on one side only, a role that was never provisioned); the connection string's user and password must name a role the database accepts"),
        new(ErrorKind.DatabaseTooManyConnections, null, Layer.Database, Side.Infrastructure,
            "max_connections exhausted ({code})",
            "shrink the connection pools of the services (Maximum Pool Size × instances) or raise max_connections, and look for leaked connections",
            More: (f, _) => [HeadroomLine(f)]),
        new(ErrorKind.DatabaseNotFound, null, Layer.Configuration, Side.Application,
            "the database named in the connection string does not exist ({code})",
            "create the database, or correct the database name in the connection string"),
        new(ErrorKind.DatabaseUnavailable, null, Layer.Database, Side.Infrastructure,
            "the database server is starting up, shutting down or in recovery ({code})",
            "wait for the server to finish starting or recovering, and read its log if it does not"),
        new(ErrorKind.DatabaseSqlError, null, Layer.Application, Side.Application,
            "the probe query failed with SQL error {code}",
            "fix the query or the schema it expects",
            RemedyFor: (_, e) => SqlRemedy(e.Code)),

        // A service's own connection pool, full with requests waiting (reported by the service, never by a probe: the
        // probe opens its own unpooled connection). The database had room for that probe connection, so the wait is in
        // the service: its concurrency, its queries or its pool size.
        new(ErrorKind.PoolExhausted, null, Layer.Database, Side.Application,
            "every connection of the service's pool for {name} is busy and requests wait for one",
            "find what holds the connections (slow queries, a transaction left open, a connection never returned) or raise the pool's maximum (Faultline:Pools:{name}:MaxSize), keeping instances × maximum under the database's max_connections"),

        // Cache
        new(ErrorKind.CacheAuthFailed, null, Layer.Configuration, Side.Infrastructure,
            "Redis rejected the credentials ({code})",
            "make the password (and ACL user) Redis expects and the secret the service reads agree; the connection string must carry what Redis expects"),
        new(ErrorKind.CacheOutOfMemory, null, Layer.Cache, Side.Infrastructure,
            "Redis refused a write: used memory reached maxmemory (OOM)",
            "raise maxmemory or choose an eviction policy (maxmemory-policy), and look for keys without expiry",
            More: (f, _) => [MemoryLine(f)]),
        new(ErrorKind.CacheReadOnly, null, Layer.Cache, Side.Infrastructure,
            "Redis refused a write: connected to a read-only replica (READONLY)",
            "point the connection at the primary (or at the sentinel/cluster endpoint that follows failovers)",
            More: (f, _) => [f.Observation.Cache?.Role is { } role ? $"role: {role}" : null]),
        new(ErrorKind.CacheError, null, Layer.Cache, Side.Infrastructure,
            "Redis answered with an error ({code})",
            "read the Redis error and the server's log"),

        // Configuration: a secret absent from the deployment's secret source is the platform's (it provisions
        // the store); a value present but breaking the service's own rules, or a setting of its own, is the service's.
        new(ErrorKind.SecretMissing, null, Layer.Configuration, Side.Infrastructure,
            "a required secret is missing",
            "provide the missing secrets to the service (secret store mount or environment) and grant its identity access to them",
            More: (f, _) => SecretLines(f, missing: true)),
        new(ErrorKind.SecretInvalid, null, Layer.Configuration, Side.Application,
            "a secret breaks its format rule",
            "correct the secret's value so it passes its rule (the rule names what is expected)",
            More: (f, _) => SecretLines(f, missing: false)),
        new(ErrorKind.ConfigInvalid, null, Layer.Configuration, Side.Application,
            "target {name} has an unusable setting",
            "correct the setting named above in the configuration"),

        // Timeouts without a phase, cancellation, internal errors
        new(ErrorKind.Timeout, null, Layer.Unknown, Side.Infrastructure,
            "no result from {endpoint} within the target's deadline (phase unknown)",
            "raise the target's timeout if the service is just slow, otherwise probe its layers one by one (dns, tcp, tls) to see where it stops",
            More: (f, _) => [f.PhasesLine()],
            Refine: (f, _) => f.Kind == TargetKinds.Http && f.Observation.Connected
                ? (Layer.Application, Side.Application, "the service accepted the connection but did not finish answering: look for a hung handler or a slow dependency")
                : null),
        new(ErrorKind.Timeout, Postgres, Layer.Database, Side.Infrastructure,
            "no result from the database at {endpoint} within the target's deadline",
            "check the network path to the database and its load; probe tcp to {endpoint} to see whether connecting is the slow part"),
        new(ErrorKind.Timeout, Redis, Layer.Cache, Side.Infrastructure,
            "no result from Redis at {endpoint} within the target's deadline",
            "check the network path to Redis and its load; probe tcp to {endpoint} to see whether connecting is the slow part"),
        new(ErrorKind.Timeout, TargetKinds.Dns, Layer.Dns, Side.Infrastructure,
            "no answer for {host} from resolver {resolver} within the target's deadline",
            "check that the resolver {resolver} runs and is reachable"),
        new(ErrorKind.Timeout, TargetKinds.Tcp, Layer.Network, Side.Infrastructure,
            "no connection to {endpoint} within the target's deadline",
            "check firewall rules and routes between this host and {endpoint}"),
        new(ErrorKind.Timeout, TargetKinds.Tls, Layer.Tls, Side.Infrastructure,
            "no TLS handshake with {endpoint} within the target's deadline",
            "check the TLS listener on {endpoint} and the path to it"),
        new(ErrorKind.Cancelled, null, Layer.Unknown, Side.Infrastructure,
            "the run was cancelled before this target finished",
            "run the check again to completion"),
        new(ErrorKind.NotStarted, null, Layer.Unknown, Side.Infrastructure,
            "the check's deadline passed before this target got a probe slot; it was not probed",
            "raise defaults.checkDeadline or defaults.concurrency, or give the targets that held the slots shorter timeouts"),
        new(ErrorKind.Internal, null, Layer.Unknown, Side.Infrastructure,
            "Faultline failed while probing this target",
            "run with --verbose and report the log to the Faultline maintainers; the target itself may be fine"),
    ];

    private static readonly Dictionary<(ErrorKind, string?), ErrorRule> Index = All.ToDictionary(r => (r.Kind, r.TargetKind));

    public static ErrorRule Find(ErrorKind kind, string targetKind) =>
        Index.TryGetValue((kind, targetKind), out var specific) ? specific
        : Index.TryGetValue((kind, null), out var general) ? general
        : throw new InvalidOperationException($"no classification rule for error kind {kind.Wire()}");

    public static Model.Classification Classify(Facts facts, ProbeError error)
    {
        var rule = Find(error.Kind, facts.Kind);
        var layer = rule.Layer;
        var side = rule.Side;
        var remedy = rule.RemedyFor?.Invoke(facts, error) ?? facts.Fill(rule.Remedy, error);
        if (rule.Refine?.Invoke(facts, error) is { } refined)
        {
            (layer, side, remedy) = refined;
        }

        var evidence = new List<string> { facts.Fill(rule.Evidence, error), error.Message };
        if (error.Code is { } code && !evidence.Any(e => e.Contains(code, StringComparison.OrdinalIgnoreCase)))
        {
            evidence.Add($"code: {code}");
        }

        if (rule.More is { } more)
        {
            evidence.AddRange(more(facts, error).OfType<string>());
        }

        return new Model.Classification(layer, side, Evidence.Clean(evidence), remedy);
    }

    /// <summary>Which events arrived (with latencies), which are missing, and how the socket closed.</summary>
    internal static IEnumerable<string?> WebSocketLines(Facts f)
    {
        if (f.Observation.WebSocket is not { } ws)
        {
            yield break;
        }

        var arrived = ws.Events.Where(e => e.Expected).ToList();
        yield return arrived.Count == 0
            ? (ws.Sent ? "no expected event arrived after the message was sent" : "the message was not sent")
            : "arrived: " + string.Join(", ", arrived.Take(12).Select(e => $"{e.Name} ({Facts.Ms(e.LatencyMs)})"));
        if (ws.Missing.Count > 0)
        {
            yield return "missing: " + string.Join(", ", ws.Missing);
        }

        if (ws.CloseStatus is { } close)
        {
            yield return ws.CloseDescription is { Length: > 0 } description ? $"close: {close} ({Facts.OneLine(description, 80)})" : $"close: {close}";
        }
    }

    private static IEnumerable<string?> ExpiredLines(Facts f)
    {
        if (f.Observation.Tls?.Leaf is { } leaf)
        {
            yield return $"certificate {leaf.Subject} expired on {Facts.Date(leaf.NotAfter)}";
        }

        foreach (var line in f.CertificateLines())
        {
            yield return line;
        }
    }

    private static IEnumerable<string?> NotYetValidLines(Facts f)
    {
        if (f.Observation.Tls?.Leaf is { } leaf)
        {
            yield return $"certificate {leaf.Subject} is valid only from {Facts.Date(leaf.NotBefore)}";
        }

        foreach (var line in f.CertificateLines())
        {
            yield return line;
        }
    }

    internal static string? HeadroomLine(Facts f)
    {
        if (f.Observation.Database is not { } db || db.MaxConnections is not { } max)
        {
            return null;
        }

        var reserved = db.ReservedConnections is { } r and > 0 ? string.Create(CultureInfo.InvariantCulture, $", {r} reserved") : string.Empty;
        return db.ConnectionsInUse is { } used
            ? string.Create(CultureInfo.InvariantCulture, $"connections in use {used} of max_connections {max}{reserved}")
            : string.Create(CultureInfo.InvariantCulture, $"max_connections {max}{reserved}");
    }

    internal static string? MemoryLine(Facts f)
    {
        if (f.Observation.Cache is not { } cache || cache.UsedMemoryBytes is not { } used)
        {
            return null;
        }

        return cache.MaxMemoryBytes is { } max and > 0
            ? $"used_memory {Facts.Bytes(used)} of maxmemory {Facts.Bytes(max)}"
            : $"used_memory {Facts.Bytes(used)} (no maxmemory set)";
    }

    private static IEnumerable<string?> SecretLines(Facts f, bool missing)
    {
        if (f.Observation.Secrets is not { } secrets)
        {
            yield break;
        }

        foreach (var entry in secrets.Entries)
        {
            if (missing && entry.Required && !entry.Present)
            {
                yield return $"required secret {entry.Name} is absent from {secrets.Source}";
            }

            if (!missing && entry.Present)
            {
                foreach (var rule in entry.Rules.Where(r => !r.Ok))
                {
                    yield return $"{entry.Name}: rule {rule.Rule} failed ({rule.Detail})";
                }
            }
        }
    }

    private static string SqlRemedy(string? sqlState) => sqlState switch
    {
        "42P01" => "missing table: run the database migrations (or point the service at the migrated database)",
        "42703" => "missing column: run the database migrations that add it",
        "42883" => "missing function or extension: run the migrations or CREATE EXTENSION",
        "3F000" => "missing schema: run the migrations or fix search_path",
        "42501" => "the role lacks a privilege: GRANT it to the service's role",
        "42601" => "syntax error in the query: fix the query",
        _ => "fix the query or the schema it expects (run pending migrations)",
    };
}

/// <summary>
/// Evidence hygiene shared by every rule: no blanks, no repeats, a bounded count, and credentials
/// masked wherever a line quotes a connection string (<c>scheme://user:password@</c>,
/// <c>Password=...</c>) — a second line of defence behind the runner's redactor.
/// </summary>
internal static partial class Evidence
{
    public const int MaxLines = 8;

    public static string Scrub(string line)
    {
        line = UrlPassword().Replace(line, "${prefix}***@");
        return KeyValuePassword().Replace(line, "${key}=***");
    }

    [GeneratedRegex(@"(?<prefix>[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 200)]
    private static partial Regex UrlPassword();

    [GeneratedRegex(@"(?<key>\b(?:password|pwd|passwd|pass|secret|token|api[_-]?key)\b)\s*=\s*(?:""[^""]*""|'[^']*'|[^;\s&,]+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 200)]
    private static partial Regex KeyValuePassword();

    public static IReadOnlyList<string> Clean(IEnumerable<string?> lines)
    {
        var result = new List<string>();
        foreach (var line in lines)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var trimmed = Scrub(line.Trim());
            if (result.Any(existing => string.Equals(existing, trimmed, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            result.Add(trimmed);
            if (result.Count == MaxLines)
            {
                break;
            }
        }

        return result;
    }
}
