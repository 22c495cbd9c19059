using System.Globalization;
using Faultline.Core.Model;

namespace Faultline.Core.Conditions;

/// <summary>What a placeholder yields, which decides the operators and literals it accepts.</summary>
internal enum PlaceholderType
{
    /// <summary>A number: ordering and equality with a number literal; <c>matches</c> on its text.</summary>
    Number,

    /// <summary>A duration: ordering and equality with a duration literal (unit required).</summary>
    Duration,

    /// <summary>true/false: equality with <c>true</c> or <c>false</c> only.</summary>
    Boolean,

    /// <summary>Text: equality, <c>contains</c>, <c>matches</c>.</summary>
    Text,

    /// <summary>A JSON value read from the body: its type is known only at evaluation.</summary>
    Json,
}

/// <summary>Whether a placeholder takes an argument (<c>[HEADER:Name]</c>) or a JSON path (<c>[BODY].a.b</c>).</summary>
internal enum PlaceholderArgument
{
    None,
    Required,
}

/// <summary>What a condition is evaluated against. Later sources (history, percentiles) become properties here.</summary>
internal sealed record EvaluationInput(Observation Observation, DateTimeOffset Now);

/// <summary>One placeholder: its name, type, argument rule and how to read its value.</summary>
internal sealed record PlaceholderInfo(
    string Name,
    PlaceholderType Type,
    PlaceholderArgument Argument,
    bool AcceptsPath,
    bool IgnoreCase,
    string Description,
    Func<EvaluationInput, string?, ActualValue> Read)
{
    public string Display => "[" + Name + "]";
}

/// <summary>
/// The placeholder table. Adding a placeholder is one entry here; the parser, type checks,
/// evaluator and docs all read from it.
/// </summary>
internal static class Placeholders
{
    public static IReadOnlyList<PlaceholderInfo> All { get; } =
    [
        new("STATUS", PlaceholderType.Number, PlaceholderArgument.None, false, false,
            "HTTP status code of the response.",
            (input, _) => input.Observation.Http is { } http ? new NumberValue(http.StatusCode) : new MissingValue("(no response)")),
        new("RESPONSE_TIME", PlaceholderType.Duration, PlaceholderArgument.None, false, false,
            "Wall time of the whole probe.",
            (input, _) => new DurationValue(input.Observation.Elapsed)),
        new("CONNECTED", PlaceholderType.Boolean, PlaceholderArgument.None, false, false,
            "Whether a transport connection was established.",
            (input, _) => new BooleanValue(input.Observation.Connected)),
        new("BODY", PlaceholderType.Text, PlaceholderArgument.None, true, false,
            "The response body as text; with a path ([BODY].a.b[0]) the JSON value at that path.",
            (input, _) => input.Observation.Http is { } http ? new TextValue(http.Body) : new MissingValue("(no response)")),
        new("HEADER", PlaceholderType.Text, PlaceholderArgument.Required, false, false,
            "A response header, name case-insensitive: [HEADER:Content-Type].",
            ReadHeader),
        new("CERT_EXPIRES_IN", PlaceholderType.Duration, PlaceholderArgument.None, false, false,
            "Time until the server certificate's not-after date (negative once expired).",
            (input, _) => input.Observation.Tls?.Leaf is { } leaf
                ? new DurationValue(TimeSpan.FromTicks(leaf.NotAfter.UtcTicks - input.Now.UtcTicks))
                : new MissingValue("(no certificate)")),
        new("DNS_RCODE", PlaceholderType.Text, PlaceholderArgument.None, false, true,
            "DNS response code: NOERROR, NXDOMAIN, SERVFAIL, REFUSED, TIMEOUT.",
            (input, _) => input.Observation.Dns is { } dns ? new TextValue(dns.ResponseCode) : new MissingValue("(no DNS answer)")),
        new("IP", PlaceholderType.Text, PlaceholderArgument.None, false, true,
            "The first address the host resolved to.",
            (input, _) => input.Observation.Addresses.Count > 0 ? new TextValue(input.Observation.Addresses[0]) : new MissingValue("(no address)")),
        new("SUCCESS_RATE", PlaceholderType.Number, PlaceholderArgument.None, false, false,
            "Load checks: the share of attempts that succeeded, a number from 0 to 1 ([SUCCESS_RATE] >= 0.95).",
            (input, _) => input.Observation.Load is { } load ? new NumberValue(Math.Round(load.SuccessRate, 4)) : NotLoad()),
        new("P95", PlaceholderType.Duration, PlaceholderArgument.None, false, false,
            "Load checks: the 95th percentile (nearest rank) of the successful attempts' latency (startup: time to ready).",
            (input, _) => LoadLatency(input, l => l.P95Ms)),
        new("MAX", PlaceholderType.Duration, PlaceholderArgument.None, false, false,
            "Load checks: the slowest successful attempt's latency (startup: time to ready).",
            (input, _) => LoadLatency(input, l => l.MaxMs)),
        new("FAILURES", PlaceholderType.Number, PlaceholderArgument.None, false, false,
            "Load checks: how many attempts failed.",
            (input, _) => input.Observation.Load is { } load ? new NumberValue(load.Failures) : NotLoad()),
    ];

    private static MissingValue NotLoad() => new("(not a load check)");

    private static ActualValue LoadLatency(EvaluationInput input, Func<LoadObservation, double?> read)
    {
        if (input.Observation.Load is not { } load)
        {
            return NotLoad();
        }

        return read(load) is { } ms
            ? new DurationValue(TimeSpan.FromMilliseconds(ms))
            : new MissingValue(load.Attempts == 0 ? "(no attempt ran)" : "(no attempt succeeded)");
    }

    public static PlaceholderInfo? Find(string name)
    {
        foreach (var placeholder in All)
        {
            if (string.Equals(placeholder.Name, name, StringComparison.Ordinal))
            {
                return placeholder;
            }
        }

        return null;
    }

    public static string KnownList => string.Join(", ", All.Select(p => p.Argument == PlaceholderArgument.Required ? "[" + p.Name + ":Name]" : p.Display));

    private static ActualValue ReadHeader(EvaluationInput input, string? name)
    {
        if (input.Observation.Http is not { } http)
        {
            return new MissingValue("(no response)");
        }

        foreach (var (key, value) in http.Headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return new TextValue(value);
            }
        }

        return new MissingValue(string.Create(CultureInfo.InvariantCulture, $"(no header {name})"));
    }
}
