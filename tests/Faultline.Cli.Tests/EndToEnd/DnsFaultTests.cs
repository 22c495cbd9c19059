using System.Net;
using System.Net.Sockets;
using Faultline.Core.Model;
using Faultline.TestSupport;
using static Faultline.Cli.Tests.EndToEnd.EndToEndRun;

namespace Faultline.Cli.Tests.EndToEnd;

/// <summary>DNS faults from the test's own DNS server on loopback: a name it does not know, and a resolver that never answers.</summary>
public sealed class DnsFaultTests
{
    [Fact]
    public async Task Check_NameTheResolverDoesNotKnow_DnsNxDomainNamingHostAndResolver()
    {
        await using var dns = new TinyDnsServer().Add("api.lab.test", "127.0.0.1");

        var result = await RunOneAsync($$"""
            defaults: { timeout: 5s }
            targets:
              - { name: api-dns, kind: dns, host: missing.lab.test, resolver: "{{dns.Address}}" }
            """);

        AssertFailure(result, Layer.Dns, Side.Infrastructure, ErrorKind.DnsNxDomain);
        AssertEvidence(result, "missing.lab.test", "NXDOMAIN", dns.Address);
        Assert.True(dns.Queries > 0, "the test's DNS server was never asked");
    }

    [Fact]
    public async Task Check_ResolverAnswersServFail_DnsServFailNamingTheResolver()
    {
        await using var dns = new TinyDnsServer();
        dns.ServFail["api.lab.test"] = true;

        var result = await RunOneAsync($$"""
            defaults: { timeout: 5s }
            targets:
              - { name: api-dns, kind: dns, host: api.lab.test, resolver: "{{dns.Address}}" }
            """);

        AssertFailure(result, Layer.Dns, Side.Infrastructure, ErrorKind.DnsServFail);
        AssertEvidence(result, "SERVFAIL", dns.Address, "api.lab.test");
    }

    [Fact]
    public async Task Check_HttpTargetWhoseNameDoesNotResolve_DnsNxDomainBeforeAnyConnection()
    {
        await using var dns = new TinyDnsServer().Add("api.lab.test", "127.0.0.1");

        var result = await RunOneAsync($$"""
            defaults: { timeout: 5s }
            resolver: "{{dns.Address}}"
            targets:
              - { name: api, kind: http, url: "http://missing.lab.test:8080/health" }
            """);

        AssertFailure(result, Layer.Dns, Side.Infrastructure, ErrorKind.DnsNxDomain);
        AssertEvidence(result, "missing.lab.test", "does not exist");
        Assert.True(dns.Queries > 0, "the configured resolver was never asked");
    }

    [Fact]
    public async Task Check_ResolverThatNeverAnswers_DnsTimeoutWithinGenerousBounds()
    {
        // A UDP socket that reads nothing and answers nothing: the resolver is up as far as the network goes, but silent.
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var resolver = silent.LocalEndPoint!.ToString()!;

        var result = await RunOneAsync($$"""
            defaults: { timeout: 5s }
            targets:
              - { name: api-dns, kind: dns, host: api.lab.test, resolver: "{{resolver}}", timeout: 2s }
            """);

        AssertFailure(result, Layer.Dns, Side.Infrastructure, ErrorKind.DnsTimeout);
        AssertEvidence(result, resolver, "api.lab.test");
        AssertDuration(result, 1800, 4000);
    }
}
