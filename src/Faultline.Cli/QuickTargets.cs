using System.Net;
using Faultline.Core.Config;

namespace Faultline.Cli;

/// <summary>
/// Quick mode: turns one address into the natural layered targets for it, each depending on the
/// layer below, so one line gives a layered answer: <c>https://host/path</c> → dns, tcp, tls, http;
/// <c>postgres://…</c> → dns, tcp, postgres; <c>redis://…</c> / <c>rediss://…</c> → dns, tcp, (tls,) redis;
/// <c>host:port</c> → dns, tcp.
/// </summary>
internal static class QuickTargets
{
    public const string Help = "give a URL (https://host:port/path), postgres://…, redis://… / rediss://…, or host:port";

    public static FaultlineConfig Build(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        address = address.Trim();
        if (address.Contains("://", StringComparison.Ordinal))
        {
            var scheme = address[..address.IndexOf("://", StringComparison.Ordinal)].ToLowerInvariant();
            return scheme switch
            {
                "http" or "https" => FromHttpUrl(address),
                "postgres" or "postgresql" => FromServiceUrl(address, TargetKinds.Postgres, defaultPort: 5432, tls: false),
                "redis" => FromServiceUrl(address, TargetKinds.Redis, defaultPort: 6379, tls: false),
                "rediss" => FromServiceUrl(address, TargetKinds.Redis, defaultPort: 6380, tls: true),
                _ => throw new UsageException($"quick mode does not know the scheme '{scheme}://'; {Help}"),
            };
        }

        var (host, port) = SplitHostPort(address);
        var targets = new List<TargetSpec>();
        var dns = AddDns(targets, host);
        targets.Add(new TargetSpec { Name = "tcp", Kind = TargetKinds.Tcp, Host = host, Port = port, DependsOn = dns });
        return new FaultlineConfig { Targets = targets };
    }

    private static FaultlineConfig FromHttpUrl(string address)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new UsageException($"'{address}' is not a valid URL; {Help}");
        }

        var targets = new List<TargetSpec>();
        var below = AddDns(targets, uri.IdnHost);
        targets.Add(new TargetSpec { Name = "tcp", Kind = TargetKinds.Tcp, Host = uri.IdnHost, Port = uri.Port, DependsOn = below });
        below = ["tcp"];
        if (uri.Scheme == Uri.UriSchemeHttps)
        {
            targets.Add(new TargetSpec { Name = "tls", Kind = TargetKinds.Tls, Host = uri.IdnHost, Port = uri.Port, DependsOn = below });
            below = ["tls"];
        }

        targets.Add(new TargetSpec { Name = "http", Kind = TargetKinds.Http, Url = uri.AbsoluteUri, DependsOn = below });
        return new FaultlineConfig { Targets = targets };
    }

    private static FaultlineConfig FromServiceUrl(string address, string kind, int defaultPort, bool tls)
    {
        // Parse host and port by hand: passwords often hold characters System.Uri rejects.
        var rest = address[(address.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var at = rest.LastIndexOf('@');
        var hostPart = at >= 0 ? rest[(at + 1)..] : rest;
        var end = hostPart.IndexOfAny(['/', '?']);
        if (end >= 0)
        {
            hostPart = hostPart[..end];
        }

        if (kind == TargetKinds.Postgres && IsUnixSocket(hostPart, rest))
        {
            // A unix socket directory (Cloud SQL: ?host=/cloudsql/PROJECT:REGION:INSTANCE): no DNS, no TCP path to
            // check; the postgres probe looks for the socket file itself (docs/probes/postgres.md).
            return new FaultlineConfig { Targets = [new TargetSpec { Name = kind, Kind = kind, ConnectionString = address }] };
        }

        if (hostPart.Length == 0)
        {
            throw new UsageException($"no host in the {kind} address; write it as {kind}://user:password@host:port/...");
        }

        var (host, port) = hostPart.Contains(':', StringComparison.Ordinal) && !hostPart.EndsWith(']')
            ? SplitHostPort(hostPart)
            : (hostPart.Trim('[', ']'), defaultPort);

        var targets = new List<TargetSpec>();
        IReadOnlyList<string> below = AddDns(targets, host);
        targets.Add(new TargetSpec { Name = "tcp", Kind = TargetKinds.Tcp, Host = host, Port = port, DependsOn = below });
        below = ["tcp"];
        if (tls)
        {
            targets.Add(new TargetSpec { Name = "tls", Kind = TargetKinds.Tls, Host = host, Port = port, DependsOn = below });
            below = ["tls"];
        }

        targets.Add(new TargetSpec { Name = kind, Kind = kind, ConnectionString = address, DependsOn = below });
        return new FaultlineConfig { Targets = targets };
    }

    /// <summary><c>postgres://u@/db?host=/dir</c> or a percent-encoded directory as the host (<c>%2Fcloudsql%2F…</c>).</summary>
    private static bool IsUnixSocket(string hostPart, string rest)
    {
        if (hostPart.StartsWith("%2F", StringComparison.OrdinalIgnoreCase) || hostPart.StartsWith('/'))
        {
            return true;
        }

        var query = rest.IndexOf('?', StringComparison.Ordinal);
        return hostPart.Length == 0 && query >= 0
            && rest[(query + 1)..].Split('&').Any(p => p.StartsWith("host=/", StringComparison.OrdinalIgnoreCase) || p.StartsWith("host=%2F", StringComparison.OrdinalIgnoreCase));
    }

    private static List<string> AddDns(List<TargetSpec> targets, string host)
    {
        if (IPAddress.TryParse(host.Trim('[', ']'), out _) || string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }

        targets.Add(new TargetSpec { Name = "dns", Kind = TargetKinds.Dns, Host = host });
        return ["dns"];
    }

    private static (string Host, int Port) SplitHostPort(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            throw new UsageException($"'{text}' has no port; {Help}");
        }

        var host = text[..colon].Trim('[', ']');
        if (!int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new UsageException($"'{text[(colon + 1)..]}' is not a port (1-65535); {Help}");
        }

        return (host, port);
    }
}

/// <summary>A mistake in how the command was called; reported in one line with exit code 2.</summary>
internal sealed class UsageException : Exception
{
    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException()
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
