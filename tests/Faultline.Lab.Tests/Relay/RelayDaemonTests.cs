using System.Net;
using Faultline.Lab.Relay;
using static Faultline.Lab.Tests.Relay.Client;

namespace Faultline.Lab.Tests.Relay;

public sealed class RelayDaemonTests
{
    [Fact]
    public void TryParseLink_IpAndHostUpstreams_Parse()
    {
        Assert.True(RelayDaemon.TryParseLink("db=127.0.0.1:7432=127.0.0.1:5432", out var db, out var error), error);
        Assert.True(RelayDaemon.TryParseLink("cache=[::1]:7379=cache.lab.test:6379", out var cache, out error), error);

        Assert.Equal(new RelayLink("db", new IPEndPoint(IPAddress.Loopback, 7432), new IPEndPoint(IPAddress.Loopback, 5432)), db);
        Assert.Equal("cache", cache.Name);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 7379), cache.Listen);
        Assert.Equal(new DnsEndPoint("cache.lab.test", 6379), cache.Upstream);
    }

    [Theory]
    [InlineData("db=127.0.0.1:7432", "--link 'db=127.0.0.1:7432': write name=listenHost:port=upstreamHost:port, e.g. db=127.0.0.1:7432=127.0.0.1:5432")]
    [InlineData("d b=127.0.0.1:1=127.0.0.1:2", "--link 'd b=127.0.0.1:1=127.0.0.1:2': the name 'd b' must be letters, digits, '-', '_' or '.'")]
    [InlineData("db=db.lab.test:7432=127.0.0.1:5432", "--link 'db=db.lab.test:7432=127.0.0.1:5432': listen address 'db.lab.test:7432': the host must be an IP address such as 127.0.0.1")]
    [InlineData("db=127.0.0.1=127.0.0.1:5432", "--link 'db=127.0.0.1=127.0.0.1:5432': listen address '127.0.0.1': write host:port")]
    [InlineData("db=127.0.0.1:99999=127.0.0.1:5432", "--link 'db=127.0.0.1:99999=127.0.0.1:5432': listen address '127.0.0.1:99999': the port '99999' must be a number 0-65535")]
    [InlineData("db=127.0.0.1:7432=127.0.0.1:0", "--link 'db=127.0.0.1:7432=127.0.0.1:0': upstream '127.0.0.1:0': the port must be 1-65535")]
    [InlineData("db=::1:7432=127.0.0.1:5432", "--link 'db=::1:7432=127.0.0.1:5432': listen address '::1:7432': write IPv6 addresses in brackets: [::1]:PORT")]
    public void TryParseLink_Malformed_SaysWhatIsWrong(string text, string expected)
    {
        Assert.False(RelayDaemon.TryParseLink(text, out _, out var error));

        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData(new string[0], "127.0.0.1:7300", "give at least one --link name=listenHost:port=upstreamHost:port")]
    [InlineData(new[] { "db=127.0.0.1:1=127.0.0.1:2" }, "0.0.0.0:7300", "--control '0.0.0.0:7300': the control API has no authentication, so it listens on loopback only (127.0.0.1 or ::1)")]
    [InlineData(new[] { "db=127.0.0.1:1=127.0.0.1:2" }, "7300", "--control '7300': write host:port (write 127.0.0.1:PORT)")]
    [InlineData(new[] { "db=127.0.0.1:1=127.0.0.1:2", "db=127.0.0.1:3=127.0.0.1:4" }, "127.0.0.1:7300", "--link 'db=127.0.0.1:3=127.0.0.1:4': the name 'db' is used twice")]
    public void TryParseArguments_Invalid_SaysWhichArgument(string[] links, string control, string expected)
    {
        Assert.False(RelayDaemon.TryParseArguments(links, control, out _, out _, out var error));

        Assert.Equal(expected, error);
    }

    [Fact]
    public async Task RunAsync_BadLink_ThrowsArgumentExceptionBeforeListening()
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => RelayDaemon.RunAsync(["db"], "127.0.0.1:0", CancellationToken.None));

        Assert.StartsWith("--link 'db': write name=listenHost:port=upstreamHost:port", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_Links_RelaysAndServesControlUntilCancelled()
    {
        await using var echo = new EchoServer();
        using var output = new SyncWriter();
        using var stop = new CancellationTokenSource();

        var run = RelayDaemon.RunAsync([$"echo=127.0.0.1:0={echo.EndPoint}"], "127.0.0.1:0", output, null, stop.Token);
        await EventuallyAsync(() => output.Text.Contains("relay control: ", StringComparison.Ordinal), "the daemon reports its control address");
        var lines = output.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var listen = IPEndPoint.Parse(lines[0].Split(' ')[2]);
        var controlUri = new Uri(lines[1]["relay control: ".Length..]);

        using (var control = new RelayClient(controlUri))
        {
            Assert.Equal("echo", Assert.Single(await control.GetLinksAsync(CancellationToken.None)).Name);
        }

        using (var socket = await ConnectAsync(listen))
        {
            await RoundTripAsync(socket, "daemon");
        }

        await stop.CancelAsync();
        await run.WaitAsync(Patience);
        var refused = await Assert.ThrowsAsync<System.Net.Sockets.SocketException>(() => ConnectAsync(listen));
        Assert.Equal(System.Net.Sockets.SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    /// <summary>A writer the daemon writes to while the test reads.</summary>
    private sealed class SyncWriter : StringWriter
    {
        private readonly Lock _gate = new();

        public string Text
        {
            get
            {
                lock (_gate)
                {
                    return ToString();
                }
            }
        }

        public override void Write(char value)
        {
            lock (_gate)
            {
                base.Write(value);
            }
        }

        public override void Write(string? value)
        {
            lock (_gate)
            {
                base.Write(value);
            }
        }

        public override Task WriteLineAsync(string? value)
        {
            lock (_gate)
            {
                base.WriteLine(value);
            }

            return Task.CompletedTask;
        }
    }
}
