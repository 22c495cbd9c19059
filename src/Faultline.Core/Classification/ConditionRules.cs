using System.Globalization;
using Faultline.Core.Config;
using Faultline.Core.Model;

namespace Faultline.Core.Classification;

/// <summary>
/// Classifies a target whose probe completed but whose conditions failed: HTTP responses (proxy
/// signatures, health bodies, status classes) and the placeholders that point at a layer
/// ([CERT_EXPIRES_IN] → tls, [DNS_RCODE]/[IP] → dns, [RESPONSE_TIME] → the slowest phase, [CONNECTED] → network).
/// </summary>
internal static class ConditionRules
{
    /// <summary>The layer a target kind belongs to when nothing more specific is known.</summary>
    public static IReadOnlyDictionary<string, Layer> KindLayers { get; } = new Dictionary<string, Layer>(StringComparer.Ordinal)
    {
        [TargetKinds.Http] = Layer.Application,
        [TargetKinds.Tls] = Layer.Tls,
        [TargetKinds.Dns] = Layer.Dns,
        [TargetKinds.Tcp] = Layer.Network,
        [TargetKinds.Postgres] = Layer.Database,
        [TargetKinds.Redis] = Layer.Cache,
        [TargetKinds.Secret] = Layer.Configuration,
        [TargetKinds.WebSocket] = Layer.Application,
        [TargetKinds.Remote] = Layer.Application,
    };

    /// <summary>Placeholders that reach a verdict on their own, ranked before threshold placeholders when several fail.</summary>
    private static readonly HashSet<string> HardPlaceholders = new(StringComparer.Ordinal) { "CONNECTED", "DNS_RCODE", "IP", "STATUS", "BODY", "HEADER" };

    public static Layer KindLayer(string kind) => KindLayers.TryGetValue(kind, out var layer) ? layer : Layer.Unknown;

    public static Model.Classification Classify(Facts facts, IReadOnlyList<ConditionResult> failed)
    {
        var candidates = failed
            .Select((condition, index) => (condition, index, placeholder: Placeholder(condition.Expr), verdict: ForCondition(facts, condition)))
            .OrderBy(c => HardPlaceholders.Contains(c.placeholder) ? 0 : 1)
            .ThenBy(c => HealthBody.RootCauseRank(c.verdict.Layer))
            .ThenBy(c => c.index)
            .ToList();

        var chosen = candidates[0];
        var evidence = new List<string?>(chosen.verdict.Evidence);
        foreach (var other in candidates.Skip(1))
        {
            evidence.Add($"also failed: {other.condition.Expr} (actual: {other.condition.Actual ?? "none"})");
        }

        return chosen.verdict with { Evidence = Evidence.Clean(evidence) };
    }

    /// <summary>The placeholder name of a condition expression: <c>[HEADER:Server] == x</c> → <c>HEADER</c>.</summary>
    public static string Placeholder(string expr)
    {
        var text = expr.TrimStart();
        if (!text.StartsWith('['))
        {
            return string.Empty;
        }

        var end = text.IndexOfAny([']', ':']);
        return end > 1 ? text[1..end].Trim().ToUpperInvariant() : string.Empty;
    }

    private static Model.Classification ForCondition(Facts facts, ConditionResult condition)
    {
        var failedLine = $"condition {condition.Expr} failed (actual: {condition.Actual ?? "none"})";
        switch (Placeholder(condition.Expr))
        {
            case "CERT_EXPIRES_IN":
                return new(Layer.Tls, Side.Infrastructure, Evidence.Clean([ExpiryLine(condition), .. facts.CertificateLines()]),
                    "renew the certificate before it expires, and check that automatic renewal runs");
            case "DNS_RCODE":
                return new(Layer.Dns, Side.Infrastructure, Evidence.Clean([
                    $"resolver {facts.Resolver} answered {condition.Actual ?? "nothing"} for {facts.Host}", failedLine, AnswersLine(facts)]),
                    "fix the DNS records of the name at its authoritative servers, or the resolver configuration");
            case "IP":
                return new(Layer.Dns, Side.Infrastructure, Evidence.Clean([
                    $"{facts.Host} resolved to {condition.Actual ?? "no address"} at resolver {facts.Resolver}", failedLine, AnswersLine(facts)]),
                    "point the DNS record of the name at the expected address (or update the condition after a planned move)");
            case "CONNECTED":
                return new(Layer.Network, Side.Infrastructure, Evidence.Clean([$"no connection to {facts.Endpoint}", failedLine, facts.PhasesLine()]),
                    "check that the service listens on {endpoint} and that the path to it is open".Replace("{endpoint}", facts.Endpoint, StringComparison.Ordinal));
            case "RESPONSE_TIME":
                return Slow(facts, condition);
            default:
                if (facts.Observation.Http is { } http)
                {
                    return Response(facts, http, failedLine, readHealthBody: Placeholder(condition.Expr) is "STATUS" or "BODY");
                }

                var layer = KindLayer(facts.Kind);
                return new(layer, HealthBody.DefaultSide(layer), Evidence.Clean([failedLine]),
                    "the target answered, but not as the condition expects: fix the target (or the condition)");
        }
    }

    /// <summary>
    /// Where an HTTP response points: a proxy's own error page → proxy; a health body naming a failing
    /// dependency (when <paramref name="readHealthBody"/>) → that dependency; 5xx → application;
    /// 401/403/407 → configuration (credentials); 404 → application (route); other statuses → application.
    /// </summary>
    internal static Model.Classification Response(Facts facts, HttpObservation http, string? failedLine, bool readHealthBody)
    {
        var status = http.StatusCode;
        var statusText = StatusText(http);
        var server = HeaderLine(http, "server");

        if (status >= 400 && ProxySignatures.Match(http) is { } proxy)
        {
            var lines = new List<string?>
            {
                $"{statusText} produced by {proxy.Proxy} itself, not relayed from the application",
                $"{proxy.Proxy}: {proxy.Meaning}",
            };
            lines.AddRange(proxy.Evidence);
            return new(Layer.Proxy, Side.Infrastructure, Evidence.Clean(lines), ProxyRemedy(proxy.Proxy, status));
        }

        if (readHealthBody && HealthBody.FailingDependencies(http.Body) is { Count: > 0 } dependencies)
        {
            var first = dependencies[0];
            var lines = new List<string?>
            {
                $"{statusText}: the service reports its dependency {first.Name} as {first.Status} ({first.Layer.Wire()})",
                first.Detail is null ? null : $"{first.Name}: {first.Detail}",
            };
            lines.AddRange(dependencies.Skip(1).Select(d => $"also failing: {d.Name} ({d.Status}, {d.Layer.Wire()})"));
            lines.Add(failedLine);
            return new(first.Layer, first.Side, Evidence.Clean(lines), DependencyRemedy(first));
        }

        if (status >= 500)
        {
            return new(Layer.Application, Side.Application, Evidence.Clean([
                    $"{statusText} from the application (no proxy signature in the response)",
                    server,
                    BodyLine(http),
                ]),
                "read the service's logs for this request: the application produced the error itself");
        }

        if (status is 401 or 403 or 407)
        {
            return new(Layer.Configuration, Side.Application, Evidence.Clean([
                    $"{statusText}: the credentials the probe sent were rejected (or none were sent)",
                    HeaderLine(http, "www-authenticate"),
                    failedLine,
                ]),
                "set the credentials in the target's headers, or fix the service's authentication settings for this caller");
        }

        if (status == 404)
        {
            return new(Layer.Application, Side.Application, Evidence.Clean([
                    $"{statusText}: the service has no route for {Path(facts)}",
                    server,
                    failedLine,
                ]),
                "check the URL path in the configuration against the routes of the deployed version");
        }

        if (status >= 400)
        {
            return new(Layer.Application, Side.Application, Evidence.Clean([$"{statusText} from the application", failedLine, BodyLine(http)]),
                "read the service's logs: it rejected the probe's request");
        }

        if (status is >= 300 and < 400)
        {
            return new(Layer.Application, Side.Application, Evidence.Clean([$"{statusText}", HeaderLine(http, "location"), failedLine]),
                "call the final URL, or set followRedirects: true on the target");
        }

        return new(Layer.Application, Side.Application, Evidence.Clean([failedLine, statusText, BodyLine(http)]),
            "the service answered, but not as the condition expects: fix the endpoint's response (or the condition)");
    }

    private static Model.Classification Slow(Facts facts, ConditionResult condition)
    {
        var lines = new List<string?> { $"response took {condition.Actual ?? "unknown"}, wanted {Wanted(condition.Expr)}" };
        var phases = facts.PhaseList();
        Layer layer;
        string remedy;
        if (phases.Count > 0)
        {
            var slowest = phases.MaxBy(p => p.Ms);
            lines.Add($"slowest phase: {slowest.Name} {Facts.Ms(slowest.Ms)}");
            lines.Add(facts.PhasesLine());
            (layer, remedy) = slowest.Name switch
            {
                "dns" => (Layer.Dns, "speed up name resolution: a closer or caching resolver, or fix a resolver that times out before answering"),
                "connect" => (Layer.Network, "look at the network path: latency, packet loss, or a full accept queue on the server"),
                "tls" => (Layer.Tls, "look at TLS termination: overloaded terminator, long chain, or OCSP fetches"),
                "transfer" when facts.Kind == TargetKinds.WebSocket => (Layer.Application, "the service took long to stream its events: their latencies show which step was slow"),
                "transfer" => (Layer.Network, "look at bandwidth and the response size; the body took longest to arrive"),
                _ => (facts.Kind == TargetKinds.Http ? Layer.Application : KindLayer(facts.Kind),
                      "the server took long to produce its answer: profile the endpoint and its dependencies"),
            };
        }
        else if (facts.Observation.Database?.QueryMs is { } queryMs)
        {
            lines.Add($"query round trip {Facts.Ms(queryMs)}");
            layer = Layer.Database;
            remedy = "look at the database's load, locks and the query round trip";
        }
        else
        {
            layer = KindLayer(facts.Kind);
            remedy = "find the slow part by probing the layers separately (dns, tcp, tls)";
        }

        return new(layer, HealthBody.DefaultSide(layer), Evidence.Clean(lines), remedy);
    }

    private static string ExpiryLine(ConditionResult condition)
    {
        var actual = condition.Actual ?? string.Empty;
        var negative = actual.StartsWith('-');
        if (Durations.TryParse(negative ? actual[1..] : actual, out var span))
        {
            return negative
                ? $"certificate expired {Durations.Describe(span)} ago, wanted {Wanted(condition.Expr)}"
                : $"certificate expires in {Durations.Describe(span)}, wanted {Wanted(condition.Expr)}";
        }

        return $"certificate expiry {actual}, wanted {Wanted(condition.Expr)}";
    }

    /// <summary>The operator and literal of an expression: <c>[CERT_EXPIRES_IN] &gt; 14d</c> → <c>&gt; 14d</c>.</summary>
    private static string Wanted(string expr)
    {
        var end = expr.IndexOf(']', StringComparison.Ordinal);
        return end >= 0 && end + 1 < expr.Length ? expr[(end + 1)..].Trim() : expr;
    }

    /// <summary>The first answers; how many more came, and how many of those the probe did not keep.</summary>
    private static string? AnswersLine(Facts facts)
    {
        if (facts.Observation.Dns is not { Answers.Count: > 0 } dns)
        {
            return null;
        }

        const int Shown = 4;
        var line = "answers: " + string.Join(", ", dns.Answers.Take(Shown).Select(a => $"{a.Type} {a.Value}"));
        var more = dns.Answers.Count + dns.AnswersDropped - Shown;
        if (more > 0)
        {
            line += string.Create(CultureInfo.InvariantCulture, $" and {more} more");
        }

        return dns.AnswersDropped > 0
            ? line + string.Create(CultureInfo.InvariantCulture, $" ({dns.AnswersDropped} not kept: the result keeps the first {dns.Answers.Count})")
            : line;
    }

    private static string StatusText(HttpObservation http) =>
        string.IsNullOrEmpty(http.ReasonPhrase)
            ? string.Create(CultureInfo.InvariantCulture, $"HTTP {http.StatusCode}")
            : string.Create(CultureInfo.InvariantCulture, $"HTTP {http.StatusCode} {http.ReasonPhrase}");

    private static string? HeaderLine(HttpObservation http, string name)
    {
        foreach (var (key, value) in http.Headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return $"{key}: {Facts.OneLine(value, 80)}";
            }
        }

        return null;
    }

    private static string? BodyLine(HttpObservation http) =>
        string.IsNullOrWhiteSpace(http.Body) ? null : "body: " + Facts.OneLine(http.Body, 160);

    private static string Path(Facts facts) =>
        facts.Target.Url is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.AbsolutePath : facts.Endpoint;

    private static string ProxyRemedy(string proxy, int status) => status switch
    {
        404 => $"add or fix the {proxy} routing rule (ingress) for this host and path",
        525 or 526 => $"fix TLS between {proxy} and the origin: a valid certificate on the origin, and matching TLS settings",
        504 or 522 or 524 => $"the backend behind {proxy} is too slow or unreachable: check its health and latency, and {proxy}'s upstream timeout",
        _ => $"{proxy} has no working backend: check that the backend runs, listens on the address and port {proxy} targets, and passes its health check",
    };

    private static string DependencyRemedy(FailingDependency dependency)
    {
        var probe = dependency.Layer switch
        {
            Layer.Database => "a postgres target",
            Layer.Cache => "a redis target",
            Layer.Dns => "a dns target",
            Layer.Tls => "a tls target",
            Layer.Network => "a tcp target",
            Layer.Configuration => "a secret target",
            _ => "a target",
        };
        return $"fix {dependency.Name}, which the service reports {dependency.Status}; add {probe} for it to see the cause from outside";
    }
}
