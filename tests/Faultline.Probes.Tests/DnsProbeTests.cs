using System.Globalization;
using System.Text.Json;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Reporting;
using Faultline.Core.Running;
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

    [Theory]
    [InlineData(DnsHostileAnswer.Garbage, "MALFORMED", "could not be read (52 bytes, unreadable from byte")]
    [InlineData(DnsHostileAnswer.WrongId, "ID-MISMATCH", "not the query's")]
    [InlineData(DnsHostileAnswer.Cut, "MALFORMED", "could not be read (44 bytes, unreadable from byte")]
    [InlineData(DnsHostileAnswer.TruncatedEverywhere, "TRUNCATED", "truncated (TC) even over TCP")]
    public async Task ProbeAsync_UnreadableAnswer_ReportsDnsMalformedNotARefusal(DnsHostileAnswer answer, string code, string words)
    {
        await using var dns = new TinyDnsServer().Add("api.lab.test", "127.0.0.1");
        dns.Hostile["api.lab.test"] = answer;

        var observation = await RunAsync(Dns("api.lab.test", dns.Address, "A"));

        var error = AssertError(observation, "dns-malformed", "dns");
        Assert.Equal(code, error.Code);
        Assert.Equal(code, observation.Dns?.ResponseCode);
        Assert.StartsWith($"api.lab.test did not resolve: the answer from {dns.Address} ", error.Message, StringComparison.Ordinal);
        Assert.Contains(words, error.Message, StringComparison.Ordinal);
        // The library's own message dumps the bytes received; none of that reaches the report.
        Assert.DoesNotContain("FF", error.Message, StringComparison.Ordinal);
        Assert.Empty(observation.Dns!.Answers);
        Assert.InRange(observation.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
    }

    [Theory]
    [InlineData(DnsHostileAnswer.Garbage)]
    [InlineData(DnsHostileAnswer.Cut)]
    [InlineData(DnsHostileAnswer.TruncatedEverywhere)]
    public async Task ProbeAsync_UnreadableUdpAnswerAndTcpRefused_ReportsDnsMalformedNotARefusal(DnsHostileAnswer answer)
    {
        await using var dns = new TinyDnsServer(tcp: false).Add("api.lab.test", "127.0.0.1");
        dns.Hostile["api.lab.test"] = answer;

        var observation = await RunAsync(Dns("api.lab.test", dns.Address, "A"));

        var error = AssertError(observation, "dns-malformed", "dns");
        Assert.Equal("TRUNCATED", error.Code);
        Assert.Equal($"api.lab.test did not resolve: the answer from {dns.Address} over UDP was truncated or could not be read, and {dns.Address} could not be asked over TCP (ConnectionRefused)", error.Message);
    }

    /// <summary>
    /// Random answers also reach DnsClient's parser bugs (an ArgumentException instead of its parse exception, a few
    /// times in a thousand answers, depending on what the buffer held before): they are unreadable answers too.
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(7)]
    public async Task ProbeAsync_RandomBytesForAnswers_AnAnswerOrDnsMalformedNeverACrash(int seed)
    {
        await using var dns = new TinyDnsServer { Seed = seed }.Add("api.lab.test", "127.0.0.1");
        dns.Hostile["api.lab.test"] = DnsHostileAnswer.RandomBytes;
        var outcomes = new Dictionary<string, int>();

        for (var i = 0; i < 400; i++)
        {
            var observation = await RunAsync(Dns("api.lab.test", dns.Address, "A", "AAAA"));
            var outcome = observation.Error is null ? "answer" : $"{observation.Error.Kind.Wire()} {observation.Error.Code}";
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            Assert.True(observation.Error is null || observation.Error.Kind.Wire() == "dns-malformed", $"query {i}: {outcome}: {observation.Error?.Message}");
            Assert.InRange(observation.Dns!.Answers.Count, 0, 32);
            Assert.All(observation.Dns.Answers, a => Assert.InRange(a.Value.Length, 0, 256));
        }

        Assert.True(outcomes.GetValueOrDefault("dns-malformed MALFORMED") > 100, string.Join(", ", outcomes));
    }

    [Fact]
    public async Task ProbeAsync_RcodesOverUdpAndTcp_KeepTheirKinds()
    {
        await using var dns = new TinyDnsServer().Add("many.lab.test", ManyAddresses(100));
        dns.Refused["refused.lab.test"] = true;
        dns.ServFail["servfail.lab.test"] = true;

        var refused = AssertError(await RunAsync(Dns("refused.lab.test", dns.Address, "A")), ErrorKind.DnsRefused, "dns");
        AssertError(await RunAsync(Dns("servfail.lab.test", dns.Address, "A")), ErrorKind.DnsServFail, "dns");
        AssertError(await RunAsync(Dns("missing.lab.test", dns.Address, "A")), ErrorKind.DnsNxDomain, "dns");
        var many = await RunAsync(Dns("many.lab.test", dns.Address, "A"));

        Assert.Equal("REFUSED", refused.Code);
        Assert.Null(many.Error);
        Assert.Equal(1, dns.TcpQueries);
    }

    [Fact]
    public async Task ProbeAsync_TwoThousandRecordsOverTcp_KeepsTheFirst32AndCountsTheRest()
    {
        var addresses = ManyAddresses(2000);
        await using var dns = new TinyDnsServer().Add("many.lab.test", addresses);

        var observation = await RunAsync(Dns("many.lab.test", dns.Address, "A"));

        Assert.Null(observation.Error);
        Assert.True(dns.TcpQueries > 0, "the UDP answer was truncated (TC), so the probe must have asked again over TCP");
        var result = observation.Dns!;
        Assert.Equal("NOERROR", result.ResponseCode);
        Assert.Equal(addresses.Take(32), result.Answers.Select(a => a.Value));
        Assert.Equal(addresses.Take(32), observation.Addresses);
    }

    [Fact]
    public async Task ProbeAsync_LongRecordValue_IsCutTo256Characters()
    {
        await using var dns = new TinyDnsServer().Add("txt.lab.test", "127.0.0.1");
        dns.Texts["txt.lab.test"] = new string('x', 2000);

        var observation = await RunAsync(Dns("txt.lab.test", dns.Address, "A"));

        Assert.Null(observation.Error);
        var text = Assert.Single(observation.Dns!.Answers, a => a.Type == "TXT");
        Assert.Equal(256, text.Value.Length);
        Assert.EndsWith("xxx…", text.Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_TwoThousandRecords_JsonReportAndEvidenceShowTheCapAndTheDroppedCount()
    {
        await using var dns = new TinyDnsServer().Add("many.lab.test", ManyAddresses(2000));
        var yaml = $$"""
            targets:
              - name: many
                kind: dns
                host: many.lab.test
                recordTypes: [A]
                resolver: "{{dns.Address}}"
                conditions: ["[IP] == 10.99.99.99"]
            """;
        var config = ConfigLoader.LoadText(yaml, "dns.yaml", Path.GetTempPath());
        var report = await new CheckRunner(BuiltInProbes.Create(), HostResolvers.For, TimeProvider.System).RunAsync(config);

        var json = JsonReportWriter.Serialize(report);

        Assert.InRange(json.Length, 1, 16 * 1024);
        using var doc = JsonDocument.Parse(json);
        var details = doc.RootElement.GetProperty("results")[0].GetProperty("details");
        Assert.Equal(32, details.GetProperty("dns").GetProperty("answers").GetArrayLength());
        Assert.True(details.GetProperty("dns").TryGetProperty("answersDropped", out var dropped), "details.dns has no answersDropped");
        Assert.Equal(1968, dropped.GetInt32());
        Assert.Equal(32, details.GetProperty("addresses").GetArrayLength());
        var result = Assert.Single(report.Results);
        Assert.Contains(result.Evidence, line => line.StartsWith("answers: A 10.0.0.1, A 10.0.0.2, A 10.0.0.3, A 10.0.0.4 and 1996 more (1968 not kept: the result keeps the first 32)", StringComparison.Ordinal));
    }

    private static string[] ManyAddresses(int count) =>
        [.. Enumerable.Range(1, count).Select(i => string.Create(CultureInfo.InvariantCulture, $"10.0.{i / 256}.{i % 256}"))];

    [Fact]
    public async Task ProbeAsync_BadRecordType_ReportsConfigInvalid()
    {
        var observation = await RunAsync(Dns("api.lab.test", "127.0.0.1:53", "BOGUS"));

        var error = AssertError(observation, ErrorKind.ConfigInvalid, "config");
        Assert.Contains("BOGUS", error.Message, StringComparison.Ordinal);
    }
}
