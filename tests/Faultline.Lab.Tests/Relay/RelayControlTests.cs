using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Faultline.Lab.Relay;
using static Faultline.Lab.Tests.Relay.Client;

namespace Faultline.Lab.Tests.Relay;

public sealed class RelayControlTests
{
    [Fact]
    public async Task SetFaultAsync_Latency_ShowsInLinksAndSlowsTraffic()
    {
        await using var relay = await EchoRelay.StartAsync(control: true);
        using var control = new RelayClient(relay.Host.ControlUri!);
        using var socket = await relay.ConnectAsync();
        await RoundTripAsync(socket, "warm");

        await control.SetFaultAsync(EchoRelay.Link, FaultSpec.Latency(TimeSpan.FromMilliseconds(300), direction: FaultDirection.Down), CancellationToken.None);
        var links = await control.GetLinksAsync(CancellationToken.None);
        var elapsed = await RoundTripAsync(socket, "slow");

        var link = Assert.Single(links);
        Assert.Equal(EchoRelay.Link, link.Name);
        Assert.Equal(relay.Listen.ToString(), link.Listen);
        Assert.Equal(relay.Echo.EndPoint.ToString(), link.Upstream);
        Assert.Equal(FaultSpec.Latency(TimeSpan.FromMilliseconds(300), direction: FaultDirection.Down), link.Fault);
        Assert.Equal(1, link.Connections);
        Assert.True(elapsed >= TimeSpan.FromMilliseconds(290), $"round trip took {elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task GetLinks_Json_HasTheDocumentedShape()
    {
        await using var relay = await EchoRelay.StartAsync(control: true);
        relay.Set(FaultSpec.Drop(3));
        using var http = new HttpClient();

        var json = await http.GetStringAsync(new Uri(relay.Host.ControlUri!, "links"));

        Assert.Equal(
            $$"""[{"name":"echo","listen":"{{relay.Listen}}","upstream":"{{relay.Echo.EndPoint}}","fault":{"fault":"drop","every":"3"},"connections":0}]""",
            json);
    }

    [Fact]
    public async Task ClearAsync_AfterRefuse_RestoresListening()
    {
        await using var relay = await EchoRelay.StartAsync(control: true);
        using var control = new RelayClient(relay.Host.ControlUri!);

        await control.SetFaultAsync(EchoRelay.Link, FaultSpec.Refuse(), CancellationToken.None);
        await Assert.ThrowsAsync<System.Net.Sockets.SocketException>(relay.ConnectAsync);
        await control.ClearAsync(EchoRelay.Link, CancellationToken.None);
        using var socket = await relay.ConnectAsync();
        await RoundTripAsync(socket, "back");

        Assert.Null(Assert.Single(await control.GetLinksAsync(CancellationToken.None)).Fault);
    }

    [Fact]
    public async Task ClearAllAsync_SeveralFaults_ClearsEveryLink()
    {
        await using var echo = new EchoServer();
        await using var host = await RelayHost.StartAsync(
            [new RelayLink("a", new(IPAddress.Loopback, 0), echo.EndPoint), new RelayLink("b", new(IPAddress.Loopback, 0), echo.EndPoint)],
            new IPEndPoint(IPAddress.Loopback, 0),
            CancellationToken.None);
        using var control = new RelayClient(host.ControlUri!);
        await control.SetFaultAsync("a", FaultSpec.Blackhole(), CancellationToken.None);
        await control.SetFaultAsync("b", FaultSpec.Reset(), CancellationToken.None);

        await control.ClearAllAsync(CancellationToken.None);

        var links = await control.GetLinksAsync(CancellationToken.None);
        Assert.Equal(["a", "b"], links.Select(l => l.Name));
        Assert.All(links, l => Assert.Null(l.Fault));
    }

    [Theory]
    [InlineData("""{ "fault": "latency" }""", "fault latency: 'delay' is required (write a number and a unit: 250ms, 2s, 1.5s, 5m, 2h or 14d)")]
    [InlineData("""{ "fault": "latncy", "delay": "5s" }""", "unknown fault 'latncy': use one of latency, blackhole, reset, refuse, bandwidth, connection-cap, slow-accept, drop")]
    [InlineData("""{ "fault": "drop", "every": 0 }""", "fault drop: 'every' must be a whole number >= 1, not '0'")]
    [InlineData("""{ "fault": "blackhole", "delay": "1s" }""", "fault blackhole: unknown key 'delay' (blackhole takes no parameters)")]
    [InlineData("""[ "latency" ]""", "the body must be a JSON object such as { \"fault\": \"latency\", \"delay\": \"5s\" }")]
    [InlineData("""{ "fault": ["latency"] }""", "'fault' must be a string or a number")]
    [InlineData("""not json""", "the body is not JSON: send { \"fault\": \"latency\", \"delay\": \"5s\" }")]
    public async Task PutFault_BadBody_Answers400WithClearError(string body, string expected)
    {
        await using var relay = await EchoRelay.StartAsync(control: true);
        using var http = new HttpClient();
        using var content = new StringContent(body, Encoding.UTF8, "application/json");

        using var response = await http.PutAsync(new Uri(relay.Host.ControlUri!, "links/echo/fault"), content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(expected, error.GetProperty("error").GetString());
        Assert.Null(relay.Host.GetLinks().Single().Fault);
    }

    [Fact]
    public async Task PutFault_NumbersAsJsonNumbers_AreAccepted()
    {
        await using var relay = await EchoRelay.StartAsync(control: true);
        using var http = new HttpClient();
        using var content = new StringContent("""{ "fault": "connection-cap", "max": 2, "mode": "queue" }""", Encoding.UTF8, "application/json");

        using var response = await http.PutAsync(new Uri(relay.Host.ControlUri!, "links/echo/fault"), content);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(FaultSpec.ConnectionCap(2, CapMode.Queue), relay.Host.GetLinks().Single().Fault);
    }

    [Fact]
    public async Task SetFaultAsync_UnknownLink_ThrowsWithStatusAndMessage()
    {
        await using var relay = await EchoRelay.StartAsync(control: true);
        using var control = new RelayClient(relay.Host.ControlUri!);

        var ex = await Assert.ThrowsAsync<RelayControlException>(() => control.SetFaultAsync("db", FaultSpec.Blackhole(), CancellationToken.None));

        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
        Assert.Equal("relay PUT /links/db/fault: 404 no relay link named 'db' (links: echo)", ex.Message);
    }

    [Fact]
    public async Task Control_UnknownPathOrMethod_Answers404Or405()
    {
        await using var relay = await EchoRelay.StartAsync(control: true);
        using var http = new HttpClient();

        using var missing = await http.GetAsync(new Uri(relay.Host.ControlUri!, "nope"));
        using var wrongMethod = await http.PostAsync(new Uri(relay.Host.ControlUri!, "links"), null);

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
    }

    [Fact]
    public async Task GetLinksAsync_NothingListening_ThrowsRelayControlException()
    {
        using var control = new RelayClient(new Uri($"http://127.0.0.1:{Faultline.TestSupport.TestServers.ClosedPort()}/"));

        var ex = await Assert.ThrowsAsync<RelayControlException>(() => control.GetLinksAsync(CancellationToken.None));

        Assert.Null(ex.StatusCode);
        Assert.Contains("did not answer GET /links", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_NonLoopbackControl_IsRejected()
    {
        await using var echo = new EchoServer();

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => RelayHost.StartAsync(
            [new RelayLink("a", new(IPAddress.Loopback, 0), echo.EndPoint)], new IPEndPoint(IPAddress.Any, 0), CancellationToken.None));

        Assert.Contains("loopback only", ex.Message, StringComparison.Ordinal);
    }
}
