using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Faultline.Lab.Relay;

/// <summary>
/// One link at run time: the listening socket, the current fault, the open connections and the
/// admission gate of the connection cap. Pumps read <see cref="Fault"/> per chunk, so latency,
/// blackhole and bandwidth reach connections that are already open.
/// </summary>
internal sealed class RelayListener : IAsyncDisposable
{
    private readonly ConcurrentDictionary<long, RelayConnection> _connections = new();
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private Socket? _listener;
    private Task _acceptLoop = Task.CompletedTask;
    private FaultSpec? _fault;
    private long _nextId;
    private long _dropCounter;
    private int _admitted;
    private TaskCompletionSource _slotFreed = NewSignal();
    private bool _disposed;

    public RelayListener(RelayLink link, TimeProvider time, ILogger logger)
    {
        Link = link;
        Time = time;
        Logger = logger;
        BoundEndPoint = link.Listen;
    }

    public RelayLink Link { get; }

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    /// <summary>The bound address: the requested one, with the kernel's port when the link asked for 0.</summary>
    public IPEndPoint BoundEndPoint { get; private set; }

    public FaultSpec? Fault => Volatile.Read(ref _fault);

    public int Connections => _connections.Count;

    public CancellationToken Stopping => _stopping.Token;

    public void Start()
    {
        Listen();
        RelayLog.Listening(Logger, Link.Name, BoundEndPoint, Link.UpstreamText);
    }

    public void SetFault(FaultSpec? fault)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var previous = _fault;
            if (fault?.Kind == FaultKind.Refuse && previous?.Kind != FaultKind.Refuse)
            {
                StopListening();
            }
            else if (fault?.Kind != FaultKind.Refuse && previous?.Kind == FaultKind.Refuse)
            {
                Listen();
            }

            Interlocked.Exchange(ref _dropCounter, 0);
            Volatile.Write(ref _fault, fault);
            PulseSlots();
        }

        if (fault is null)
        {
            RelayLog.FaultCleared(Logger, Link.Name);
        }
        else
        {
            RelayLog.FaultSet(Logger, Link.Name, fault.ToString());
        }
    }

    public RelayLinkStatus Status() => new(Link.Name, BoundEndPoint.ToString(), Link.UpstreamText, Fault, Connections);

    /// <summary>Counts a new connection against an active drop fault; true when this one is the Nth.</summary>
    public bool ShouldDrop(FaultSpec fault) =>
        fault.Every is { } every && Interlocked.Increment(ref _dropCounter) % every == 0;

    /// <summary>
    /// Admits a connection under the current cap. Returns false when a reject-mode cap is full; in queue
    /// mode waits until a relayed connection closes (or the cap is lifted or raised).
    /// </summary>
    public async ValueTask<bool> AdmitAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                var fault = _fault;
                if (fault is not { Kind: FaultKind.ConnectionCap, Max: { } max } || _admitted < max)
                {
                    _admitted++;
                    return true;
                }

                if (fault.Mode != CapMode.Queue)
                {
                    return false;
                }

                wait = _slotFreed.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Release()
    {
        lock (_gate)
        {
            _admitted--;
            PulseSlots();
        }
    }

    public void Track(RelayConnection connection) => _connections[connection.Id] = connection;

    public void Untrack(RelayConnection connection) => _connections.TryRemove(connection.Id, out _);

    public async ValueTask DisposeAsync()
    {
        Task loop;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            StopListening();
            loop = _acceptLoop;
            PulseSlots();
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var connection in _connections.Values)
        {
            connection.Abort();
        }

        await loop.ConfigureAwait(false);
        var deadline = Time.GetTimestamp();
        while (!_connections.IsEmpty && Time.GetElapsedTime(deadline) < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void PulseSlots()
    {
        var signal = _slotFreed;
        _slotFreed = NewSignal();
        signal.TrySetResult();
    }

    private void Listen()
    {
        var socket = new Socket(BoundEndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // The same port again after refuse: accepted connections may still hold it in TIME_WAIT.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(BoundEndPoint);
            socket.Listen(1024);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        BoundEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _listener = socket;
        var previous = _acceptLoop;
        _acceptLoop = Task.WhenAll(previous, AcceptLoopAsync(socket));
    }

    private void StopListening()
    {
        var socket = _listener;
        _listener = null;
        if (socket is not null)
        {
            socket.Dispose();
            RelayLog.StoppedListening(Logger, Link.Name);
        }
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        await Task.Yield();
        while (true)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ObjectDisposedException or SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.Interrupted })
            {
                return;
            }
            catch (SocketException ex)
            {
                // A connection that failed between SYN and accept (e.g. reset while queued): keep accepting.
                if (!ReferenceEquals(_listener, listener))
                {
                    return;
                }

                RelayLog.AcceptFailed(Logger, Link.Name, ex);
                continue;
            }

            var connection = new RelayConnection(this, Interlocked.Increment(ref _nextId), client);
            _ = connection.RunAsync();
        }
    }
}
