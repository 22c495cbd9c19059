using System.Diagnostics;
using System.Net.Sockets;
using Faultline.Lab.Relay;
using static Faultline.Lab.Tests.Relay.Client;

namespace Faultline.Lab.Tests.Relay;

/// <summary>Each fault measured from a real client through the relay to a real echo upstream.</summary>
public sealed class RelayFaultTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(400);

    [Fact]
    public async Task Relay_NoFault_EchoesBothWays()
    {
        await using var relay = await EchoRelay.StartAsync();
        using var client = await relay.ConnectAsync();

        await RoundTripAsync(client, "hello");
        await RoundTripAsync(client, new string('x', 100_000));

        Assert.Equal(1, relay.Echo.Accepted);
        Assert.Equal(1, relay.Host.GetLinks().Single().Connections);
    }

    [Fact]
    public async Task Latency_BothDirections_RoundTripAddsTwiceTheDelay()
    {
        await using var relay = await EchoRelay.StartAsync();
        relay.Set(FaultSpec.Latency(TimeSpan.FromMilliseconds(250)));
        using var client = await relay.ConnectAsync();

        var elapsed = await RoundTripAsync(client, "ping");

        Assert.InRange(elapsed, TimeSpan.FromMilliseconds(490), TimeSpan.FromSeconds(5));
    }

    [Theory]
    [InlineData(FaultDirection.Up)]
    [InlineData(FaultDirection.Down)]
    public async Task Latency_OneDirection_RoundTripAddsTheDelayOnce(FaultDirection direction)
    {
        await using var relay = await EchoRelay.StartAsync();
        relay.Set(FaultSpec.Latency(TimeSpan.FromMilliseconds(300), direction: direction));
        using var client = await relay.ConnectAsync();

        var elapsed = await RoundTripAsync(client, "ping");

        Assert.InRange(elapsed, TimeSpan.FromMilliseconds(290), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Latency_WithJitter_KeepsOrderAndStaysWithinBounds()
    {
        await using var relay = await EchoRelay.StartAsync();
        relay.Set(FaultSpec.Latency(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(80), FaultDirection.Down));
        using var client = await relay.ConnectAsync();

        // Many small writes, each delayed by a different amount: the stream must still arrive in order.
        for (var i = 0; i < 20; i++)
        {
            await SendAsync(client, $"{i:00}");
        }

        var text = await ReadAsync(client, 40);

        Assert.Equal(string.Concat(Enumerable.Range(0, 20).Select(i => $"{i:00}")), text);
    }

    [Fact]
    public async Task Latency_SwitchedWhileConnected_AppliesToOpenConnectionAndClearRestores()
    {
        await using var relay = await EchoRelay.StartAsync();
        using var client = await relay.ConnectAsync();
        await RoundTripAsync(client, "before");

        relay.Set(FaultSpec.Latency(TimeSpan.FromSeconds(1), direction: FaultDirection.Up));
        var slow = await RoundTripAsync(client, "during");
        relay.Set(null);
        var fast = await RoundTripAsync(client, "after");

        Assert.InRange(slow, TimeSpan.FromMilliseconds(990), TimeSpan.FromSeconds(6));
        Assert.True(fast < TimeSpan.FromSeconds(1), $"after clearing, a round trip took {fast.TotalMilliseconds} ms");
        Assert.Equal(1, relay.Echo.Accepted);
    }

    [Fact]
    public async Task Blackhole_NewConnection_ConnectsButReadTimesOut()
    {
        await using var relay = await EchoRelay.StartAsync();
        relay.Set(FaultSpec.Blackhole());
        using var client = await relay.ConnectAsync();

        await SendAsync(client, "ping");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ReadAsync(client, 4, Short));
        Assert.Equal(0, relay.Echo.Accepted);
    }

    [Fact]
    public async Task Blackhole_SwitchedWhileConnected_DropsBytesUntilCleared()
    {
        await using var relay = await EchoRelay.StartAsync();
        using var client = await relay.ConnectAsync();
        await RoundTripAsync(client, "before");

        relay.Set(FaultSpec.Blackhole());
        await SendAsync(client, "lost");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ReadAsync(client, 4, Short));
        relay.Set(null);

        // The blackholed bytes are gone for good; what is sent after clearing arrives.
        await RoundTripAsync(client, "after");
    }

    [Fact]
    public async Task Reset_AtConnect_ClientSeesConnectionReset()
    {
        await using var relay = await EchoRelay.StartAsync();
        relay.Set(FaultSpec.Reset());

        var (received, error) = await ConnectAndReadToEndAsync(relay.Listen);

        Assert.Equal(string.Empty, received);
        Assert.Equal(SocketError.ConnectionReset, error);
        Assert.Equal(0, relay.Echo.Accepted);
    }

    [Fact]
    public async Task Reset_AfterBytes_RelaysUpToTheBudgetThenResets()
    {
        await using var relay = await EchoRelay.StartAsync();
        relay.Set(FaultSpec.Reset(afterBytes: 10));
        using var client = await relay.ConnectAsync();

        // 4 bytes up + 4 back = 8 of 10: fine. The next 4 up cross the budget.
        await RoundTripAsync(client, "ping");
        await SendAsync(client, "pong");
        var (_, error) = await ReadToEndAsync(client);

        Assert.Equal(SocketError.ConnectionReset, error);
    }

    [Fact]
    public async Task Refuse_Set_ConnectRefusedAndClearListensAgainOnSamePort()
    {
        await using var relay = await EchoRelay.StartAsync();
        var port = relay.Listen.Port;
        using var open = await relay.ConnectAsync();
        await RoundTripAsync(open, "open");

        relay.Set(FaultSpec.Refuse());
        var refused = await Assert.ThrowsAsync<SocketException>(relay.ConnectAsync);
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);

        // Connections accepted before the fault keep working.
        await RoundTripAsync(open, "still");

        relay.Set(null);
        Assert.Equal(port, relay.Listen.Port);
        using var again = await relay.ConnectAsync();
        await RoundTripAsync(again, "again");
    }

    [Fact]
    public async Task Bandwidth_Limited_TransferTakesAboutSizeOverRate()
    {
        await using var relay = await EchoRelay.StartAsync();
        relay.Set(FaultSpec.Bandwidth(10_000));
        using var client = await relay.ConnectAsync();

        // 5,000 bytes at 10,000 B/s: at least ~0.45 s each way (the first 50 ms slice goes at once).
        var elapsed = await RoundTripAsync(client, new string('b', 5_000));

        Assert.InRange(elapsed, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Bandwidth_SwitchedWhileConnected_ThrottlesOpenConnection()
    {
        await using var relay = await EchoRelay.StartAsync();
        using var client = await relay.ConnectAsync();
        await RoundTripAsync(client, "warm");

        relay.Set(FaultSpec.Bandwidth(4_000));
        var elapsed = await RoundTripAsync(client, new string('b', 2_000));

        Assert.InRange(elapsed, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ConnectionCap_Reject_ConnectionOverTheCapReadsEndOfStream()
    {
        await using var relay = await EchoRelay.StartAsync();
        relay.Set(FaultSpec.ConnectionCap(1));
        using var first = await relay.ConnectAsync();
        await RoundTripAsync(first, "first");

        using var second = await relay.ConnectAsync();
        var (received, error) = await ReadToEndAsync(second);
        Assert.Equal(string.Empty, received);
        Assert.Null(error);

        first.Dispose();
        await EventuallyAsync(() => relay.Host.GetLinks().Single().Connections == 0, "the first connection is gone");
        using var third = await relay.ConnectAsync();
        await RoundTripAsync(third, "third");
    }

    [Fact]
    public async Task ConnectionCap_Queue_ConnectionWaitsForASlot()
    {
        await using var relay = await EchoRelay.StartAsync();
        relay.Set(FaultSpec.ConnectionCap(1, CapMode.Queue));
        using var first = await relay.ConnectAsync();
        await RoundTripAsync(first, "first");

        using var second = await relay.ConnectAsync();
        await SendAsync(second, "queued");
        var read = ReadAsync(second, 6);
        await Assert.ThrowsAnyAsync<TimeoutException>(() => read.WaitAsync(Short));
        Assert.Equal(1, relay.Echo.Accepted);

        first.Dispose();
        Assert.Equal("queued", await read);
        Assert.Equal(2, relay.Echo.Accepted);
    }

    [Fact]
    public async Task SlowAccept_Set_ConnectSucceedsButFirstByteIsLate()
    {
        await using var relay = await EchoRelay.StartAsync();
        relay.Set(FaultSpec.SlowAccept(TimeSpan.FromSeconds(1)));

        var watch = Stopwatch.StartNew();
        using var client = await relay.ConnectAsync();
        var connected = watch.Elapsed;
        await SendAsync(client, "ping");
        Assert.Equal("ping", await ReadAsync(client, 4));
        var firstByte = watch.Elapsed;

        Assert.True(connected < TimeSpan.FromMilliseconds(900), $"connect took {connected.TotalMilliseconds} ms");
        Assert.InRange(firstByte, TimeSpan.FromMilliseconds(990), TimeSpan.FromSeconds(8));
    }

    [Fact]
    public async Task Drop_EveryThird_ClosesConnectionsThreeAndSix()
    {
        await using var relay = await EchoRelay.StartAsync();
        relay.Set(FaultSpec.Drop(3));

        var outcomes = new List<string>();
        for (var i = 1; i <= 7; i++)
        {
            using var client = await relay.ConnectAsync();
            try
            {
                await RoundTripAsync(client, $"c{i}");
                outcomes.Add("ok");
            }
            catch (EndOfStreamException)
            {
                outcomes.Add("closed");
            }
        }

        Assert.Equal(["ok", "ok", "closed", "ok", "ok", "closed", "ok"], outcomes);
    }

    [Fact]
    public async Task Relay_UpstreamDown_ClientIsReset()
    {
        var echo = new EchoServer();
        var upstream = echo.EndPoint;
        await echo.DisposeAsync();
        await using var host = await RelayHost.StartAsync(
            [new RelayLink("gone", new(System.Net.IPAddress.Loopback, 0), upstream)], null, CancellationToken.None);
        var (_, error) = await ConnectAndReadToEndAsync(host.ListenEndPoint("gone"));

        Assert.Equal(SocketError.ConnectionReset, error);
    }

    [Fact]
    public async Task DisposeAsync_OpenConnections_AreResetAndPortIsFree()
    {
        var relay = await EchoRelay.StartAsync();
        var endpoint = relay.Listen;
        using var client = await relay.ConnectAsync();
        await RoundTripAsync(client, "open");

        await relay.DisposeAsync();

        var (_, error) = await ReadToEndAsync(client);
        Assert.Equal(SocketError.ConnectionReset, error);
        var refused = await Assert.ThrowsAsync<SocketException>(() => ConnectAsync(endpoint));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }
}
