using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Faultline.Lab.Relay;

/// <summary>
/// One client connection through a link: applies the connect-time faults (reset, drop, slow-accept,
/// connection-cap, blackhole), connects upstream and pumps both directions with pooled buffers.
/// </summary>
internal sealed class RelayConnection
{
    internal const int BufferSize = 16 * 1024;

    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(5);

    private readonly RelayListener _link;
    private readonly Socket _client;
    private Socket? _upstream;
    private long _resetBudget = -1;
    private long _relayed;
    private int _aborted;

    public RelayConnection(RelayListener link, long id, Socket client)
    {
        _link = link;
        Id = id;
        _client = client;
    }

    public long Id { get; }

    public async Task RunAsync()
    {
        _link.Track(this);
        var admitted = false;
        try
        {
            admitted = await OpenAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            Abort();
        }
        catch (Exception ex)
        {
            RelayLog.ConnectionFailed(_link.Logger, _link.Link.Name, Id, ex);
            Abort();
        }
        finally
        {
            if (admitted)
            {
                _link.Release();
            }

            _client.Dispose();
            _upstream?.Dispose();
            _link.Untrack(this);
        }
    }

    /// <summary>Resets both sides (RST, not FIN); safe to call more than once and from any thread.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        Reset(_client);
        if (Volatile.Read(ref _upstream) is { } upstream)
        {
            Reset(upstream);
        }
    }

    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed: nothing left to reset.
        }

        socket.Dispose();
    }

    /// <returns>True when the connection took a slot of the link's cap (and must release it).</returns>
    private async Task<bool> OpenAsync()
    {
        _client.NoDelay = true;
        var stopping = _link.Stopping;
        var fault = _link.Fault;
        switch (fault)
        {
            case { Kind: FaultKind.Reset, AfterBytes: null }:
                Action("reset at connect");
                Abort();
                return false;
            case { Kind: FaultKind.Reset, AfterBytes: { } after }:
                _resetBudget = after;
                break;
            case { Kind: FaultKind.Drop } when _link.ShouldDrop(fault):
                Action("dropped");
                await CloseGracefullyAsync(stopping).ConfigureAwait(false);
                return false;
            case { Kind: FaultKind.SlowAccept, Delay: { } delay }:
                Action("held (slow-accept)");
                await Task.Delay(delay, _link.Time, stopping).ConfigureAwait(false);
                break;
            default:
                break;
        }

        if (!await _link.AdmitAsync(stopping).ConfigureAwait(false))
        {
            Action("rejected (connection-cap)");
            await CloseGracefullyAsync(stopping).ConfigureAwait(false);
            return false;
        }

        if (_link.Fault is { Kind: FaultKind.Blackhole })
        {
            Action("blackholed");
            await DiscardAsync(_client).ConfigureAwait(false);
            return true;
        }

        var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Volatile.Write(ref _upstream, upstream);
        if (Volatile.Read(ref _aborted) != 0)
        {
            return true;
        }

        try
        {
            await upstream.ConnectAsync(_link.Link.Upstream, stopping).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            RelayLog.UpstreamFailed(_link.Logger, _link.Link.Name, _link.Link.UpstreamText, ex.SocketErrorCode.ToString());
            Abort();
            return true;
        }

        var up = PumpAsync(_client, upstream, FaultDirection.Up);
        var down = PumpAsync(upstream, _client, FaultDirection.Down);
        await Task.WhenAll(up, down).ConfigureAwait(false);
        return true;
    }

    /// <summary>FIN to the client, then read until it closes, so it sees end-of-stream rather than a reset.</summary>
    private async Task CloseGracefullyAsync(CancellationToken stopping)
    {
        _client.Shutdown(SocketShutdown.Send);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        limit.CancelAfter(DrainLimit);
        var buffer = ArrayPool<byte>.Shared.Rent(1024);
        try
        {
            while (await _client.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, limit.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads and drops everything the client sends until it closes (a connection born in a blackhole).</summary>
    private static async Task DiscardAsync(Socket socket)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).ConfigureAwait(false) > 0)
            {
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task PumpAsync(Socket from, Socket to, FaultDirection direction)
    {
        await Task.Yield();
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        DelayLine? line = null;
        Throttle? throttle = null;
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).ConfigureAwait(false);
                if (read == 0)
                {
                    if (line is not null)
                    {
                        await line.CompleteAsync().ConfigureAwait(false);
                    }

                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                var count = read;
                var resetAfter = false;
                if (_resetBudget >= 0)
                {
                    var total = Interlocked.Add(ref _relayed, read);
                    if (total >= _resetBudget)
                    {
                        count = (int)Math.Max(0, read - (total - _resetBudget));
                        resetAfter = true;
                    }
                }

                var fault = _link.Fault;
                if (fault is { Kind: FaultKind.Blackhole })
                {
                    continue;
                }

                if (fault is { Kind: FaultKind.Latency } && (fault.Direction is null or FaultDirection.Both || fault.Direction == direction))
                {
                    line ??= new DelayLine(to, _link.Time, Abort);
                    var due = _link.Time.GetTimestamp() + Ticks(Delay(fault), _link.Time);
                    buffer = await line.EnqueueAsync(buffer, count, due).ConfigureAwait(false);
                }
                else if (line is { Pending: > 0 })
                {
                    buffer = await line.EnqueueAsync(buffer, count, _link.Time.GetTimestamp()).ConfigureAwait(false);
                }
                else if (fault is { Kind: FaultKind.Bandwidth, BytesPerSecond: { } rate })
                {
                    throttle ??= new Throttle();
                    await throttle.SendAsync(to, buffer.AsMemory(0, count), fault, rate, _link.Time).ConfigureAwait(false);
                }
                else
                {
                    await SendAllAsync(to, buffer.AsMemory(0, count)).ConfigureAwait(false);
                }

                if (resetAfter)
                {
                    if (line is not null)
                    {
                        await line.CompleteAsync().ConfigureAwait(false);
                    }

                    Action("reset after bytes");
                    Abort();
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException or OperationCanceledException or ChannelClosedException)
        {
            Abort();
        }
        finally
        {
            if (line is not null)
            {
                await line.DisposeAsync().ConfigureAwait(false);
            }

            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None).ConfigureAwait(false);
            data = data[sent..];
        }
    }

    private static TimeSpan Delay(FaultSpec fault)
    {
        var delay = fault.Delay ?? TimeSpan.Zero;
        if (fault.Jitter is { } jitter && jitter > TimeSpan.Zero)
        {
            delay += TimeSpan.FromTicks((long)((Random.Shared.NextDouble() * 2 - 1) * jitter.Ticks));
        }

        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
    }

    private static long Ticks(TimeSpan span, TimeProvider time) => (long)(span.TotalSeconds * time.TimestampFrequency);

    private void Action(string action) => RelayLog.ConnectionAction(_link.Logger, _link.Link.Name, Id, action);

    /// <summary>Spaces out writes so that one direction of one connection stays at the fault's rate.</summary>
    private sealed class Throttle
    {
        private FaultSpec? _fault;
        private long _start;
        private long _bytes;

        public async ValueTask SendAsync(Socket to, ReadOnlyMemory<byte> data, FaultSpec fault, long rate, TimeProvider time)
        {
            if (!ReferenceEquals(_fault, fault))
            {
                _fault = fault;
                _start = time.GetTimestamp();
                _bytes = 0;
            }

            // Slices of about 50 ms worth of bytes, so the rate holds within a chunk too.
            var slice = (int)Math.Clamp(rate / 20, 1, BufferSize);
            while (!data.IsEmpty)
            {
                var due = _start + (long)((double)_bytes / rate * time.TimestampFrequency);
                var wait = due - time.GetTimestamp();
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds((double)wait / time.TimestampFrequency), time).ConfigureAwait(false);
                }

                var part = data[..Math.Min(slice, data.Length)];
                await SendAllAsync(to, part).ConfigureAwait(false);
                _bytes += part.Length;
                data = data[part.Length..];
            }
        }
    }

    /// <summary>
    /// The delayed writer of one direction: chunks wait in order until their due time, then are
    /// written by one task. Bounded, so a fast sender is slowed rather than buffered without limit.
    /// </summary>
    private sealed class DelayLine : IAsyncDisposable
    {
        private readonly Channel<Chunk> _chunks = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(64) { SingleReader = true, SingleWriter = true });
        private readonly Socket _to;
        private readonly TimeProvider _time;
        private readonly Action _abort;
        private readonly Task _writer;
        private long _lastDue;
        private int _pending;
        private bool _failed;

        public DelayLine(Socket to, TimeProvider time, Action abort)
        {
            _to = to;
            _time = time;
            _abort = abort;
            _writer = WriteLoopAsync();
        }

        public int Pending => Volatile.Read(ref _pending);

        /// <summary>Hands the buffer over and returns a fresh one for the next read.</summary>
        public async ValueTask<byte[]> EnqueueAsync(byte[] buffer, int count, long due)
        {
            due = Math.Max(due, _lastDue);
            _lastDue = due;
            Interlocked.Increment(ref _pending);
            await _chunks.Writer.WriteAsync(new Chunk(buffer, count, due)).ConfigureAwait(false);
            return ArrayPool<byte>.Shared.Rent(BufferSize);
        }

        public async Task CompleteAsync()
        {
            _chunks.Writer.TryComplete();
            await _writer.ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync()
        {
            _chunks.Writer.TryComplete();
            try
            {
                await _writer.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
            {
                // The connection is being torn down; the pump already reset it.
            }

            while (_chunks.Reader.TryRead(out var chunk))
            {
                ArrayPool<byte>.Shared.Return(chunk.Buffer);
            }
        }

        private async Task WriteLoopAsync()
        {
            await Task.Yield();
            await foreach (var chunk in _chunks.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                try
                {
                    if (_failed)
                    {
                        continue;
                    }

                    var wait = chunk.Due - _time.GetTimestamp();
                    if (wait > 0)
                    {
                        await Task.Delay(TimeSpan.FromSeconds((double)wait / _time.TimestampFrequency), _time).ConfigureAwait(false);
                    }

                    await SendAllAsync(_to, chunk.Buffer.AsMemory(0, chunk.Count)).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
                {
                    // The peer went away: reset the connection, then keep draining so the reader never blocks.
                    _failed = true;
                    _abort();
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(chunk.Buffer);
                    Interlocked.Decrement(ref _pending);
                }
            }
        }

        private readonly record struct Chunk(byte[] Buffer, int Count, long Due);
    }
}
