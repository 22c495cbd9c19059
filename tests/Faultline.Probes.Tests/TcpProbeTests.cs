using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Probes.Net;
using Faultline.TestSupport;
using static Faultline.Probes.Tests.ProbeHarness;

namespace Faultline.Probes.Tests;

public sealed class TcpProbeTests
{
    private static TargetSpec Tcp(string host, int port) => new() { Name = "tcp", Kind = TargetKinds.Tcp, Host = host, Port = port };

    [Fact]
    public async Task ProbeAsync_ListeningPort_ConnectsAndTimesPhases()
    {
        await using var server = TestServers.Hung();

        var observation = await RunAsync(Tcp("127.0.0.1", server.Port));

        Assert.Null(observation.Error);
        Assert.True(observation.Connected);
        Assert.Equal($"127.0.0.1:{server.Port}", observation.Target);
        Assert.Equal(["127.0.0.1"], observation.Addresses);
        Assert.NotNull(observation.Phases.ConnectMs);
        Assert.NotNull(observation.Phases.DnsMs);
        Assert.Null(observation.Phases.TlsMs);
        Assert.True(observation.Elapsed > TimeSpan.Zero);
    }

    [Fact]
    public async Task ProbeAsync_ClosedPort_ReportsConnectionRefused()
    {
        var port = TestServers.ClosedPort();

        var observation = await RunAsync(Tcp("127.0.0.1", port));

        var error = AssertError(observation, ErrorKind.ConnectionRefused, "connect");
        Assert.Contains($"nothing listening on 127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.Equal("ConnectionRefused", error.Code);
        Assert.IsType<System.Net.Sockets.SocketException>(error.Exception);
        Assert.False(observation.Connected);
    }

    [Fact]
    public async Task ProbeAsync_SynDroppedPort_ReportsConnectTimeoutAtDeadline()
    {
        await using var server = await TestServers.SynDropAsync();

        var observation = await RunAsync(Tcp("127.0.0.1", server.Port), timeout: Short);

        var error = AssertError(observation, ErrorKind.ConnectTimeout, "connect");
        Assert.Contains($"no answer to SYN from 127.0.0.1:{server.Port} within ", error.Message, StringComparison.Ordinal);
        Assert.Contains("filtered or blackholed", error.Message, StringComparison.Ordinal);
        Assert.False(observation.Connected);
        Assert.InRange(observation.Elapsed, TimeSpan.FromSeconds(1.8), TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task ProbeAsync_CallerCancels_ThrowsInsteadOfReportingTimeout()
    {
        await using var server = await TestServers.SynDropAsync();
        using var caller = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var context = Context(timeout: Generous, callerToken: caller.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RunAsync(Tcp("127.0.0.1", server.Port), context));
    }

    [Fact]
    public async Task ProbeAsync_NameUnknownToResolver_ReportsDnsNxDomain()
    {
        await using var dns = new TinyDnsServer();

        var observation = await RunAsync(Tcp("db.lab.test", 5432), resolver: HostResolvers.ForServer(dns.Address));

        var error = AssertError(observation, ErrorKind.DnsNxDomain, "dns");
        Assert.Equal($"db.lab.test did not resolve: NXDOMAIN from {dns.Address}", error.Message);
        Assert.Equal("NXDOMAIN", error.Code);
        Assert.Null(observation.Phases.ConnectMs);
    }

    [Fact]
    public async Task ProbeAsync_NameResolvedByServer_ConnectsToResolvedAddress()
    {
        await using var dns = new TinyDnsServer().Add("db.lab.test", "127.0.0.1");
        await using var server = TestServers.Hung();

        var observation = await RunAsync(Tcp("db.lab.test", server.Port), resolver: HostResolvers.ForServer(dns.Address));

        Assert.Null(observation.Error);
        Assert.True(observation.Connected);
        Assert.Equal(["127.0.0.1"], observation.Addresses);
        Assert.Equal($"db.lab.test:{server.Port}", observation.Target);
    }

    [Fact]
    public async Task ProbeAsync_MissingPort_ReportsConfigInvalid()
    {
        var observation = await RunAsync(new TargetSpec { Name = "t", Kind = TargetKinds.Tcp, Host = "127.0.0.1" });

        AssertError(observation, ErrorKind.ConfigInvalid, "config");
    }
}
