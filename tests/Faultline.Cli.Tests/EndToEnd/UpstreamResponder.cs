using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Faultline.Cli.Tests.EndToEnd;

/// <summary>
/// An application behind the local nginx: listens on a fixed loopback port (the one nginx's <c>/app/</c>
/// location proxies to) and answers every request with one raw HTTP response, then closes.
/// </summary>
internal sealed class UpstreamResponder : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly byte[] _response;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _requests;

    private UpstreamResponder(TcpListener listener, string rawResponse)
    {
        _listener = listener;
        _response = Encoding.UTF8.GetBytes(rawResponse);
        _loop = ServeAsync();
    }

    /// <summary>Requests answered so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Starts listening on 127.0.0.1:<paramref name="port"/>; fails with the port named when something else holds it.</summary>
    public static UpstreamResponder Start(int port, string rawResponse)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
        }
        catch (SocketException ex)
        {
            listener.Dispose();
            throw new InvalidOperationException($"cannot listen on nginx's upstream port 127.0.0.1:{port} ({ex.SocketErrorCode}); another process holds it", ex);
        }

        return new UpstreamResponder(listener, rawResponse);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException or TimeoutException)
        {
            // Stopping.
        }

        _listener.Dispose();
        _stop.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = AnswerAsync(client);
        }
    }

    private async Task AnswerAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = new StringBuilder();
                var buffer = new byte[4096];
                while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var read = await stream.ReadAsync(buffer, _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    head.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }

                Interlocked.Increment(ref _requests);
                await stream.WriteAsync(_response, _stop.Token);
                await stream.FlushAsync(_stop.Token);
                client.Client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
            {
                // The client went away or the responder is stopping.
            }
        }
    }
}
