using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Faultline.Lab.Relay;

namespace Faultline.Lab.Tests.Relay;

/// <summary>A real echo server on 127.0.0.1:0: every byte a client sends comes back.</summary>
internal sealed class EchoServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _clients = [];
    private readonly Task _loop;
    private int _accepted;

    public EchoServer()
    {
        _listener.Start();
        EndPoint = (IPEndPoint)_listener.LocalEndpoint;
        _loop = AcceptLoopAsync();
    }

    public IPEndPoint EndPoint { get; }

    public int Accepted => Volatile.Read(ref _accepted);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_clients)
        {
            foreach (var client in _clients)
            {
                client.Dispose();
            }
        }

        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            lock (_clients)
            {
                _clients.Add(client);
            }

            _ = EchoAsync(client);
        }
    }

    private static async Task EchoAsync(TcpClient client)
    {
        client.NoDelay = true;
        var buffer = new byte[16 * 1024];
        try
        {
            var stream = client.GetStream();
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, read));
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The relay reset or closed the connection.
        }
        finally
        {
            client.Dispose();
        }
    }
}

/// <summary>An echo upstream behind one relay link named <c>echo</c>.</summary>
internal sealed class EchoRelay : IAsyncDisposable
{
    public const string Link = "echo";

    private EchoRelay(EchoServer echo, RelayHost host)
    {
        Echo = echo;
        Host = host;
    }

    public EchoServer Echo { get; }

    public RelayHost Host { get; }

    public IPEndPoint Listen => Host.ListenEndPoint(Link);

    public static async Task<EchoRelay> StartAsync(bool control = false)
    {
        var echo = new EchoServer();
        var host = await RelayHost.StartAsync(
            [new RelayLink(Link, new IPEndPoint(IPAddress.Loopback, 0), echo.EndPoint)],
            control ? new IPEndPoint(IPAddress.Loopback, 0) : null,
            CancellationToken.None);
        return new EchoRelay(echo, host);
    }

    public void Set(FaultSpec? fault) => Host.SetFault(Link, fault);

    public Task<Socket> ConnectAsync() => Client.ConnectAsync(Listen);

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Echo.DisposeAsync();
    }
}

internal static class Client
{
    /// <summary>How long a test waits for something that should happen.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public static async Task<Socket> ConnectAsync(IPEndPoint endpoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = new CancellationTokenSource(Patience);
            await socket.ConnectAsync(endpoint, timeout.Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static async Task SendAsync(Socket socket, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        var sent = 0;
        while (sent < bytes.Length)
        {
            sent += await socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None);
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes; throws <see cref="OperationCanceledException"/> after <paramref name="timeout"/>, <see cref="EndOfStreamException"/> on FIN.</summary>
    public static async Task<string> ReadAsync(Socket socket, int count, TimeSpan? timeout = null)
    {
        var buffer = new byte[count];
        using var cts = new CancellationTokenSource(timeout ?? Patience);
        var read = 0;
        while (read < count)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cts.Token);
            if (n == 0)
            {
                throw new EndOfStreamException($"end of stream after {read} of {count} bytes");
            }

            read += n;
        }

        return Encoding.ASCII.GetString(buffer);
    }

    /// <summary>Sends <paramref name="text"/> and reads it back; returns the round-trip time.</summary>
    public static async Task<TimeSpan> RoundTripAsync(Socket socket, string text, TimeSpan? timeout = null)
    {
        var watch = Stopwatch.StartNew();
        await SendAsync(socket, text);
        var echoed = await ReadAsync(socket, text.Length, timeout);
        watch.Stop();
        Assert.Equal(text, echoed);
        return watch.Elapsed;
    }

    /// <summary>Reads until the peer closes or resets; returns what arrived and the socket error, if any.</summary>
    public static async Task<(string Received, SocketError? Error)> ReadToEndAsync(Socket socket, TimeSpan? timeout = null)
    {
        var buffer = new byte[4096];
        var received = new StringBuilder();
        using var cts = new CancellationTokenSource(timeout ?? Patience);
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
            {
                received.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }

            return (received.ToString(), null);
        }
        catch (SocketException ex)
        {
            return (received.ToString(), ex.SocketErrorCode);
        }
    }

    /// <summary>
    /// Connects and reads to the end. A reset that arrives right after the handshake can already fail the
    /// connect call itself; either way the error is returned.
    /// </summary>
    public static async Task<(string Received, SocketError? Error)> ConnectAndReadToEndAsync(IPEndPoint endpoint)
    {
        try
        {
            using var client = await ConnectAsync(endpoint);
            return await ReadToEndAsync(client);
        }
        catch (SocketException ex)
        {
            return (string.Empty, ex.SocketErrorCode);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds, polling; fails after <see cref="Patience"/>.</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < Patience, $"timed out waiting until {what}");
            await Task.Delay(10);
        }
    }
}
