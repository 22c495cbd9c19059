using System.Net;
using System.Net.Sockets;
using Faultline.Core.Config;
using Faultline.Core.Model;

namespace Faultline.Probes.Net;

/// <summary>Opens TCP connections and turns socket failures into typed <see cref="ProbeError"/>s (phase <c>connect</c>).</summary>
internal static class TcpConnector
{
    /// <summary>
    /// Connects to the first address that accepts. Throws <see cref="ProbeException"/> with the failure of the
    /// first address when none does; cancellation of the token throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public static async Task<Socket> ConnectAsync(IReadOnlyList<IPAddress> addresses, int port, CancellationToken cancellationToken)
    {
        ProbeError? first = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken).ConfigureAwait(false);
                return socket;
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                first ??= ConnectError(ex, Endpoint(address, port));
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw new ProbeException(first ?? new ProbeError(ErrorKind.NetworkUnreachable, $"no address to connect to on port {port}") { Phase = "connect" });
    }

    public static ProbeError ConnectError(SocketException exception, string endpoint)
    {
        var code = exception.SocketErrorCode;
        var (kind, message) = code switch
        {
            SocketError.ConnectionRefused => (ErrorKind.ConnectionRefused, $"nothing listening on {endpoint} (connection refused)"),
            SocketError.TimedOut => (ErrorKind.ConnectTimeout, $"no answer to SYN from {endpoint}: the system gave up connecting (filtered or blackholed path)"),
            SocketError.ConnectionReset => (ErrorKind.ConnectionReset, $"{endpoint} reset the connection while connecting"),
            SocketError.NetworkUnreachable or SocketError.NetworkDown => (ErrorKind.NetworkUnreachable, $"no route to the network of {endpoint} ({code})"),
            SocketError.HostUnreachable or SocketError.HostDown => (ErrorKind.NetworkUnreachable, $"no route to host {endpoint} ({code})"),
            SocketError.ConnectionAborted or SocketError.Shutdown => (ErrorKind.ConnectionClosed, $"{endpoint} closed the connection"),
            _ => (ErrorKind.NetworkUnreachable, $"cannot connect to {endpoint} ({code})"),
        };
        return new ProbeError(kind, message) { Phase = "connect", Code = code.ToString(), Exception = exception };
    }

    /// <summary>The error for a connect that had no answer before the probe's deadline.</summary>
    public static ProbeError DeadlineError(string endpoint, TimeSpan waited, Exception? exception = null) =>
        new(ErrorKind.ConnectTimeout, $"no answer to SYN from {endpoint} within {Durations.Describe(waited)}: filtered or blackholed path")
        {
            Phase = "connect",
            Code = "TIMEOUT",
            Exception = exception,
        };

    public static string Endpoint(IPAddress address, int port) => new IPEndPoint(address, port).ToString();

    /// <summary><c>host:port</c>, with brackets around IPv6 literals.</summary>
    public static string Endpoint(string host, int port) => ConnectionUrl.FormatEndpoint(host, port);

    /// <summary>Finds the first <see cref="SocketException"/> in an exception's inner chain.</summary>
    public static SocketException? FindSocketException(Exception? exception) => ExceptionChain.Find<SocketException>(exception);

    /// <summary>Finds the first <see cref="ProbeException"/> in an exception's inner chain.</summary>
    public static ProbeException? FindProbeException(Exception? exception) => ExceptionChain.Find<ProbeException>(exception);
}
