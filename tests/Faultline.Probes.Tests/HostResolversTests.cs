using System.Net;
using Faultline.Core.Model;
using Faultline.Probes.Net;
using Faultline.TestSupport;

namespace Faultline.Probes.Tests;

public sealed class HostResolversTests
{
    [Theory]
    [InlineData("127.0.0.1:5353", "127.0.0.1:5353")]
    [InlineData("10.0.0.2", "10.0.0.2:53")]
    [InlineData("[::1]:5300", "[::1]:5300")]
    [InlineData("::1", "[::1]:53")]
    public void TryParseServer_ValidAddress_ParsesEndpoint(string text, string expected)
    {
        Assert.True(HostResolvers.TryParseServer(text, out var endpoint));
        Assert.Equal(expected, endpoint.ToString());
    }

    [Theory]
    [InlineData("dns.lab.test:53")]
    [InlineData("")]
    [InlineData("127.0.0.1:99999")]
    public void TryParseServer_NotAnIpEndpoint_ReturnsFalse(string text) =>
        Assert.False(HostResolvers.TryParseServer(text, out _));

    [Fact]
    public void For_NullOrServer_PicksSystemOrServer()
    {
        Assert.Same(HostResolvers.System, HostResolvers.For(null));
        Assert.Equal("system", HostResolvers.For(null).Name);
        Assert.Equal("127.0.0.1:5353", HostResolvers.For("127.0.0.1:5353").Name);
        Assert.Throws<ArgumentException>(() => HostResolvers.ForServer("not-an-ip"));
    }

    [Fact]
    public async Task ResolveAsync_KnownName_ReturnsAddressesFromServer()
    {
        await using var dns = new TinyDnsServer().Add("api.lab.test", "127.0.0.5", "::1");

        var addresses = await HostResolvers.ForServer(dns.Address).ResolveAsync("api.lab.test", CancellationToken.None);

        Assert.Equal([IPAddress.Parse("127.0.0.5"), IPAddress.IPv6Loopback], addresses);
    }

    [Fact]
    public async Task ResolveAsync_IpLiteralOrLocalhost_AnswersWithoutAsking()
    {
        await using var dns = new TinyDnsServer();
        var resolver = HostResolvers.ForServer(dns.Address);

        Assert.Equal([IPAddress.Parse("10.1.2.3")], await resolver.ResolveAsync("10.1.2.3", CancellationToken.None));
        Assert.Equal([IPAddress.IPv6Loopback], await resolver.ResolveAsync("[::1]", CancellationToken.None));
        Assert.Contains(IPAddress.Loopback, await resolver.ResolveAsync("localhost", CancellationToken.None));
        Assert.Contains(IPAddress.Loopback, await HostResolvers.System.ResolveAsync("localhost", CancellationToken.None));
        Assert.Equal(0, dns.Queries);
    }

    [Theory]
    [InlineData("nx", ErrorKind.DnsNxDomain, "NXDOMAIN")]
    [InlineData("servfail", ErrorKind.DnsServFail, "SERVFAIL")]
    [InlineData("refused", ErrorKind.DnsRefused, "REFUSED")]
    [InlineData("dangling", ErrorKind.DnsNoAnswer, "NOERROR")]
    public async Task ResolveAsync_FailingName_ThrowsTypedProbeException(string name, ErrorKind kind, string code)
    {
        await using var dns = new TinyDnsServer();
        dns.Aliases["dangling.lab.test"] = "gone.lab.test";
        dns.ServFail["servfail.lab.test"] = true;
        dns.Refused["refused.lab.test"] = true;
        var host = $"{name}.lab.test";

        var ex = await Assert.ThrowsAsync<ProbeException>(() => HostResolvers.ForServer(dns.Address).ResolveAsync(host, CancellationToken.None));

        Assert.Equal(kind, ex.Error.Kind);
        Assert.Equal("dns", ex.Error.Phase);
        Assert.Equal(code, ex.Error.Code);
        Assert.StartsWith($"{host} did not resolve: ", ex.Error.Message, StringComparison.Ordinal);
        Assert.Contains(dns.Address, ex.Error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DnsHostileAnswer.Garbage, "MALFORMED")]
    [InlineData(DnsHostileAnswer.WrongId, "ID-MISMATCH")]
    [InlineData(DnsHostileAnswer.Cut, "MALFORMED")]
    [InlineData(DnsHostileAnswer.TruncatedEverywhere, "TRUNCATED")]
    public async Task ResolveAsync_UnreadableAnswer_ThrowsDnsMalformed(DnsHostileAnswer answer, string code)
    {
        await using var dns = new TinyDnsServer().Add("api.lab.test", "127.0.0.1");
        dns.Hostile["api.lab.test"] = answer;

        var ex = await Assert.ThrowsAsync<ProbeException>(() => HostResolvers.ForServer(dns.Address).ResolveAsync("api.lab.test", CancellationToken.None));

        Assert.True(ex.Error.Kind.Wire() == "dns-malformed", $"expected dns-malformed, got {ex.Error.Kind.Wire()}: {ex.Error.Message}");
        Assert.Equal("dns", ex.Error.Phase);
        Assert.Equal(code, ex.Error.Code);
        Assert.StartsWith($"api.lab.test did not resolve: the answer from {dns.Address} ", ex.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_TruncatedUdpAnswerAndTcpRefused_ThrowsDnsMalformed()
    {
        await using var dns = new TinyDnsServer(tcp: false).Add("api.lab.test", ManyAddresses());

        var ex = await Assert.ThrowsAsync<ProbeException>(() => HostResolvers.ForServer(dns.Address).ResolveAsync("api.lab.test", CancellationToken.None));

        Assert.True(ex.Error.Kind.Wire() == "dns-malformed", $"expected dns-malformed, got {ex.Error.Kind.Wire()}: {ex.Error.Message}");
        Assert.Equal("TRUNCATED", ex.Error.Code);
        Assert.Contains("could not be asked over TCP (ConnectionRefused)", ex.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_AnswerTooLongForUdp_IsReadOverTcp()
    {
        await using var dns = new TinyDnsServer().Add("api.lab.test", ManyAddresses());

        var addresses = await HostResolvers.ForServer(dns.Address).ResolveAsync("api.lab.test", CancellationToken.None);

        Assert.Equal(200, addresses.Count);
        Assert.True(dns.TcpQueries > 0);
    }

    private static string[] ManyAddresses() => [.. Enumerable.Range(1, 200).Select(i => $"10.0.0.{i.ToString(System.Globalization.CultureInfo.InvariantCulture)}")];

    [Fact]
    public async Task ResolveAsync_SilentServerAndDeadline_ThrowsOperationCanceled()
    {
        await using var dns = new TinyDnsServer { SilentAll = true };
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => HostResolvers.ForServer(dns.Address).ResolveAsync("api.lab.test", deadline.Token));
    }

    [Fact]
    public void DeadlineError_NamesHostServerAndWait()
    {
        var error = HostResolvers.DeadlineError("api.lab.test", HostResolvers.ForServer("127.0.0.1:5353"), TimeSpan.FromSeconds(2));

        Assert.Equal(ErrorKind.DnsTimeout, error.Kind);
        Assert.Equal("api.lab.test did not resolve: no answer from 127.0.0.1:5353 within 2 s", error.Message);
    }
}
