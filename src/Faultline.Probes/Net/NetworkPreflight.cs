using System.Net;
using System.Net.Sockets;
using Faultline.Core.Model;
using Faultline.Core.Running;

namespace Faultline.Probes.Net;

/// <summary>
/// The network layers a client-library probe (postgres, redis) walks itself before the library
/// runs: resolve the host through <see cref="ProbeContext.Resolver"/>, then open and close one TCP
/// connection. A failure here is typed like the tcp probe types it (dns-*, connection-refused,
/// connect-timeout, network-unreachable, connection-reset), so the library's own, vaguer errors
/// are only ever about what happens after the transport works.
/// </summary>
public sealed class NetworkPreflight
{
    private readonly ProbeContext _context;

    public NetworkPreflight(string host, int port, ProbeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Host = host;
        Port = port;
        _context = context;
    }

    public string Host { get; }

    public int Port { get; }

    /// <summary><c>host:port</c>, IPv6 literals in brackets.</summary>
    public string Endpoint => FormatEndpoint(Host, Port);

    public double? DnsMs { get; private set; }

    public double? ConnectMs { get; private set; }

    /// <summary>Every address the host resolved to.</summary>
    public IReadOnlyList<string> Addresses { get; private set; } = [];

    /// <summary>The address that accepted the TCP connection; null until one did.</summary>
    public IPAddress? Address { get; private set; }

    public bool Connected => Address is not null;

    /// <summary><c>host:port</c>, IPv6 literals in brackets.</summary>
    public static string FormatEndpoint(string host, int port) => TcpConnector.Endpoint(host, port);

    /// <summary>
    /// Resolve and connect. Returns null when a TCP connection was made (and closed again), else the
    /// typed error of the layer that failed. The deadline (<paramref name="cancellationToken"/> firing
    /// without <see cref="ProbeContext.IsCallerCancellation"/>) becomes dns-timeout or connect-timeout;
    /// only a caller cancellation throws.
    /// </summary>
    public async Task<ProbeError?> RunAsync(CancellationToken cancellationToken)
    {
        var time = _context.Time;
        var started = time.GetTimestamp();
        IReadOnlyList<IPAddress> addresses;
        try
        {
            addresses = await _context.Resolver.ResolveAsync(Host, cancellationToken).ConfigureAwait(false);
        }
        catch (ProbeException ex)
        {
            DnsMs = Ms(time.GetElapsedTime(started));
            return ex.Error;
        }
        catch (OperationCanceledException ex) when (!_context.IsCallerCancellation)
        {
            var waited = time.GetElapsedTime(started);
            DnsMs = Ms(waited);
            return HostResolvers.DeadlineError(Host, _context.Resolver, waited, ex);
        }

        DnsMs = Ms(time.GetElapsedTime(started));
        Addresses = addresses.Select(a => a.ToString()).ToList();
        if (addresses.Count == 0)
        {
            return new ProbeError(ErrorKind.DnsNoAnswer, $"{Host} resolved to no address") { Phase = "dns" };
        }

        var connectStarted = time.GetTimestamp();
        try
        {
            using var socket = await TcpConnector.ConnectAsync(addresses, Port, cancellationToken).ConfigureAwait(false);
            ConnectMs = Ms(time.GetElapsedTime(connectStarted));
            Address = (socket.RemoteEndPoint as IPEndPoint)?.Address ?? addresses[0];
            socket.Shutdown(SocketShutdown.Both);
            return null;
        }
        catch (ProbeException ex)
        {
            ConnectMs = Ms(time.GetElapsedTime(connectStarted));
            return ex.Error;
        }
        catch (OperationCanceledException ex) when (!_context.IsCallerCancellation)
        {
            var waited = time.GetElapsedTime(connectStarted);
            ConnectMs = Ms(waited);
            return TcpConnector.DeadlineError(Describe(addresses.Count == 1 ? addresses[0] : null), waited, ex);
        }
    }

    /// <summary>The typed error for a socket failure after the connection was made (phase <c>connect</c> unless the caller re-labels it).</summary>
    public static ProbeError FromSocket(SocketException exception, string where) => TcpConnector.ConnectError(exception, where);

    /// <summary><c>host:port</c>, plus the address when the host is a name: <c>db.internal:5432 (10.0.0.5)</c>.</summary>
    public string Describe(IPAddress? address) =>
        address is null || string.Equals(address.ToString(), Host.Trim('[', ']'), StringComparison.OrdinalIgnoreCase)
            ? Endpoint
            : $"{Endpoint} ({address})";

    /// <summary>Milliseconds rounded to three decimals, the precision every phase timing uses.</summary>
    public static double Ms(TimeSpan value) => Math.Round(value.TotalMilliseconds, 3);
}
