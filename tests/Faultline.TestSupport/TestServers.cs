using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Faultline.TestSupport;

/// <summary>
/// Real servers on 127.0.0.1 and ephemeral ports, each producing one network fault or one canned answer.
/// Every server is <see cref="IAsyncDisposable"/> and closes its sockets on dispose.
/// </summary>
public static class TestServers
{
    /// <summary>A port on 127.0.0.1 that nothing listens on (bound to learn a free number, then closed): connects are refused.</summary>
    public static int ClosedPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>A listener whose accept queue is full, so the kernel drops new SYNs: connects time out.</summary>
    public static Task<SynDropServer> SynDropAsync() => SynDropServer.StartAsync();

    /// <summary>Accepts connections and never answers.</summary>
    public static HungServer Hung() => new();

    /// <summary>Accepts, reads the request, then resets the connection (RST via linger 0).</summary>
    public static ResetServer Reset() => new();

    /// <summary>Resets every connection as soon as it is accepted, before reading anything (a firewall or proxy that refuses after the handshake).</summary>
    public static ResetServer ResetOnAccept() => new() { OnAccept = true };

    /// <summary>Answers every request with <paramref name="rawResponse"/> verbatim (status line, headers, body), over TLS when <paramref name="certificate"/> is given.</summary>
    public static RawHttpServer Http(string rawResponse, X509Certificate2? certificate = null) =>
        new(_ => rawResponse, certificate);

    /// <summary>Answers each request with the raw response <paramref name="responder"/> picks for its request line (e.g. <c>GET /a HTTP/1.1</c>).</summary>
    public static RawHttpServer Http(Func<string, string> responder, X509Certificate2? certificate = null) =>
        new(responder, certificate);

    /// <summary>Answers each request with the raw response <paramref name="responder"/> builds from the whole request (head and body): an echo server.</summary>
    public static RawHttpServer HttpEcho(Func<string, string> responder, X509Certificate2? certificate = null) =>
        new(responder, certificate, wholeRequest: true);

    /// <summary>Writes <paramref name="banner"/> as soon as a connection is accepted, without reading, then closes (an SSH or SMTP server, a plain-HTTP error page on a TLS port).</summary>
    public static BannerServer Banner(string banner) => new(banner);

    /// <summary>A TLS server presenting <paramref name="certificate"/> that answers HTTP requests with 200 "ok".</summary>
    public static RawHttpServer Tls(X509Certificate2 certificate) =>
        new(_ => RawResponse(200, "OK", "ok"), certificate);

    /// <summary>A raw HTTP/1.1 response with Content-Length and Connection: close, plus extra header lines.</summary>
    public static string RawResponse(int status, string reason, string body, params string[] headers)
    {
        var builder = new StringBuilder();
        builder.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {reason}\r\n");
        foreach (var header in headers)
        {
            builder.Append(header).Append("\r\n");
        }

        builder.Append(CultureInfo.InvariantCulture, $"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\n");
        builder.Append("Connection: close\r\n\r\n");
        builder.Append(body);
        return builder.ToString();
    }
}

/// <summary>A TCP listener on 127.0.0.1 with an accept loop; subclasses decide what to do with each connection.</summary>
public abstract class LoopbackServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Socket> _connections = [];
    private readonly ConcurrentBag<Task> _handlers = [];
    private readonly Task _acceptLoop;
    private int _accepted;

    protected LoopbackServer(int backlog = 128)
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(backlog);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port { get; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    /// <summary><c>127.0.0.1:port</c>.</summary>
    public string Address => $"127.0.0.1:{Port}";

    /// <summary>Connections accepted so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    protected CancellationToken Stopping => _stop.Token;

    protected abstract Task HandleAsync(Socket connection, CancellationToken cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        foreach (var connection in _connections)
        {
            connection.Dispose();
        }

        try
        {
            await Task.WhenAll(_handlers.Append(_acceptLoop)).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException or TimeoutException or System.Security.Authentication.AuthenticationException)
        {
            // Shutting down: handlers end with whatever the closed sockets throw.
        }

        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            _connections.Add(connection);
            _handlers.Add(RunHandlerAsync(connection));
        }
    }

    private async Task RunHandlerAsync(Socket connection)
    {
        try
        {
            await HandleAsync(connection, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
        {
            // The client went away or the server is stopping: both are normal for a fault server.
        }
    }

    /// <summary>Reads an HTTP request head (and a Content-Length body); returns the head, or null if the peer closed first.</summary>
    protected static async Task<string?> ReadRequestAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new List<byte>(1024);
        var chunk = new byte[4096];
        var headEnd = -1;
        while (headEnd < 0)
        {
            var read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return null;
            }

            buffer.AddRange(chunk.AsSpan(0, read));
            headEnd = IndexOfHeadEnd(buffer);
        }

        var head = Encoding.ASCII.GetString(buffer.GetRange(0, headEnd).ToArray());
        var contentLength = 0;
        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                contentLength = int.Parse(line["Content-Length:".Length..].Trim(), CultureInfo.InvariantCulture);
            }
        }

        var bodyRead = buffer.Count - (headEnd + 4);
        while (bodyRead < contentLength)
        {
            var read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            buffer.AddRange(chunk.AsSpan(0, read));
            bodyRead += read;
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static int IndexOfHeadEnd(List<byte> buffer)
    {
        for (var i = 0; i + 3 < buffer.Count; i++)
        {
            if (buffer[i] == '\r' && buffer[i + 1] == '\n' && buffer[i + 2] == '\r' && buffer[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>Accepts connections and holds them open without reading or writing.</summary>
public sealed class HungServer : LoopbackServer
{
    protected override Task HandleAsync(Socket connection, CancellationToken cancellationToken) =>
        Task.Delay(Timeout.Infinite, cancellationToken);
}

/// <summary>Writes a fixed banner on accept, then closes the connection.</summary>
public sealed class BannerServer(string banner) : LoopbackServer
{
    protected override async Task HandleAsync(Socket connection, CancellationToken cancellationToken)
    {
        await connection.SendAsync(Encoding.UTF8.GetBytes(banner), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        connection.Shutdown(SocketShutdown.Send);
        var buffer = new byte[4096];
        while (await connection.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false) > 0)
        {
            // Drain until the client closes, so it sees our bytes and a clean FIN rather than a reset.
        }

        connection.Dispose();
    }
}

/// <summary>Accepts, waits for the first bytes of the request, then closes with RST.</summary>
public sealed class ResetServer : LoopbackServer
{
    /// <summary>Reset at once instead of after the first bytes of a request.</summary>
    public bool OnAccept { get; init; }

    protected override async Task HandleAsync(Socket connection, CancellationToken cancellationToken)
    {
        if (!OnAccept)
        {
            var buffer = new byte[1024];
            await connection.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }

        connection.LingerState = new LingerOption(enable: true, seconds: 0);
        connection.Close();
    }
}

/// <summary>
/// Replays a raw HTTP response chosen per request line, over plain TCP or TLS with a given certificate,
/// then closes the connection. Requests received are kept in <see cref="Requests"/>.
/// </summary>
public sealed class RawHttpServer : LoopbackServer
{
    private readonly Func<string, string> _responder;
    private readonly X509Certificate2? _certificate;
    private readonly bool _wholeRequest;

    public RawHttpServer(Func<string, string> responder, X509Certificate2? certificate = null, bool wholeRequest = false)
    {
        _responder = responder;
        _certificate = certificate;
        _wholeRequest = wholeRequest;
    }

    /// <summary>Every request received, raw (head and body).</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>TLS handshakes completed (TLS servers only).</summary>
    public int Handshakes => Volatile.Read(ref _handshakes);

    private int _handshakes;

    /// <summary><c>http://127.0.0.1:port</c> or <c>https://127.0.0.1:port</c>.</summary>
    public string BaseUrl => $"{(_certificate is null ? "http" : "https")}://127.0.0.1:{Port}";

    protected override async Task HandleAsync(Socket connection, CancellationToken cancellationToken)
    {
        Stream stream = new NetworkStream(connection, ownsSocket: true);
        await using (stream.ConfigureAwait(false))
        {
            if (_certificate is not null)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _handshakes);
                stream = ssl;
            }

            var request = await ReadRequestAsync(stream, cancellationToken).ConfigureAwait(false);
            if (request is null)
            {
                return;
            }

            Requests.Enqueue(request);
            var requestLine = request.Split("\r\n", 2)[0];
            var response = Encoding.UTF8.GetBytes(_responder(_wholeRequest ? request : requestLine));
            await stream.WriteAsync(response, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (stream is SslStream tls)
            {
                await tls.ShutdownAsync().ConfigureAwait(false);
            }

            connection.Shutdown(SocketShutdown.Send);
        }
    }
}

/// <summary>
/// A listener with a full accept queue. Linux drops SYNs to such a listener (with <c>tcp_abort_on_overflow</c> = 0),
/// so a client's connect gets no answer: the same symptom as a filtered or blackholed path.
/// </summary>
public sealed class SynDropServer : IAsyncDisposable
{
    private const int Backlog = 1;

    private readonly Socket _listener;
    private readonly List<Socket> _fillers = [];

    private SynDropServer(Socket listener)
    {
        _listener = listener;
        Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
    }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    /// <summary>Connections it took to fill the queue.</summary>
    public int Fillers => _fillers.Count;

    public static async Task<SynDropServer> StartAsync()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(Backlog);
        var server = new SynDropServer(listener);
        var endpoint = new IPEndPoint(IPAddress.Loopback, server.Port);
        try
        {
            // Linux queues backlog + 1 connections; each of these completes, the next SYN is dropped.
            for (var i = 0; i <= Backlog; i++)
            {
                var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                server._fillers.Add(client);
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await client.ConnectAsync(endpoint, wait.Token).ConfigureAwait(false);
            }

            // Confirm from the kernel's own count that the queue is full, rather than trusting timing.
            var deadline = TimeProvider.System.GetTimestamp();
            while (AcceptQueueLength(server.Port) is { } queued && queued <= Backlog)
            {
                if (TimeProvider.System.GetElapsedTime(deadline) > TimeSpan.FromSeconds(5))
                {
                    throw new InvalidOperationException($"the accept queue of 127.0.0.1:{server.Port} holds {queued} connections, expected {Backlog + 1}");
                }

                await Task.Delay(10).ConfigureAwait(false);
            }
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return server;
    }

    /// <summary>Connections waiting in the accept queue of a loopback listener, from /proc/net/tcp (rx_queue of a LISTEN socket); null when unknown.</summary>
    public static int? AcceptQueueLength(int port)
    {
        const string Table = "/proc/net/tcp";
        if (!File.Exists(Table))
        {
            return null;
        }

        var local = $"0100007F:{port:X4}";
        foreach (var line in File.ReadLines(Table).Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 4 && fields[1] == local && fields[3] == "0A")
            {
                var queues = fields[4].Split(':');
                return int.Parse(queues[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    public ValueTask DisposeAsync()
    {
        foreach (var filler in _fillers)
        {
            filler.Dispose();
        }

        _listener.Dispose();
        return ValueTask.CompletedTask;
    }
}
