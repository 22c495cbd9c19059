using System.Globalization;
using System.Text;
using System.Text.Json;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;

namespace Faultline.Probes.Probes;

/// <summary>
/// Reads a service's own view of its dependencies: GET its <c>/health/infrastructure</c> (with
/// <c>X-Api-Key</c>) and return each component as an inside-out <see cref="ComponentObservation"/>,
/// which the runner turns into results of their own. The fetch itself is the outside view and goes
/// through the http probe (same phases, TLS facts and proxy pages). When the service does not answer
/// (refused, timed out, or a proxy's 502/503/504 instead of the document), the termination message the
/// service wrote when its startup failed is read instead and becomes the inside view.
/// </summary>
internal sealed class RemoteProbe : IProbe
{
    /// <summary>The health document is read up to this size.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    /// <summary>The termination file is read up to this size (its last line counts).</summary>
    public const int MaxTerminationBytes = 64 * 1024;

    private static readonly ErrorKind[] DownKinds =
    [
        ErrorKind.ConnectionRefused, ErrorKind.ConnectTimeout, ErrorKind.ConnectionReset, ErrorKind.ConnectionClosed,
        ErrorKind.ReadTimeout, ErrorKind.Timeout,
    ];

    private readonly HttpProbe _http = new();

    public string Kind => TargetKinds.Remote;

    public string AttemptNoun => "requests";

    public async Task<Observation> ProbeAsync(TargetSpec target, ProbeContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(context);
        var headers = new Dictionary<string, string>(target.Headers, StringComparer.OrdinalIgnoreCase);
        if (!string.IsNullOrEmpty(target.ApiKey))
        {
            context.Redactor.Add(target.ApiKey);
            headers["X-Api-Key"] = target.ApiKey;
        }

        var fetch = target with
        {
            Kind = TargetKinds.Http,
            Method = "GET",
            Headers = headers,
            Body = null,
            FollowRedirects = false,
            MaxBodyBytes = MaxBodyBytes,
        };
        var observation = await _http.ProbeAsync(fetch, context, cancellationToken).ConfigureAwait(false);

        if (observation.Http is { } http && InfrastructureDocument.TryParse(http.Body, context.Redactor, out var document))
        {
            return Inside(observation, document);
        }

        var error = observation.Error ?? NotADocument(observation);
        var down = DownKinds.Contains(error.Kind) || observation.Http is { StatusCode: 502 or 503 or 504 };
        if (!down || string.IsNullOrEmpty(target.TerminationFile))
        {
            var why = down ? "the service did not answer and the target names no terminationFile" : null;
            return observation with { Error = error, Remote = new RemoteObservation { Source = "none", Problem = why } };
        }

        var (remote, component) = await ReadTerminationAsync(target, context, cancellationToken).ConfigureAwait(false);
        return observation with
        {
            Error = error,
            Remote = remote,
            Components = component is null ? [] : [component],
        };
    }

    /// <summary>
    /// The fetch with the document's inside view. A document without components is kept as the service's own status
    /// (and its startup state); the runner decides what that status means.
    /// </summary>
    private static Observation Inside(Observation observation, InfrastructureDocument document) => observation with
    {
        Error = null,
        Remote = document.Remote,
        Components = document.Components,
    };

    private static ProbeError NotADocument(Observation observation)
    {
        var http = observation.Http!;
        if (http.StatusCode >= 400)
        {
            return new ProbeError(ErrorKind.UnexpectedStatus, string.Create(CultureInfo.InvariantCulture, $"{observation.Target} answered HTTP {http.StatusCode}{(string.IsNullOrEmpty(http.ReasonPhrase) ? string.Empty : " " + http.ReasonPhrase)} instead of the service's health document"))
            {
                Phase = "fetch",
                Code = http.StatusCode.ToString(CultureInfo.InvariantCulture),
            };
        }

        return new ProbeError(ErrorKind.ProtocolError, string.Create(CultureInfo.InvariantCulture, $"{observation.Target} answered HTTP {http.StatusCode}, but not with a health document ({{ service, status, components }})"))
        {
            Phase = "fetch",
        };
    }

    private static async Task<(RemoteObservation Remote, ComponentObservation? Component)> ReadTerminationAsync(TargetSpec target, ProbeContext context, CancellationToken cancellationToken)
    {
        var path = target.TerminationFile!;
        string text;
        DateTimeOffset writtenAt;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                return (new RemoteObservation { Source = "none", Problem = $"the service did not answer and left no termination message at {path}" }, null);
            }

            writtenAt = new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero);
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 4096, useAsync: true);
            await using (stream.ConfigureAwait(false))
            {
                if (stream.Length > MaxTerminationBytes)
                {
                    stream.Seek(-MaxTerminationBytes, SeekOrigin.End);
                }

                using var reader = new StreamReader(stream, Encoding.UTF8);
                text = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (new RemoteObservation { Source = "none", Problem = $"the termination message at {path} cannot be read ({ex.GetType().Name})" }, null);
        }

        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        if (line is null || !TryParseTermination(line, context.Redactor, writtenAt, out var termination))
        {
            return (new RemoteObservation { Source = "none", Problem = $"the termination message at {path} is not a JSON line {{ phase, layer, side, errorKind, message, attempts, elapsedMs }}" }, null);
        }

        var component = ComponentObservation.FromTermination(termination, target.Name);
        return (new RemoteObservation { Source = ComponentSources.TerminationFile, Service = target.Name, Status = "unhealthy", Termination = termination }, component);
    }

    private static bool TryParseTermination(string line, SecretRedactor redactor, DateTimeOffset writtenAt, out TerminationMessage termination)
    {
        termination = null!;
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            termination = new TerminationMessage
            {
                Phase = Json.String(root, "phase"),
                Layer = Json.Layer(root),
                Side = Json.Side(root),
                ErrorKind = Json.String(root, "errorKind"),
                Message = Json.String(root, "message") is { } message ? redactor.Redact(message) : null,
                Attempts = Json.Number(root, "attempts") is { } attempts ? (int)attempts : null,
                ElapsedMs = Json.Number(root, "elapsedMs"),
                WrittenAt = writtenAt,
            };
            return termination.Phase is not null || termination.Message is not null;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Faultline's <c>/health/infrastructure</c> document.</summary>
    private sealed record InfrastructureDocument(RemoteObservation Remote, IReadOnlyList<ComponentObservation> Components)
    {
        public static bool TryParse(string body, SecretRedactor redactor, out InfrastructureDocument document)
        {
            document = null!;
            var trimmed = body.AsSpan().TrimStart();
            if (trimmed.Length == 0 || trimmed[0] != '{')
            {
                return false;
            }

            try
            {
                using var json = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 32 });
                var root = json.RootElement;
                var hasComponents = root.TryGetProperty("components", out var components) && components.ValueKind is JsonValueKind.Object or JsonValueKind.Array;
                var status = Json.String(root, "status");
                var service = Json.String(root, "service");
                if (!hasComponents && (status is null || service is null))
                {
                    return false;
                }

                var list = new List<ComponentObservation>();
                if (hasComponents)
                {
                    var entries = components.ValueKind == JsonValueKind.Object
                        ? components.EnumerateObject().Select(p => (Name: (string?)p.Name, Value: p.Value))
                        : components.EnumerateArray().Select(e => (Name: Json.String(e, "name"), Value: e));
                    foreach (var (name, value) in entries)
                    {
                        if (name is null || value.ValueKind != JsonValueKind.Object)
                        {
                            continue;
                        }

                        list.Add(new ComponentObservation
                        {
                            Name = name,
                            Status = Json.String(value, "status") ?? "unknown",
                            Layer = Json.Layer(value),
                            Side = Json.Side(value),
                            Critical = Json.Bool(value, "critical") ?? true,
                            LatencyMs = Json.Number(value, "latencyMs"),
                            LastCheckedAt = Json.String(value, "lastCheckedAt") is { } at && DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null,
                            ErrorKind = Json.String(value, "errorKind"),
                            Breaker = Json.String(value, "breaker"),
                            Message = (Json.String(value, "message") ?? Json.String(value, "detail") ?? Json.String(value, "description")) is { } m ? redactor.Redact(m) : null,
                            Source = ComponentSources.Endpoint,
                            Service = service,
                        });
                    }
                }

                var remedies = new List<string>();
                if (root.TryGetProperty("remedies", out var r) && r.ValueKind == JsonValueKind.Array)
                {
                    foreach (var item in r.EnumerateArray())
                    {
                        var text = item.ValueKind == JsonValueKind.String
                            ? item.GetString()
                            : item.ValueKind == JsonValueKind.Object
                                ? (Json.String(item, "component") ?? Json.String(item, "name")) is { } on
                                    ? $"{on}: {Json.String(item, "remedy") ?? Json.String(item, "text") ?? Json.String(item, "message")}"
                                    : Json.String(item, "remedy") ?? Json.String(item, "text") ?? Json.String(item, "message")
                                : null;
                        if (!string.IsNullOrWhiteSpace(text))
                        {
                            remedies.Add(redactor.Redact(text));
                        }
                    }
                }

                string? overall = null;
                int? degraded = null;
                if (root.TryGetProperty("networkPath", out var path) && path.ValueKind == JsonValueKind.Object)
                {
                    overall = Json.String(path, "overall");
                    degraded = Json.Number(path, "degradedCount") is { } count ? (int)count : null;
                }

                document = new InfrastructureDocument(
                    new RemoteObservation
                    {
                        Source = ComponentSources.Endpoint,
                        Service = service,
                        Environment = Json.String(root, "environment"),
                        Status = status,
                        Startup = Json.String(root, "startup"),
                        NetworkPathOverall = overall,
                        NetworkPathDegraded = degraded,
                        Remedies = remedies,
                    },
                    list);
                return true;
            }
            catch (JsonException)
            {
                return false;
            }
        }
    }

    /// <summary>Lenient readers: a field of the wrong type counts as absent.</summary>
    private static class Json
    {
        public static string? String(JsonElement element, string name) =>
            element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

        public static double? Number(JsonElement element, string name) =>
            element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) ? number : null;

        public static bool? Bool(JsonElement element, string name) =>
            element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
                ? value.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => null,
                }
                : null;

        public static Layer? Layer(JsonElement element) =>
            String(element, "layer") is { } text && Enum.TryParse<Layer>(text, ignoreCase: true, out var layer) && Enum.IsDefined(layer) ? layer : null;

        public static Side? Side(JsonElement element) =>
            String(element, "side") is { } text && Enum.TryParse<Side>(text, ignoreCase: true, out var side) && Enum.IsDefined(side) ? side : null;
    }
}
