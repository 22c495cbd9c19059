using System.Diagnostics;
using System.Net;
using Faultline.Lab.Relay;
using Microsoft.Extensions.Time.Testing;
using static Faultline.Lab.Tests.Relay.Client;

namespace Faultline.Lab.Tests.Relay;

/// <summary>The relay's delays run on its <see cref="TimeProvider"/>: an hour-long fault passes when fake time does.</summary>
public sealed class RelayTimeTests
{
    [Fact]
    public async Task Latency_FakeTime_ChunkWaitsUntilTimeAdvances()
    {
        var time = new FakeTimeProvider();
        await using var echo = new EchoServer();
        await using var host = await StartAsync(echo, time);
        host.SetFault("echo", FaultSpec.Latency(TimeSpan.FromHours(1), direction: FaultDirection.Down));
        using var client = await ConnectAsync(host.ListenEndPoint("echo"));

        await SendAsync(client, "ping");
        var read = ReadAsync(client, 4);

        await Assert.ThrowsAsync<TimeoutException>(() => read.WaitAsync(TimeSpan.FromMilliseconds(300)));
        Assert.Equal("ping", await AdvanceUntilAsync(time, read));
    }

    [Fact]
    public async Task SlowAccept_FakeTime_ConnectionHeldUntilTimeAdvances()
    {
        var time = new FakeTimeProvider();
        await using var echo = new EchoServer();
        await using var host = await StartAsync(echo, time);
        host.SetFault("echo", FaultSpec.SlowAccept(TimeSpan.FromHours(1)));
        using var client = await ConnectAsync(host.ListenEndPoint("echo"));

        await SendAsync(client, "held");
        var read = ReadAsync(client, 4);

        await Assert.ThrowsAsync<TimeoutException>(() => read.WaitAsync(TimeSpan.FromMilliseconds(300)));
        Assert.Equal(0, echo.Accepted);
        Assert.Equal("held", await AdvanceUntilAsync(time, read));
        Assert.Equal(1, echo.Accepted);
    }

    private static Task<RelayHost> StartAsync(EchoServer echo, TimeProvider time) =>
        RelayHost.StartAsync([new RelayLink("echo", new IPEndPoint(IPAddress.Loopback, 0), echo.EndPoint)], null, null, time, CancellationToken.None);

    /// <summary>Advances fake time by the fault's hour until the read completes (the relay may arm its timer a moment later).</summary>
    private static async Task<string> AdvanceUntilAsync(FakeTimeProvider time, Task<string> read)
    {
        var watch = Stopwatch.StartNew();
        while (!read.IsCompleted && watch.Elapsed < Patience)
        {
            time.Advance(TimeSpan.FromHours(1));
            await Task.WhenAny(read, Task.Delay(20));
        }

        return await read;
    }
}
