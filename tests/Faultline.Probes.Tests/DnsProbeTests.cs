using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Probes.Net;
using Faultline.TestSupport;
using static Faultline.Probes.Tests.ProbeHarness;

namespace Faultline.Probes.Tests;

public sealed class DnsProbeTests
{
    private static TargetSpec Dns(string host, string? resolver, params string[] types) => new()
    {
        Name = "dns",
        Kind = TargetKinds.Dns,
        Host = host,
        Resolver = resolver,
        RecordTypes = types.Length == 0 ? ["A", "AAAA"] : types,
    };

    [Fact]
    public async Task ProbeAsync_KnownName_RecordsAnswersRcodeAndTime()
    {
        await using var dns = new TinyDnsServer { Ttl = 300 }.Add("api.lab.test", "127.0.0.1", "127.0.0.2", "::1");

        var observation = await RunAsync(Dns("api.lab.test", dns.Address));

        Assert.Null(observation.Error);
        var result = Assert.IsType<DnsObservation>(observation.Dns);
        Assert.Equal("NOERROR", result.ResponseCode);
        Assert.Equal(dns.Address, result.Server);
        Assert.Equal(
            [new DnsAnswer("A", "127.0.0.1", 300), new DnsAnswer("A", "127.0.0.2", 300), new DnsAnswer("AAAA", "::1", 300)],
            result.Answers);
        Assert.Equal(["127.0.0.1", "127.0.0.2", "::1"], observation.Addresses);
        Assert.NotNull(observation.Phases.DnsMs);
        Assert.Equal("api.lab.test", observation.Target);
    }

    [Fact]
    public async Task ProbeAsync_CnameRequested_ReturnsCanonicalName()
    {
        await using var dns = new TinyDnsServer().Add("lb.lab.test", "127.0.0.9");
        dns.Aliases["api.lab.test"] = "lb.lab.test";

        var observation = await RunAsync(Dns("api.lab.test", dns.Address, "CNAME", "A"));

        Assert.Null(observation.Error);
        Assert.Contains(new DnsAnswer("CNAME", "lb.lab.test", 60), observation.Dns!.Answers);
        Assert.Contains(new DnsAnswer("A", "127.0.0.9", 60), observation.Dns.Answers);
    }

    [Fact]
    public async Task ProbeAsync_UnknownName_ReportsDnsNxDomain()
    {
        await using var dns = new TinyDnsServer();

        var observation = await RunAsync(Dns("api.lab.test", dns.Address));

        var error = AssertError(observation, ErrorKind.DnsNxDomain, "dns");
        Assert.StartsWith($"api.lab.test did not resolve: NXDOMAIN from {dns.Address}", error.Message, StringComparison.Ordinal);
        Assert.Equal("NXDOMAIN", observation.Dns?.ResponseCode);
        Assert.Empty(observation.Dns!.Answers);
    }

    [Fact]
    public async Task ProbeAsync_ServerFails_ReportsDnsServFail()
    {
        await using var dns = new TinyDnsServer();
        dns.ServFail["api.lab.test"] = true;

        var observation = await RunAsync(Dns("api.lab.test", dns.Address));

        var error = AssertError(observation, ErrorKind.DnsServFail, "dns");
        Assert.Equal("SERVFAIL", error.Code);
        Assert.Equal("SERVFAIL", observation.Dns?.ResponseCode);
    }

    [Fact]
    public async Task ProbeAsync_ServerRefuses_ReportsDnsRefused()
    {
        await using var dns = new TinyDnsServer();
        dns.Refused["api.lab.test"] = true;

        var observation = await RunAsync(Dns("api.lab.test", dns.Address));

        AssertError(observation, ErrorKind.DnsRefused, "dns");
        Assert.Equal("REFUSED", observation.Dns?.ResponseCode);
    }

    [Fact]
    public async Task ProbeAsync_ServerSilent_ReportsDnsTimeoutAtDeadline()
    {
        await using var dns = new TinyDnsServer();
        dns.Silent["api.lab.test"] = true;

        var observation = await RunAsync(Dns("api.lab.test", dns.Address), timeout: Short);

        var error = AssertError(observation, ErrorKind.DnsTimeout, "dns");
        Assert.StartsWith($"api.lab.test did not resolve: no answer from {dns.Address} within", error.Message, StringComparison.Ordinal);
        Assert.Equal("TIMEOUT", observation.Dns?.ResponseCode);
        Assert.InRange(observation.Elapsed, TimeSpan.FromSeconds(1.8), TimeSpan.FromSeconds(4));
        Assert.True(dns.Queries > 0);
    }

    [Fact]
    public async Task ProbeAsync_NoRecordOfRequestedType_ReportsDnsNoAnswer()
    {
        await using var dns = new TinyDnsServer().Add("v4only.lab.test", "127.0.0.1");

        var observation = await RunAsync(Dns("v4only.lab.test", dns.Address, "AAAA"));

        var error = AssertError(observation, ErrorKind.DnsNoAnswer, "dns");
        Assert.Contains("no AAAA records", error.Message, StringComparison.Ordinal);
        Assert.Equal("NOERROR", observation.Dns?.ResponseCode);
    }

    [Fact]
    public async Task ProbeAsync_NoTargetResolver_UsesTheContextResolversServer()
    {
        await using var dns = new TinyDnsServer().Add("api.lab.test", "127.0.0.1");

        var observation = await RunAsync(Dns("api.lab.test", resolver: null, "A"), resolver: HostResolvers.ForServer(dns.Address));

        Assert.Null(observation.Error);
        Assert.Equal(dns.Address, observation.Dns?.Server);
        Assert.Equal(1, dns.Queries);
    }

    [Fact]
    public async Task ProbeAsync_BadRecordType_ReportsConfigInvalid()
    {
        var observation = await RunAsync(Dns("api.lab.test", "127.0.0.1:53", "BOGUS"));

        var error = AssertError(observation, ErrorKind.ConfigInvalid, "config");
        Assert.Contains("BOGUS", error.Message, StringComparison.Ordinal);
    }
}
