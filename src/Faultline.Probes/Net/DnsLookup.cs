using System.Net;
using System.Net.Sockets;
using DnsClient;

namespace Faultline.Probes.Net;

/// <summary>
/// Asks DNS servers directly, no cache: over UDP, and again over TCP when the UDP answer is truncated (TC) or
/// cannot be read. DnsClient's own TCP fallback reports a TCP failure after a truncated or unreadable UDP
/// answer as if the server could not be asked at all; here the two steps stay apart, so a TCP failure after
/// such an answer surfaces as <see cref="DnsTcpFallbackException"/>, and the answer is not taken for a refusal.
/// </summary>
internal sealed class DnsLookup
{
    /// <summary>Per attempt; with one retry a step gives up after about twice this unless the deadline comes first.</summary>
    internal static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(3);

    private readonly LookupClient _udp;
    private readonly LookupClient _tcp;

    public DnsLookup(params IPEndPoint[] servers)
    {
        _udp = new LookupClient(Options(servers, tcpOnly: false));
        _tcp = new LookupClient(Options(servers, tcpOnly: true));
    }

    /// <summary>
    /// The answer, whatever its rcode. Throws what DnsClient throws, except that a TCP failure other than a timeout
    /// after a truncated or unreadable UDP answer throws <see cref="DnsTcpFallbackException"/>.
    /// </summary>
    public async Task<IDnsQueryResponse> QueryAsync(string host, QueryType type, CancellationToken cancellationToken)
    {
        try
        {
            return await AskAsync(_udp, host, type, cancellationToken).ConfigureAwait(false);
        }
        catch (DnsResponseException ex) when (IsTruncated(ex))
        {
            // The TC bit, or an answer of at most 512 bytes that did not parse (DnsClient takes it for a truncation): ask over TCP.
        }

        try
        {
            return await AskAsync(_tcp, host, type, cancellationToken).ConfigureAwait(false);
        }
        catch (DnsResponseException ex) when (!IsTruncated(ex) && ex.Code != DnsResponseCode.ConnectionTimeout && !cancellationToken.IsCancellationRequested)
        {
            throw new DnsTcpFallbackException(ex);
        }
    }

    private static async Task<IDnsQueryResponse> AskAsync(LookupClient client, string host, QueryType type, CancellationToken cancellationToken)
    {
        try
        {
            return await client.QueryAsync(host, type, QueryClass.IN, cancellationToken).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not (DnsResponseException or DnsResponseParseException or DnsXidMismatchException or OperationCanceledException) && InParser(ex))
        {
            // DnsClient's parser fails on some hostile answers with its own bug (e.g. an ArgumentException for a
            // compression pointer past the end) instead of its parse exception: it is an unreadable answer all the same.
            throw new DnsResponseParseException("the answer could not be parsed", ex);
        }
    }

    /// <summary>Whether <paramref name="ex"/> was thrown while DnsClient parsed a received message.</summary>
    private static bool InParser(Exception ex) =>
        ex.StackTrace?.Contains("DnsClient.DnsMessageHandler.GetResponseMessage", StringComparison.Ordinal) == true;

    /// <summary>
    /// DnsClient throws Unassigned without an inner exception only for an answer it takes for truncated while it may
    /// not fall back to TCP: over UDP (TC, or unreadable), or over TCP itself (TC there too).
    /// </summary>
    internal static bool IsTruncated(DnsResponseException ex) => ex is { Code: DnsResponseCode.Unassigned, InnerException: null };

    private static LookupClientOptions Options(IPEndPoint[] servers, bool tcpOnly) =>
        new(servers.Select(s => new NameServer(s)).ToArray())
        {
            UseCache = false,
            UseTcpFallback = false,
            UseTcpOnly = tcpOnly,
            Timeout = AttemptTimeout,
            Retries = 1,
            ThrowDnsErrors = false,
            ContinueOnDnsError = false,
            ContinueOnEmptyResponse = false,
            Recursion = true,
        };
}

/// <summary>The UDP answer was truncated or unreadable, and the server could not be asked over TCP (the inner exception says why).</summary>
internal sealed class DnsTcpFallbackException : Exception
{
    public DnsTcpFallbackException(DnsResponseException tcpFailure)
        : base("the UDP answer was truncated or unreadable and the query over TCP failed", tcpFailure)
    {
    }

    public DnsTcpFallbackException()
    {
    }

    public DnsTcpFallbackException(string message)
        : base(message)
    {
    }

    public DnsTcpFallbackException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Why TCP failed: the socket error (e.g. ConnectionRefused), else the failure's type.</summary>
    public string Reason
    {
        get
        {
            for (var ex = InnerException; ex is not null; ex = ex.InnerException)
            {
                if (ex is SocketException socket)
                {
                    return socket.SocketErrorCode.ToString();
                }
            }

            return InnerException?.InnerException?.GetType().Name ?? InnerException?.GetType().Name ?? "unknown";
        }
    }
}
