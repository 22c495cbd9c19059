using System.Globalization;
using System.Text;
using Faultline.Core.Config;
using Faultline.Core.Model;

namespace Faultline.Core.Classification;

/// <summary>
/// The facts about one target and its observation that rules fill into their templates: host,
/// endpoint, resolver, and short evidence lines built from protocol facts. Never reads a
/// connection string (it may hold a password); endpoints of postgres/redis come from the
/// observation's target, which probes write without secrets.
/// </summary>
internal sealed class Facts
{
    public Facts(TargetSpec target, Observation observation)
    {
        Target = target;
        Observation = observation;
        (Host, Port) = ParseEndpoint(target, observation);
        Endpoint = Port is { } port ? $"{Host}:{port.ToString(CultureInfo.InvariantCulture)}" : Host;
        Resolver = observation.Dns?.Server ?? target.Resolver ?? "the system resolver";
    }

    public TargetSpec Target { get; }

    public Observation Observation { get; }

    public string Kind => Target.Kind;

    public string Host { get; }

    public int? Port { get; }

    public string Endpoint { get; }

    public string Resolver { get; }

    /// <summary>Fill <c>{host}</c>, <c>{endpoint}</c>, <c>{resolver}</c>, <c>{kind}</c>, <c>{code}</c>, <c>{types}</c>, <c>{name}</c>.</summary>
    public string Fill(string template, ProbeError? error = null)
    {
        var builder = new StringBuilder(template);
        builder.Replace("{host}", Host)
            .Replace("{endpoint}", Endpoint)
            .Replace("{resolver}", Resolver)
            .Replace("{kind}", Kind)
            .Replace("{name}", Target.Name)
            .Replace("{types}", string.Join("/", Target.RecordTypes));
        if (error?.Code is { } code)
        {
            builder.Replace("{code}", code);
        }
        else
        {
            // No protocol code: drop a parenthesised placeholder, name the absence elsewhere.
            builder.Replace(" ({code})", string.Empty).Replace("{code}", "(no code)");
        }

        return builder.ToString();
    }

    public string? AddressesLine() =>
        Observation.Addresses.Count > 0 && !Observation.Addresses.Contains(Host, StringComparer.OrdinalIgnoreCase)
            ? $"{Host} resolved to {string.Join(", ", Observation.Addresses.Take(4))}"
            : null;

    public string? PhasesLine()
    {
        var parts = PhaseList().Select(p => $"{p.Name} {Ms(p.Ms)}").ToList();
        return parts.Count == 0 ? null : "phases: " + string.Join(", ", parts);
    }

    public IReadOnlyList<(string Name, double Ms)> PhaseList()
    {
        var phases = Observation.Phases;
        var list = new List<(string, double)>();
        Add(list, "dns", phases.DnsMs);
        Add(list, "connect", phases.ConnectMs);
        Add(list, "tls", phases.TlsMs);
        Add(list, "firstByte", phases.FirstByteMs);
        Add(list, "transfer", phases.TransferMs);
        return list;

        static void Add(List<(string, double)> list, string name, double? ms)
        {
            if (ms is { } value)
            {
                list.Add((name, value));
            }
        }
    }

    public IEnumerable<string> CertificateLines()
    {
        if (Observation.Tls is not { } tls)
        {
            yield break;
        }

        if (tls.Leaf is { } leaf)
        {
            yield return $"leaf {leaf.Subject}, issued by {leaf.Issuer}";
            yield return $"valid {Date(leaf.NotBefore)} to {Date(leaf.NotAfter)}";
        }

        if (tls.ChainStatus.Count > 0)
        {
            yield return "chain: " + string.Join(", ", tls.ChainStatus.Take(4));
        }
    }

    public string SansText()
    {
        var sans = Observation.Tls?.Leaf?.SubjectAlternativeNames ?? [];
        return sans.Count == 0 ? "[] (no subject alternative names)" : "[" + string.Join(", ", sans.Take(6)) + (sans.Count > 6 ? ", …" : string.Empty) + "]";
    }

    public string RequestedName => Observation.Tls?.ServerName ?? Target.Tls?.ServerName ?? Host;

    public static string Date(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    public static string Ms(double ms) => Durations.Describe(TimeSpan.FromMilliseconds(ms));

    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.#} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.#} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 10):0.#} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
    };

    /// <summary>One line, at most <paramref name="max"/> characters: for body excerpts in evidence.</summary>
    public static string OneLine(string text, int max)
    {
        var builder = new StringBuilder(Math.Min(text.Length, max + 1));
        var lastSpace = false;
        foreach (var c in text)
        {
            var ws = char.IsWhiteSpace(c) || char.IsControl(c);
            if (ws)
            {
                if (!lastSpace && builder.Length > 0)
                {
                    builder.Append(' ');
                }
            }
            else
            {
                builder.Append(c);
            }

            lastSpace = ws;
            if (builder.Length > max)
            {
                break;
            }
        }

        var line = builder.ToString().Trim();
        return line.Length <= max ? line : line[..(max - 1)] + "…";
    }

    private static (string Host, int? Port) ParseEndpoint(TargetSpec target, Observation observation)
    {
        if (target.Url is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return (uri.Host, uri.Port);
        }

        if (!string.IsNullOrEmpty(target.Host))
        {
            return (target.Host, target.Port);
        }

        var text = observation.Target;

        // A unix socket, as the postgres probe names it: "unix:/cloudsql/p:r:i/.s.PGSQL.5432 (db app)". The path is the
        // endpoint; its colons are not a port.
        if (text.StartsWith("unix:/", StringComparison.Ordinal))
        {
            var end = text.IndexOf(" (", StringComparison.Ordinal);
            return (end > 0 ? text[..end] : text, null);
        }

        if (text.Contains("://", StringComparison.Ordinal) && Uri.TryCreate(text, UriKind.Absolute, out var fromObservation))
        {
            return (fromObservation.Host, fromObservation.Port >= 0 ? fromObservation.Port : null);
        }

        var colon = text.LastIndexOf(':');
        if (colon > 0 && int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            return (text[..colon].Trim('[', ']'), port);
        }

        return (text, null);
    }
}
