using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Faultline.Probes.Net;

namespace Faultline.Probes.Shared;

/// <summary>
/// The network layers a client-library probe (postgres, redis) walks itself before the library
/// runs: resolve the host through <see cref="ProbeContext.Resolver"/>, then open and close one TCP
/// connection. A failure here is typed like the tcp probe types it (dns-*, connection-refused,
/// connect-timeout, network-unreachable, connection-reset), so the library's own, vaguer errors
/// are only ever about what happens after the transport works.
/// </summary>
/// <remarks>
/// Compiled into both database probe assemblies (linked source), internal to each. Its messages
/// follow the tcp probe's wording so one fault reads the same whichever kind found it.
/// </remarks>
internal sealed class NetworkPreflight
{
    private readonly ProbeContext _context;

    public NetworkPreflight(string host, int port, ProbeContext context)
    {
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

    public static string FormatEndpoint(string host, int port) =>
        host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[')
            ? string.Create(CultureInfo.InvariantCulture, $"[{host}]:{port}")
            : string.Create(CultureInfo.InvariantCulture, $"{host}:{port}");

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

        ProbeError? first = null;
        var connectStarted = time.GetTimestamp();
        foreach (var address in addresses)
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, Port), cancellationToken).ConfigureAwait(false);
                ConnectMs = Ms(time.GetElapsedTime(connectStarted));
                Address = address;
                socket.Shutdown(SocketShutdown.Both);
                return null;
            }
            catch (SocketException ex)
            {
                first ??= FromSocket(ex, Describe(address));
            }
            catch (OperationCanceledException ex) when (!_context.IsCallerCancellation)
            {
                var waited = time.GetElapsedTime(connectStarted);
                ConnectMs = Ms(waited);
                return new ProbeError(ErrorKind.ConnectTimeout, $"no answer to SYN from {Describe(address)} within {Durations.Describe(waited)}: filtered or blackholed path")
                {
                    Phase = "connect",
                    Code = "TIMEOUT",
                    Exception = ex,
                };
            }
        }

        ConnectMs = Ms(time.GetElapsedTime(connectStarted));
        return first ?? new ProbeError(ErrorKind.DnsNoAnswer, $"{Host} resolved to no address") { Phase = "dns" };
    }

    /// <summary>The typed error for a socket failure while connecting (or, after connecting, while talking).</summary>
    public static ProbeError FromSocket(SocketException ex, string where)
    {
        var code = ex.SocketErrorCode;
        var (kind, text) = code switch
        {
            SocketError.ConnectionRefused => (ErrorKind.ConnectionRefused, $"nothing listening on {where} (connection refused)"),
            SocketError.TimedOut => (ErrorKind.ConnectTimeout, $"no answer to SYN from {where}: the system gave up connecting (filtered or blackholed path)"),
            SocketError.ConnectionReset => (ErrorKind.ConnectionReset, $"{where} reset the connection"),
            SocketError.NetworkUnreachable or SocketError.NetworkDown => (ErrorKind.NetworkUnreachable, $"no route to the network of {where} ({code})"),
            SocketError.HostUnreachable or SocketError.HostDown => (ErrorKind.NetworkUnreachable, $"no route to host {where} ({code})"),
            SocketError.ConnectionAborted or SocketError.Shutdown => (ErrorKind.ConnectionClosed, $"{where} closed the connection"),
            _ => (ErrorKind.NetworkUnreachable, $"cannot connect to {where} ({code})"),
        };
        return new ProbeError(kind, text) { Phase = "connect", Code = ex.SocketErrorCode.ToString(), Exception = ex };
    }

    /// <summary><c>host:port</c>, plus the address when the host is a name: <c>db.internal:5432 (10.0.0.5)</c>.</summary>
    public string Describe(IPAddress? address) =>
        address is null || string.Equals(address.ToString(), Host.Trim('[', ']'), StringComparison.OrdinalIgnoreCase)
            ? Endpoint
            : $"{Endpoint} ({address})";

    public static double Ms(TimeSpan value) => Math.Round(value.TotalMilliseconds, 3);
}
