using System.Net;

namespace Faultline.Lab.Relay;

/// <summary>
/// One relayed path: clients connect to <paramref name="Listen"/> (port 0 picks a free port, see
/// <see cref="RelayHost.ListenEndPoint"/>), the relay connects on to <paramref name="Upstream"/>
/// (an <see cref="IPEndPoint"/> or a <see cref="DnsEndPoint"/>, resolved per connection).
/// </summary>
public sealed record RelayLink(string Name, IPEndPoint Listen, EndPoint Upstream)
{
    /// <summary><c>host:port</c> of the upstream, IPv6 in brackets.</summary>
    public string UpstreamText => Format(Upstream);

    internal static string Format(EndPoint endpoint) => endpoint switch
    {
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        IPEndPoint ip => ip.ToString(),
        _ => endpoint.ToString() ?? string.Empty,
    };
}

/// <summary>What <c>GET /links</c> reports for one link.</summary>
/// <param name="Name">The link name.</param>
/// <param name="Listen">The address clients connect to (the bound port, also when the link asked for port 0).</param>
/// <param name="Upstream">Where the relay connects on to.</param>
/// <param name="Fault">The fault on the link, null when healthy.</param>
/// <param name="Connections">Client connections open now (relayed, queued or held).</param>
public sealed record RelayLinkStatus(string Name, string Listen, string Upstream, FaultSpec? Fault, int Connections);

/// <summary>The relay control API answered with an error, or could not be reached.</summary>
public sealed class RelayControlException : Exception
{
    public RelayControlException()
    {
    }

    public RelayControlException(string message)
        : base(message)
    {
    }

    public RelayControlException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public RelayControlException(string message, HttpStatusCode? statusCode, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
    }

    /// <summary>The HTTP status the control API answered, null when it did not answer.</summary>
    public HttpStatusCode? StatusCode { get; }
}
