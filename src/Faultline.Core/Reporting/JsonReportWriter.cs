using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Faultline.Core.Model;

namespace Faultline.Core.Reporting;

/// <summary>
/// The JSON report, <c>schemaVersion: 1</c>, as specified in docs/report.md: camelCase names,
/// lowercase status/layer/side words, <c>layer</c>/<c>side</c> null on a pass, only the phases that
/// applied. Each result also carries <c>details</c> (protocol facts) and <c>warnings</c>. Bodies are
/// left out except a bounded excerpt on failed HTTP results; headers are limited to a safe subset.
/// </summary>
public sealed class JsonReportWriter : IReportWriter
{
    /// <summary>At most this many characters of a failed response's body appear, under <c>details.http.bodyExcerpt</c>.</summary>
    public const int BodyExcerptLength = 512;

    /// <summary>Response headers worth keeping (proxy detection, redirects); nothing that carries credentials or cookies.</summary>
    private static readonly string[] KeptHeaders =
    [
        "server", "via", "content-type", "content-length", "location", "retry-after", "www-authenticate",
        "cf-ray", "x-envoy-upstream-service-time", "x-envoy-overloaded", "x-envoy-response-flags",
        "x-vercel-error", "x-azure-ref", "errorinfo", "x-cache", "x-served-by", "x-request-id",
    ];

    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public string Format => ReportWriters.Json;

    public void Write(Report report, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Write(Serialize(report));
        output.WriteLine();
    }

    /// <summary>The report as indented JSON text.</summary>
    public static string Serialize(Report report)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, Options))
        {
            WriteReport(writer, report);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteReport(Utf8JsonWriter w, Report report)
    {
        w.WriteStartObject();
        w.WriteNumber("schemaVersion", report.SchemaVersion);
        w.WriteString("status", report.Status.Wire());
        WriteNullableString(w, "environment", report.Environment);
        w.WriteString("startedAt", report.StartedAt);
        w.WriteNumber("durationMs", report.DurationMs);

        var s = report.Summary;
        w.WriteStartObject("summary");
        w.WriteNumber("total", s.Total);
        w.WriteNumber("passed", s.Passed);
        w.WriteNumber("failed", s.Failed);
        w.WriteNumber("warnings", s.Warnings);
        w.WriteNumber("criticalFailures", s.CriticalFailures);
        w.WriteNumber("notStarted", s.NotStarted);
        w.WriteStartObject("byLayer");
        foreach (var (layer, count) in s.ByLayer)
        {
            w.WriteNumber(layer.Wire(), count);
        }

        w.WriteEndObject();
        w.WriteString("attribution", s.Attribution.Wire());
        WritePlace(w, "primary", s.Primary is { } primary ? (primary.Target, primary.Layer, primary.Side) : null);

        WriteRoots(w, s.Roots);
        WriteFindings(w, s.Findings);
        w.WriteEndObject();

        w.WriteStartArray("results");
        foreach (var result in report.Results)
        {
            WriteResult(w, result);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteResult(Utf8JsonWriter w, TargetResult r) => WriteResult(w, r, includeDetails: true);

    /// <summary><c>"name": { target, layer, side }</c> or <c>null</c>: the primary failure, a consequence's cause.</summary>
    private static void WritePlace(Utf8JsonWriter w, string name, (string Target, Layer Layer, Side Side)? place)
    {
        if (place is not { } p)
        {
            w.WriteNull(name);
            return;
        }

        w.WriteStartObject(name);
        w.WriteString("target", p.Target);
        w.WriteString("layer", p.Layer.Wire());
        w.WriteString("side", p.Side.Wire());
        w.WriteEndObject();
    }

    /// <summary><c>"roots": [{ target, layer, side, status, critical, consequences }]</c>, as in <c>summary.roots</c> (other documents, such as the lab's report, embed the same shape).</summary>
    public static void WriteRoots(Utf8JsonWriter w, IReadOnlyList<RootCause> roots)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(roots);
        w.WriteStartArray("roots");
        foreach (var root in roots)
        {
            w.WriteStartObject();
            w.WriteString("target", root.Target);
            w.WriteString("layer", root.Layer.Wire());
            w.WriteString("side", root.Side.Wire());
            w.WriteString("status", root.Status.Wire());
            w.WriteBoolean("critical", root.Critical);
            w.WriteStartArray("consequences");
            foreach (var name in root.Consequences)
            {
                w.WriteStringValue(name);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary><c>"findings": [{ kind, target, dependency, layer, side, message }]</c>, as in <c>summary.findings</c>.</summary>
    public static void WriteFindings(Utf8JsonWriter w, IReadOnlyList<Finding> findings)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(findings);
        w.WriteStartArray("findings");
        foreach (var finding in findings)
        {
            w.WriteStartObject();
            w.WriteString("kind", finding.Kind);
            w.WriteString("target", finding.Target);
            w.WriteString("dependency", finding.Dependency);
            w.WriteString("layer", finding.Layer.Wire());
            w.WriteString("side", finding.Side.Wire());
            w.WriteString("message", finding.Message);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>
    /// Writes one result object as the report's <c>results[]</c> items are written (other streams, such as the
    /// monitor's event lines, embed the same shape); <paramref name="includeDetails"/> false leaves out the
    /// protocol details.
    /// </summary>
    public static void WriteResult(Utf8JsonWriter w, TargetResult r, bool includeDetails)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(r);
        var passed = r.Status == ResultStatus.Pass;
        w.WriteStartObject();
        w.WriteString("name", r.Name);
        w.WriteString("kind", r.Kind);
        w.WriteString("target", r.Target);
        w.WriteString("category", r.Category);
        w.WriteBoolean("critical", r.Critical);
        w.WriteString("vantage", r.Vantage.Wire());
        w.WriteString("status", r.Status.Wire());
        WriteNullableString(w, "layer", passed ? null : r.Layer?.Wire());
        WriteNullableString(w, "side", passed ? null : r.Side?.Wire());
        WritePlace(w, "cause", r.Cause is { } cause && !passed ? (cause.Target, cause.Layer, cause.Side) : null);

        w.WriteNumber("durationMs", r.DurationMs);

        w.WriteStartObject("phases");
        WriteOptionalNumber(w, "dnsMs", r.Phases.DnsMs);
        WriteOptionalNumber(w, "connectMs", r.Phases.ConnectMs);
        WriteOptionalNumber(w, "tlsMs", r.Phases.TlsMs);
        WriteOptionalNumber(w, "firstByteMs", r.Phases.FirstByteMs);
        WriteOptionalNumber(w, "transferMs", r.Phases.TransferMs);
        w.WriteEndObject();

        w.WriteStartArray("conditions");
        foreach (var c in r.Conditions)
        {
            w.WriteStartObject();
            w.WriteString("expr", c.Expr);
            w.WriteBoolean("ok", c.Ok);
            WriteNullableString(w, "actual", c.Actual);
            w.WriteEndObject();
        }

        w.WriteEndArray();

        if (r.Error is { } error)
        {
            w.WriteStartObject("error");
            w.WriteString("kind", error.Kind);
            w.WriteString("message", error.Message);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("error");
        }

        w.WriteStartArray("evidence");
        if (!passed)
        {
            foreach (var line in r.Evidence)
            {
                w.WriteStringValue(line);
            }
        }

        w.WriteEndArray();
        WriteNullableString(w, "remedy", passed ? null : r.Remedy);

        w.WriteStartArray("warnings");
        foreach (var warning in r.Observation?.Warnings ?? [])
        {
            w.WriteStringValue(warning);
        }

        w.WriteEndArray();

        if (includeDetails && r.Observation is { } observation)
        {
            WriteDetails(w, observation, includeBody: r.Status == ResultStatus.Fail);
        }
        else if (includeDetails)
        {
            w.WriteNull("details");
        }

        w.WriteEndObject();
    }

    private static void WriteDetails(Utf8JsonWriter w, Observation o, bool includeBody)
    {
        w.WriteStartObject("details");
        w.WriteBoolean("connected", o.Connected);
        w.WriteStartArray("addresses");
        foreach (var address in o.Addresses)
        {
            w.WriteStringValue(address);
        }

        w.WriteEndArray();

        if (o.Http is { } http)
        {
            w.WriteStartObject("http");
            w.WriteNumber("status", http.StatusCode);
            WriteNullableString(w, "reason", http.ReasonPhrase);
            WriteNullableString(w, "version", http.Version);
            w.WriteStartObject("headers");
            foreach (var name in KeptHeaders)
            {
                foreach (var (key, value) in http.Headers)
                {
                    if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
                    {
                        w.WriteString(key.ToLowerInvariant(), value.Length > 256 ? value[..256] : value);
                        break;
                    }
                }
            }

            w.WriteEndObject();
            w.WriteBoolean("bodyTruncated", http.BodyTruncated);
            WriteNullableString(w, "finalUrl", http.FinalUrl);
            if (includeBody && http.Body.Length > 0)
            {
                var excerpt = http.Body.Length > BodyExcerptLength ? http.Body[..BodyExcerptLength] : http.Body;
                w.WriteString("bodyExcerpt", Classification.Evidence.Scrub(excerpt));
            }

            w.WriteEndObject();
        }

        if (o.Tls is { } tls)
        {
            w.WriteStartObject("tls");
            WriteNullableString(w, "serverName", tls.ServerName);
            WriteNullableString(w, "protocol", tls.Protocol);
            WriteNullableString(w, "cipherSuite", tls.CipherSuite);
            w.WriteBoolean("trusted", tls.Trusted);
            w.WriteBoolean("hostnameMatches", tls.HostnameMatches);
            WriteStrings(w, "chainStatus", tls.ChainStatus);
            if (tls.Leaf is { } leaf)
            {
                w.WriteStartObject("leaf");
                w.WriteString("subject", leaf.Subject);
                w.WriteString("issuer", leaf.Issuer);
                WriteStrings(w, "subjectAlternativeNames", leaf.SubjectAlternativeNames);
                w.WriteString("notBefore", leaf.NotBefore);
                w.WriteString("notAfter", leaf.NotAfter);
                WriteNullableString(w, "thumbprint", leaf.Thumbprint);
                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("leaf");
            }

            w.WriteNumber("chainLength", tls.Chain.Count);
            w.WriteEndObject();
        }

        if (o.Dns is { } dns)
        {
            w.WriteStartObject("dns");
            w.WriteString("server", dns.Server);
            w.WriteString("rcode", dns.ResponseCode);
            w.WriteStartArray("answers");
            foreach (var answer in dns.Answers)
            {
                w.WriteStartObject();
                w.WriteString("type", answer.Type);
                w.WriteString("value", answer.Value);
                w.WriteNumber("ttl", answer.Ttl);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteNumber("answersDropped", dns.AnswersDropped);
            w.WriteEndObject();
        }

        if (o.Database is { } db)
        {
            w.WriteStartObject("database");
            WriteNullableString(w, "serverVersion", db.ServerVersion);
            w.WriteBoolean("authenticated", db.Authenticated);
            WriteNullableBool(w, "tlsUsed", db.TlsUsed);
            WriteNullableNumber(w, "maxConnections", db.MaxConnections);
            WriteNullableNumber(w, "reservedConnections", db.ReservedConnections);
            WriteNullableNumber(w, "connectionsInUse", db.ConnectionsInUse);
            WriteNullableNumber(w, "queryMs", db.QueryMs);
            WriteNullableString(w, "sqlState", db.SqlState);
            w.WriteEndObject();
        }

        if (o.Cache is { } cache)
        {
            w.WriteStartObject("cache");
            WriteNullableString(w, "serverVersion", cache.ServerVersion);
            WriteNullableString(w, "role", cache.Role);
            WriteNullableNumber(w, "pingMs", cache.PingMs);
            WriteNullableNumber(w, "connectedClients", cache.ConnectedClients);
            WriteNullableNumber(w, "maxClients", cache.MaxClients);
            WriteNullableNumber(w, "usedMemoryBytes", cache.UsedMemoryBytes);
            WriteNullableNumber(w, "maxMemoryBytes", cache.MaxMemoryBytes);
            WriteNullableBool(w, "writeOk", cache.WriteOk);
            w.WriteEndObject();
        }

        if (o.WebSocket is { } ws)
        {
            w.WriteStartObject("webSocket");
            WriteNullableString(w, "subProtocol", ws.SubProtocol);
            w.WriteBoolean("loggedIn", ws.LoggedIn);
            w.WriteBoolean("sent", ws.Sent);
            WriteStrings(w, "expected", ws.Expected);
            w.WriteStartArray("events");
            foreach (var e in ws.Events)
            {
                w.WriteStartObject();
                WriteNullableString(w, "name", e.Name);
                w.WriteNumber("latencyMs", e.LatencyMs);
                w.WriteBoolean("expected", e.Expected);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            WriteStrings(w, "missing", ws.Missing);
            WriteNullableString(w, "answer", ws.Answer is { Length: > BodyExcerptLength } answer ? answer[..BodyExcerptLength] : ws.Answer);
            WriteNullableString(w, "closeStatus", ws.CloseStatus);
            WriteNullableString(w, "closeDescription", ws.CloseDescription);
            w.WriteEndObject();
        }

        if (o.Remote is { } remote)
        {
            w.WriteStartObject("remote");
            w.WriteString("source", remote.Source);
            WriteNullableString(w, "service", remote.Service);
            WriteNullableString(w, "environment", remote.Environment);
            WriteNullableString(w, "status", remote.Status);
            WriteNullableString(w, "networkPath", remote.NetworkPathOverall);
            WriteNullableNumber(w, "networkPathDegraded", remote.NetworkPathDegraded);
            WriteStrings(w, "remedies", remote.Remedies);
            WriteNullableString(w, "problem", remote.Problem);
            WriteTermination(w, remote.Termination);

            w.WriteEndObject();
        }

        if (o.Load is { } load)
        {
            WriteLoad(w, load);
        }

        if (o.Components.Count > 0)
        {
            w.WriteStartArray("components");
            foreach (var c in o.Components)
            {
                w.WriteStartObject();
                w.WriteString("name", c.Name);
                w.WriteString("status", c.Status);
                WriteNullableString(w, "layer", c.Layer?.Wire());
                WriteNullableString(w, "side", c.Side?.Wire());
                w.WriteBoolean("critical", c.Critical);
                WriteNullableNumber(w, "latencyMs", c.LatencyMs);
                if (c.LastCheckedAt is { } checkedAt)
                {
                    w.WriteString("lastCheckedAt", checkedAt);
                }
                else
                {
                    w.WriteNull("lastCheckedAt");
                }

                WriteNullableString(w, "errorKind", c.ErrorKind);
                WriteNullableString(w, "breaker", c.Breaker);
                WriteNullableString(w, "message", c.Message);
                w.WriteString("source", c.Source);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        if (o.Secrets is { } secrets)
        {
            w.WriteStartObject("secrets");
            w.WriteString("source", secrets.Source);
            w.WriteStartArray("entries");
            foreach (var entry in secrets.Entries)
            {
                w.WriteStartObject();
                w.WriteString("name", entry.Name);
                w.WriteBoolean("present", entry.Present);
                w.WriteBoolean("required", entry.Required);
                WriteNullableString(w, "fingerprint", entry.Fingerprint);
                WriteNullableNumber(w, "length", entry.Length);
                w.WriteStartArray("rules");
                foreach (var rule in entry.Rules)
                {
                    w.WriteStartObject();
                    w.WriteString("rule", rule.Rule);
                    w.WriteBoolean("ok", rule.Ok);
                    w.WriteString("detail", rule.Detail);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    /// <summary>A service's termination message (remote targets, startup instances), or null.</summary>
    private static void WriteTermination(Utf8JsonWriter w, TerminationMessage? termination)
    {
        if (termination is not { } t)
        {
            w.WriteNull("termination");
            return;
        }

        w.WriteStartObject("termination");
        WriteNullableString(w, "phase", t.Phase);
        WriteNullableString(w, "layer", t.Layer?.Wire());
        WriteNullableString(w, "side", t.Side?.Wire());
        WriteNullableString(w, "errorKind", t.ErrorKind);
        WriteNullableString(w, "message", t.Message);
        WriteNullableNumber(w, "attempts", t.Attempts);
        WriteNullableNumber(w, "elapsedMs", t.ElapsedMs);
        w.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
        {
            w.WriteStringValue(value);
        }

        w.WriteEndArray();
    }

    private static void WriteNullableString(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    private static void WriteNullableBool(Utf8JsonWriter w, string name, bool? value)
    {
        if (value is { } v)
        {
            w.WriteBoolean(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void WriteLoad(Utf8JsonWriter w, LoadObservation load)
    {
        w.WriteStartObject("load");
        w.WriteString("attemptKind", load.AttemptKind);
        w.WriteNumber("attempts", load.Attempts);
        w.WriteNumber("successes", load.Successes);
        w.WriteNumber("failures", load.Failures);
        w.WriteNumber("successRate", Math.Round(load.SuccessRate, 4));
        WriteNullableNumber(w, "p50Ms", load.P50Ms);
        WriteNullableNumber(w, "p95Ms", load.P95Ms);
        WriteNullableNumber(w, "maxMs", load.MaxMs);
        w.WriteStartArray("failureGroups");
        foreach (var g in load.FailureGroups)
        {
            w.WriteStartObject();
            w.WriteString("layer", g.Layer.Wire());
            w.WriteString("side", g.Side.Wire());
            w.WriteString("errorKind", g.ErrorKind);
            w.WriteNumber("count", g.Count);
            w.WriteString("example", g.Example);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        if (load.Instances.Count > 0)
        {
            w.WriteStartArray("instances");
            foreach (var i in load.Instances)
            {
                w.WriteStartObject();
                w.WriteNumber("instance", i.Instance);
                w.WriteNumber("port", i.Port);
                w.WriteBoolean("ready", i.Ready);
                WriteNullableNumber(w, "readyMs", i.ReadyMs);
                WriteNullableNumber(w, "exitCode", i.ExitCode);
                WriteNullableString(w, "problem", i.Problem);
                WriteTermination(w, i.Termination);

                WriteNullableString(w, "stderrTail", i.StderrTail);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    private static void WriteNullableNumber(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void WriteNullableNumber(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void WriteOptionalNumber(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
    }
}
