using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;
using Faultline.Core.Model;
using Faultline.Core.Running;

namespace Faultline.Probes.Net;

/// <summary>
/// The <see cref="IHostResolver"/>s Faultline uses: the operating system's resolver, or a given DNS
/// server spoken to directly. Both return IP literals and <c>localhost</c> without asking DNS.
/// Failures throw <see cref="ProbeException"/> with a Dns* <see cref="ErrorKind"/>, phase <c>dns</c>
/// and the rcode in <see cref="ProbeError.Code"/>. Cancellation of the token throws
/// <see cref="OperationCanceledException"/>: the caller knows whether that was its deadline
/// (use <see cref="DeadlineError"/>) or a shutdown.
/// </summary>
public static class HostResolvers
{
    /// <summary>Name of the operating system's resolver, as <see cref="IHostResolver.Name"/> reports it.</summary>
    public const string SystemName = "system";

    /// <summary>The operating system's resolver (<see cref="Dns.GetHostAddressesAsync(string, CancellationToken)"/>).</summary>
    public static IHostResolver System { get; } = new SystemHostResolver();

    /// <summary>A resolver that asks the DNS server at <paramref name="hostPort"/> (<c>127.0.0.1:5353</c>, <c>[::1]:53</c>, <c>10.0.0.2</c> = port 53) over UDP, falling back to TCP.</summary>
    /// <exception cref="ArgumentException">The text is not an IP address with an optional port.</exception>
    public static IHostResolver ForServer(string hostPort)
    {
        if (!TryParseServer(hostPort, out var endpoint))
        {
            throw new ArgumentException($"'{hostPort}' is not a DNS server address; write an IP address and an optional port, e.g. 127.0.0.1:5353", nameof(hostPort));
        }

        return new DnsServerResolver(endpoint);
    }

    /// <summary><see cref="System"/> when <paramref name="hostPort"/> is null or empty, else <see cref="ForServer"/>.</summary>
    public static IHostResolver For(string? hostPort) =>
        string.IsNullOrWhiteSpace(hostPort) ? System : ForServer(hostPort);

    /// <summary>Parses a DNS server address: an IP literal with an optional port (default 53); IPv6 with a port in brackets.</summary>
    public static bool TryParseServer(string? hostPort, out IPEndPoint endpoint)
    {
        endpoint = null!;
        if (string.IsNullOrWhiteSpace(hostPort))
        {
            return false;
        }

        var text = hostPort.Trim();
        if (IPAddress.TryParse(text, out var bare) && !text.StartsWith('['))
        {
            endpoint = new IPEndPoint(bare, NameServer.DefaultPort);
            return true;
        }

        if (IPEndPoint.TryParse(text, out var parsed) && parsed.Port is > 0 and <= 65535)
        {
            endpoint = parsed.Port == 0 ? new IPEndPoint(parsed.Address, NameServer.DefaultPort) : parsed;
            return true;
        }

        return false;
    }

    /// <summary>The DNS server a resolver made by <see cref="ForServer"/> asks; null for the system resolver.</summary>
    public static IPEndPoint? ServerOf(IHostResolver resolver) =>
        resolver is DnsServerResolver server ? server.Server
        : TryParseServer(resolver.Name, out var endpoint) ? endpoint
        : null;

    /// <summary>The error to report when the probe's deadline passed while resolving <paramref name="host"/>.</summary>
    public static ProbeError DeadlineError(string host, IHostResolver resolver, TimeSpan waited, Exception? exception = null) =>
        new(ErrorKind.DnsTimeout, $"{host} did not resolve: no answer from {Describe(resolver)} within {Durations.Describe(waited)}")
        {
            Phase = "dns",
            Code = "TIMEOUT",
            Exception = exception,
        };

    /// <summary><c>system resolver</c> or the server's <c>host:port</c>, for messages.</summary>
    public static string Describe(IHostResolver resolver) =>
        resolver.Name == SystemName ? "the system resolver" : resolver.Name;

    /// <summary>IP literals and <c>localhost</c>: the addresses without asking DNS; null for any other name.</summary>
    internal static IReadOnlyList<IPAddress>? Literal(string host)
    {
        var trimmed = host.Trim('[', ']');
        if (IPAddress.TryParse(trimmed, out var address))
        {
            return [address];
        }

        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return [IPAddress.Loopback, IPAddress.IPv6Loopback];
        }

        return null;
    }

    /// <summary>
    /// The error for an answer that came but cannot be used — <see cref="ErrorKind.DnsMalformed"/>: it does not
    /// parse (<c>MALFORMED</c>), it is the answer to another query (<c>ID-MISMATCH</c>), or it is truncated even
    /// over TCP, or truncated (or unreadable) over UDP while TCP could not be used (<c>TRUNCATED</c>); null for any
    /// other failure. <paramref name="exception"/> is what <see cref="DnsLookup"/> threw.
    /// </summary>
    internal static ProbeError? Unreadable(string host, string server, Exception exception)
    {
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            var (code, message) = ex switch
            {
                // The library's own message quotes the bytes received: it stays out of the report.
                // A message cut short and one full of garbage fail alike (a read past the end): one code for both.
                DnsResponseParseException { ResponseData: { } data } parse =>
                    ("MALFORMED", $"{host} did not resolve: the answer from {server} could not be read ({Bytes(data.Length)}, unreadable from byte {parse.Index.ToString(CultureInfo.InvariantCulture)})"),
                DnsResponseParseException =>
                    ("MALFORMED", $"{host} did not resolve: the answer from {server} could not be read"),
                DnsTcpFallbackException fallback =>
                    ("TRUNCATED", $"{host} did not resolve: the answer from {server} over UDP was truncated or could not be read, and {server} could not be asked over TCP ({fallback.Reason})"),
                DnsXidMismatchException mismatch =>
                    ("ID-MISMATCH", $"{host} did not resolve: the answer from {server} carries id {mismatch.ResponseXid.ToString(CultureInfo.InvariantCulture)}, not the query's {mismatch.RequestXid.ToString(CultureInfo.InvariantCulture)}"),
                // After the TCP step, a truncation DnsClient reports is one over TCP too.
                DnsResponseException response when DnsLookup.IsTruncated(response) =>
                    ("TRUNCATED", $"{host} did not resolve: the answer from {server} is truncated (TC) even over TCP"),
                _ => (null, null),
            };
            if (code is not null)
            {
                return new ProbeError(ErrorKind.DnsMalformed, message!) { Phase = "dns", Code = code, Exception = exception };
            }
        }

        return null;
    }

    private static string Bytes(int count) => count == 1 ? "1 byte" : count.ToString(CultureInfo.InvariantCulture) + " bytes";

    internal static ProbeException Failure(ErrorKind kind, string code, string message, Exception? exception = null) =>
        new(new ProbeError(kind, message) { Phase = "dns", Code = code, Exception = exception });

    internal static string RcodeName(DnsHeaderResponseCode code) => code switch
    {
        DnsHeaderResponseCode.NoError => "NOERROR",
        DnsHeaderResponseCode.FormatError => "FORMERR",
        DnsHeaderResponseCode.ServerFailure => "SERVFAIL",
        DnsHeaderResponseCode.NotExistentDomain => "NXDOMAIN",
        DnsHeaderResponseCode.NotImplemented => "NOTIMP",
        DnsHeaderResponseCode.Refused => "REFUSED",
        DnsHeaderResponseCode.ExistingDomain => "YXDOMAIN",
        DnsHeaderResponseCode.ExistingResourceRecordSet => "YXRRSET",
        DnsHeaderResponseCode.MissingResourceRecordSet => "NXRRSET",
        DnsHeaderResponseCode.NotAuthorized => "NOTAUTH",
        DnsHeaderResponseCode.NotZone => "NOTZONE",
        _ => "RCODE" + ((int)code).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The error kind for an rcode that is not NOERROR.</summary>
    internal static ErrorKind KindOf(DnsHeaderResponseCode code) => code switch
    {
        DnsHeaderResponseCode.NotExistentDomain => ErrorKind.DnsNxDomain,
        DnsHeaderResponseCode.ServerFailure => ErrorKind.DnsServFail,
        _ => ErrorKind.DnsRefused,
    };

    private sealed class SystemHostResolver : IHostResolver
    {
        public string Name => SystemName;

        public async Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken)
        {
            if (Literal(host) is { } literal)
            {
                return literal;
            }

            var started = Stopwatch.GetTimestamp();
            IPAddress[] addresses;
            try
            {
                addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                var waited = Stopwatch.GetElapsedTime(started);
                throw ex.SocketErrorCode switch
                {
                    SocketError.HostNotFound => Failure(ErrorKind.DnsNxDomain, "NXDOMAIN", $"{host} did not resolve: NXDOMAIN from the system resolver", ex),
                    SocketError.NoData => Failure(ErrorKind.DnsNoAnswer, "NOERROR", $"{host} did not resolve: the system resolver has no address records for it", ex),
                    // getaddrinfo says EAI_AGAIN both for SERVFAIL and for an unanswered query; the time taken tells them apart.
                    SocketError.TryAgain when waited >= TimeSpan.FromSeconds(1) => Failure(ErrorKind.DnsTimeout, "TIMEOUT", $"{host} did not resolve: no answer from the system resolver within {Durations.Describe(waited)}", ex),
                    SocketError.TryAgain => Failure(ErrorKind.DnsServFail, "SERVFAIL", $"{host} did not resolve: temporary failure (SERVFAIL) from the system resolver", ex),
                    _ => Failure(ErrorKind.DnsServFail, ex.SocketErrorCode.ToString(), $"{host} did not resolve: the system resolver failed ({ex.SocketErrorCode})", ex),
                };
            }

            if (addresses.Length == 0)
            {
                throw Failure(ErrorKind.DnsNoAnswer, "NOERROR", $"{host} did not resolve: the system resolver returned no addresses");
            }

            return addresses;
        }
    }
}

/// <summary>Asks one DNS server directly (UDP, TCP fallback), A then AAAA, no cache.</summary>
internal sealed class DnsServerResolver : IHostResolver
{
    private readonly DnsLookup _lookup;

    public DnsServerResolver(IPEndPoint server)
    {
        Server = server;
        Name = server.ToString();
        _lookup = new DnsLookup(server);
    }

    public IPEndPoint Server { get; }

    public string Name { get; }

    public async Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        if (HostResolvers.Literal(host) is { } literal)
        {
            return literal;
        }

        var aTask = QueryAsync(host, QueryType.A, cancellationToken);
        var aaaaTask = QueryAsync(host, QueryType.AAAA, cancellationToken);
        try
        {
            await Task.WhenAll(aTask, aaaaTask).ConfigureAwait(false);
        }
        catch (ProbeException) when (aTask.IsCompletedSuccessfully || aaaaTask.IsCompletedSuccessfully)
        {
            // One family answered; the other's failure matters only if the answer is empty (below).
        }

        // A decides the outcome: its failure is the failure, whatever AAAA said.
        var a = await aTask.ConfigureAwait(false);
        ThrowOnError(host, a);
        var addresses = a.Answers.ARecords().Select(r => r.Address).ToList();
        if (aaaaTask.IsCompletedSuccessfully && !aaaaTask.Result.HasError)
        {
            addresses.AddRange(aaaaTask.Result.Answers.AaaaRecords().Select(r => r.Address));
        }

        if (addresses.Count == 0)
        {
            var aaaa = await aaaaTask.ConfigureAwait(false);
            ThrowOnError(host, aaaa);
            throw HostResolvers.Failure(ErrorKind.DnsNoAnswer, "NOERROR", $"{host} did not resolve: NOERROR but no A or AAAA records from {Name}");
        }

        return addresses;
    }

    private async Task<IDnsQueryResponse> QueryAsync(string host, QueryType type, CancellationToken cancellationToken)
    {
        try
        {
            return await _lookup.QueryAsync(host, type, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (HostResolvers.Unreadable(host, Name, ex) is { } unreadable)
        {
            throw new ProbeException(unreadable);
        }
        catch (DnsResponseException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw Unanswered(host, ex);
        }
        catch (DnsResponseException ex)
        {
            // The deadline fired while the library was failing: report it as the deadline, which callers type by phase.
            throw new OperationCanceledException("the DNS query did not finish before the deadline", ex, cancellationToken);
        }
    }

    private ProbeException Unanswered(string host, DnsResponseException ex)
    {
        var waited = DnsLookup.AttemptTimeout * 2;
        return ex.Code == DnsResponseCode.ConnectionTimeout
            ? HostResolvers.Failure(ErrorKind.DnsTimeout, "TIMEOUT", $"{host} did not resolve: no answer from {Name} within {Durations.Describe(waited)}", ex)
            : HostResolvers.Failure(ErrorKind.DnsRefused, ex.Code.ToString(), $"{host} did not resolve: {Name} could not be asked ({ex.Code})", ex);
    }

    private void ThrowOnError(string host, IDnsQueryResponse response)
    {
        var code = response.Header.ResponseCode;
        if (code != DnsHeaderResponseCode.NoError)
        {
            var name = HostResolvers.RcodeName(code);
            throw HostResolvers.Failure(HostResolvers.KindOf(code), name, $"{host} did not resolve: {name} from {Name}");
        }
    }
}
