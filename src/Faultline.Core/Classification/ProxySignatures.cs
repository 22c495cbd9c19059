using System.Globalization;
using System.Text.RegularExpressions;
using Faultline.Core.Model;

namespace Faultline.Core.Classification;

/// <summary>A response recognised as produced by a proxy, load balancer or gateway itself, not relayed from the application.</summary>
/// <param name="Proxy">The proxy's name: nginx, envoy, haproxy, traefik, aws-alb, google-cloud-lb, cloudflare, ...</param>
/// <param name="Meaning">What the proxy means by this response, in its own terms.</param>
/// <param name="Evidence">The facts the match rests on (headers, body markers, flags).</param>
public sealed record ProxyMatch(string Proxy, string Meaning, IReadOnlyList<string> Evidence);

/// <summary>
/// Faultline's table of the error responses that common proxies produce themselves. Headers alone
/// are weak (proxies add <c>Server</c> and <c>Via</c> to relayed responses too), so every entry
/// needs a body marker or a header that only the proxy's own replies carry. An application's 500
/// relayed through nginx keeps the application's body and is not matched.
/// </summary>
public static class ProxySignatures
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(200);

    /// <summary>The proxies this table knows, in matching order (most specific first).</summary>
    public static IReadOnlyList<string> Known => Table.Select(s => s.Proxy).ToList();

    private static readonly (string Marker, string Meaning)[] HaproxyPages =
    [
        ("No server is available to handle this request.", "no server available (every server in the backend is down or in maintenance)"),
        ("The server didn't respond in time.", "server response timeout (timeout server)"),
        ("The server returned an invalid or incomplete response.", "empty, invalid or incomplete upstream response"),
    ];

    private static readonly (int Code, string Text, string Meaning)[] TraefikBodies =
    [
        (502, "Bad Gateway", "EOF, connection refused or other network error towards the server"),
        (504, "Gateway Timeout", "network timeout towards the server"),
        (503, "no available server", "all servers of the service are unhealthy (or none is defined)"),
        (500, "no servers in the pool", "the load balancer has no servers in its pool"),
    ];

    private static readonly (string Marker, string Meaning)[] CloudRunTexts =
    [
        ("The request was aborted because there was no available instance", "no instance available to serve the request (scaling limit or cold-start capacity)"),
        ("HTTP response was malformed or connection to the instance had an error", "the instance closed the connection or sent a malformed response"),
        ("The request has been terminated because it has reached the maximum request timeout", "the request hit the service's maximum request timeout"),
    ];

    /// <summary>Envoy response-flag meaning, from its short flag.</summary>
    private static readonly Dictionary<string, string> EnvoyFlags = new(StringComparer.Ordinal)
    {
        ["UF"] = "upstream connect failure",
        ["UC"] = "upstream connection termination",
        ["UR"] = "upstream remote reset",
        ["LR"] = "connection local reset",
        ["UO"] = "upstream overflow (circuit breaker open)",
        ["UH"] = "no healthy upstream",
        ["UT"] = "upstream request timeout (route timeout)",
        ["UPE"] = "upstream protocol error",
    };

    /// <summary>Envoy's reset reasons (in local-reply bodies) and the response flag each corresponds to.</summary>
    private static readonly (string Reason, string Flag)[] EnvoyResetReasons =
    [
        ("local connection failure", "UF"),
        ("remote connection failure", "UF"),
        ("connection failure", "UF"),
        ("connection timeout", "UF"),
        ("connection termination", "UC"),
        ("local reset", "LR"),
        ("remote reset", "UR"),
        ("overflow", "UO"),
        ("protocol error", "UPE"),
    ];

    private static readonly IReadOnlyList<Signature> Table =
    [
        new("vercel",
            Description: "x-vercel-error header (set only on the platform's own error responses)",
            Identify: r => Header(r, "x-vercel-error") is { } code
                ? Hit(VercelMeaning(code, r.StatusCode), $"x-vercel-error: {code}", HeaderLine(r, "server"))
                : null),
        new("azure-front-door",
            Description: "x-azure-ref with an ErrorInfo header (Origin*), or the Front Door error page",
            Identify: r => Header(r, "x-azure-ref") is not null && (Header(r, "errorinfo") is not null || Body(r, "Our services aren't available right now"))
                ? Hit(FrontDoorMeaning(Header(r, "errorinfo"), r.StatusCode), HeaderLine(r, "errorinfo"), HeaderLine(r, "x-azure-ref"))
                : null),
        new("cloudflare",
            Description: "status 520-526 with server: cloudflare / cf-ray, or the cf-error-details page",
            Identify: r =>
            {
                var fromCloudflare = HeaderMatches(r, "server", "^cloudflare$") || Header(r, "cf-ray") is not null;
                var ownPage = Body(r, "id=\"cf-error-details\"") || Body(r, "/cdn-cgi/styles/");
                var ownCode = r.StatusCode is >= 520 and <= 526;
                return (fromCloudflare && ownCode) || (ownPage && r.StatusCode >= 500)
                    ? Hit(CloudflareMeaning(r.StatusCode), HeaderLine(r, "server"), HeaderLine(r, "cf-ray"), ownPage ? "body: Cloudflare error page (cf-error-details)" : null)
                    : null;
            }),
        new("ingress-nginx",
            Description: "body 'default backend - 404' (the ingress controller's default backend)",
            Identify: r => r.StatusCode == 404 && Body(r, "default backend - 404")
                ? Hit("no matching ingress rule: the request reached the default backend", HeaderLine(r, "server"), "body: default backend - 404")
                : null),
        new("azure-application-gateway",
            Description: "body '<hr><center>Microsoft-Azure-Application-Gateway/v2'",
            Identify: r => r.StatusCode >= 500 && Body(r, "<hr><center>Microsoft-Azure-Application-Gateway/v2")
                ? Hit(
                    r.StatusCode == 502 ? "empty backend pool, all backends unhealthy, or backend timeout" : "the gateway could not serve the request from a backend",
                    HeaderLine(r, "server"), "body: Application Gateway error page")
                : null),
        new("aws-alb",
            Description: "Server: awselb/2.0 with the load balancer's own <center><h1>NNN ...</h1></center> page (no nginx footer)",
            Identify: r => r.StatusCode >= 500 && HeaderMatches(r, "server", @"^awselb/2\.0$")
                && Body(r, "<center><h1>") && !Body(r, "<hr><center>nginx")
                ? Hit(AlbMeaning(r.StatusCode), HeaderLine(r, "server"), "body: load balancer error page")
                : null),
        new("nginx",
            Description: "body '<hr><center>nginx' (nginx's own error page)",
            Identify: r => r.StatusCode >= 500 && Body(r, "<hr><center>nginx")
                ? Hit(NginxMeaning(r.StatusCode), HeaderLine(r, "server"), "body: nginx error page (<hr><center>nginx)")
                : null),
        new("envoy",
            Description: "Envoy local-reply bodies (upstream connect error..., no healthy upstream, upstream request timeout) without x-envoy-upstream-service-time",
            Identify: IdentifyEnvoy),
        new("haproxy",
            Description: "HAProxy's built-in error pages (http_err_msgs)",
            Identify: r =>
            {
                if (r.StatusCode < 500)
                {
                    return null;
                }

                foreach (var (marker, meaning) in HaproxyPages)
                {
                    if (Body(r, marker))
                    {
                        return Hit(meaning, $"body: \"{marker}\"", HeaderLine(r, "server"));
                    }
                }

                return null;
            }),
        new("traefik",
            Description: "Traefik's plain-text bodies: 'Bad Gateway', 'Gateway Timeout', 'no available server', 'no servers in the pool'",
            Identify: r =>
            {
                var body = r.Body.Trim();
                foreach (var (code, text, meaning) in TraefikBodies)
                {
                    if (r.StatusCode == code && string.Equals(body, text, StringComparison.Ordinal) && Header(r, "server") is null)
                    {
                        return Hit(meaning, $"body: \"{text}\" (exact)", HeaderLine(r, "content-type"));
                    }
                }

                return null;
            }),
        new("google-cloud-lb",
            Description: "Google Front End error page: <title>502 Server Error</title> / 'The server encountered a temporary error'",
            Identify: r => r.StatusCode >= 500
                && (Body(r, "The server encountered a temporary error and could not complete your request")
                    || (Body(r, "Server Error</title>") && HeaderMatches(r, "via", "google")))
                ? Hit(GoogleMeaning(r.StatusCode), HeaderLine(r, "via"), "body: Google Front End error page (\"The server encountered a temporary error\")")
                : null),
        new("cloud-run",
            Description: "Cloud Run's request-serving error texts",
            Identify: r =>
            {
                if (r.StatusCode < 429)
                {
                    return null;
                }

                foreach (var (marker, meaning) in CloudRunTexts)
                {
                    if (Body(r, marker))
                    {
                        return Hit(meaning, $"body: \"{marker}\"");
                    }
                }

                return null;
            }),
        new("heroku",
            Description: "Heroku router's Application Error page",
            Identify: r => r.StatusCode >= 500 && (Body(r, "<title>Application Error</title>") || Body(r, "herokucdn.com/error-pages/application-error.html"))
                ? Hit(
                    "the router got no usable answer from the app: crashed (H10), request timeout 30 s (H12), connection closed without response (H13), no web dynos (H14), backend connect timeout/refused (H19/H21); the router log names the code",
                    HeaderLine(r, "via"), "body: Heroku Application Error page")
                : null),
    ];

    /// <summary>Recognise a response as produced by a proxy itself; null when it looks relayed from the application.</summary>
    public static ProxyMatch? Match(HttpObservation response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.StatusCode < 400)
        {
            return null;
        }

        foreach (var signature in Table)
        {
            if (signature.Identify(response) is { } found)
            {
                var evidence = found.Evidence.Where(e => !string.IsNullOrEmpty(e)).Select(e => e!).ToList();
                return new ProxyMatch(signature.Proxy, found.Meaning, evidence);
            }
        }

        return null;
    }

    /// <summary>One line per signature (proxy: what identifies it), for docs and diagnostics.</summary>
    internal static IReadOnlyList<string> Describe() => Table.Select(s => $"{s.Proxy}: {s.Description}").ToList();

    private static Found? IdentifyEnvoy(HttpObservation r)
    {
        if (r.StatusCode < 500 || Header(r, "x-envoy-upstream-service-time") is not null)
        {
            // x-envoy-upstream-service-time is only set when the upstream answered: a relayed response.
            return null;
        }

        var overloaded = string.Equals(Header(r, "x-envoy-overloaded"), "true", StringComparison.OrdinalIgnoreCase);
        string? flag = null;
        if (Body(r, "no healthy upstream"))
        {
            flag = "UH";
        }
        else if (Body(r, "upstream request timeout"))
        {
            flag = "UT";
        }
        else if (Body(r, "upstream connect error or disconnect/reset before headers"))
        {
            flag = "UF";
            var reasonAt = r.Body.IndexOf("reset reason:", StringComparison.OrdinalIgnoreCase);
            if (reasonAt >= 0)
            {
                var reason = r.Body[(reasonAt + "reset reason:".Length)..];
                foreach (var (text, f) in EnvoyResetReasons)
                {
                    if (reason.TrimStart().StartsWith(text, StringComparison.OrdinalIgnoreCase))
                    {
                        flag = f;
                        break;
                    }
                }
            }
        }
        else if (!overloaded)
        {
            return null;
        }

        if (overloaded)
        {
            flag = "UO";
        }

        if (Header(r, "x-envoy-response-flags") is { } headerFlags && EnvoyFlags.ContainsKey(headerFlags.Trim()))
        {
            flag = headerFlags.Trim();
        }

        var f2 = flag!;
        var meaning = $"{f2} = {EnvoyFlags[f2]}";
        var firstLine = r.Body.Split('\n', 2)[0].Trim();
        return Hit(
            meaning,
            HeaderLine(r, "server"),
            "x-envoy-upstream-service-time absent (a local reply, the upstream never answered)",
            overloaded ? "x-envoy-overloaded: true" : null,
            $"body: \"{Shorten(firstLine, 120)}\"");
    }

    private static string NginxMeaning(int status) => status switch
    {
        502 => "upstream refused, reset, invalid header, or no live upstream",
        503 => "limit_req/limit_conn rejection (nginx's own); behind ingress-nginx: the Service has no ready endpoints",
        504 => "upstream timed out",
        500 => "nginx internal error (configuration or resources)",
        _ => string.Create(CultureInfo.InvariantCulture, $"nginx produced this {status} itself"),
    };

    private static string AlbMeaning(int status) => status switch
    {
        502 => "target reset or closed the connection, sent a malformed response, failed the TLS handshake, or a Lambda error",
        503 => "no registered (healthy) targets",
        504 => "target timeout: connect timeout (10 s) or idle timeout",
        _ => string.Create(CultureInfo.InvariantCulture, $"the load balancer produced this {status} itself"),
    };

    private static string GoogleMeaning(int status) => status switch
    {
        502 => "failed_to_pick_backend (no healthy backend), failed_to_connect_to_backend, or backend_connection_closed_before_data_sent_to_client (backend keep-alive shorter than the LB's)",
        504 => "backend_timeout: the backend did not answer within the backend service timeout",
        _ => string.Create(CultureInfo.InvariantCulture, $"Google Front End produced this {status} itself (backend error)"),
    };

    private static string CloudflareMeaning(int status) => status switch
    {
        520 => "520: unknown or empty response from the origin",
        521 => "521: the origin refused the connection",
        522 => "522: connection to the origin timed out",
        523 => "523: the origin is unreachable",
        524 => "524: connected, but no HTTP response from the origin within ~100 s",
        525 => "525: TLS handshake with the origin failed",
        526 => "526: invalid origin certificate",
        _ => string.Create(CultureInfo.InvariantCulture, $"Cloudflare produced this {status} itself"),
    };

    private static string VercelMeaning(string code, int status) => code.Trim() switch
    {
        "NO_RESPONSE_FROM_FUNCTION" => "NO_RESPONSE_FROM_FUNCTION: the function returned no response",
        "FUNCTION_INVOCATION_FAILED" => "FUNCTION_INVOCATION_FAILED: the function crashed (read its logs)",
        "FUNCTION_THROTTLED" => "FUNCTION_THROTTLED: too many concurrent invocations",
        "FUNCTION_INVOCATION_TIMEOUT" => "FUNCTION_INVOCATION_TIMEOUT: the function exceeded its maximum duration",
        var other => string.Create(CultureInfo.InvariantCulture, $"{other}: platform error ({status})"),
    };

    private static string FrontDoorMeaning(string? errorInfo, int status) => errorInfo?.Trim() switch
    {
        "OriginInvalidResponse" => "OriginInvalidResponse: the origin refused the connection or returned an invalid response",
        "OriginTimeout" => "OriginTimeout: the origin did not answer in time (default 30 s)",
        null => string.Create(CultureInfo.InvariantCulture, $"Front Door produced this {status} itself"),
        var other => other + ": Front Door could not get an answer from the origin",
    };

    private static bool Body(HttpObservation r, string marker) => r.Body.Contains(marker, StringComparison.Ordinal);

    private static string? Header(HttpObservation r, string name)
    {
        if (r.Headers.TryGetValue(name, out var value))
        {
            return value;
        }

        foreach (var (key, v) in r.Headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return v;
            }
        }

        return null;
    }

    private static string? HeaderLine(HttpObservation r, string name)
    {
        foreach (var (key, value) in r.Headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return $"{key}: {Shorten(value, 80)}";
            }
        }

        return null;
    }

    private static bool HeaderMatches(HttpObservation r, string name, string pattern) =>
        Header(r, name) is { } value && Regex.IsMatch(value.Trim(), pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, RegexTimeout);

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    private static Found Hit(string meaning, params string?[] evidence) => new(meaning, evidence);

    private sealed record Found(string Meaning, IReadOnlyList<string?> Evidence);

    private sealed record Signature(string Proxy, string Description, Func<HttpObservation, Found?> Identify);
}
