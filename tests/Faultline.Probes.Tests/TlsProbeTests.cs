using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Probes.Net;
using Faultline.TestSupport;
using Microsoft.Extensions.Time.Testing;
using static Faultline.Probes.Tests.ProbeHarness;

namespace Faultline.Probes.Tests;

public sealed class TlsProbeTests : IDisposable
{
    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    private TargetSpec Tls(int port, string host = "127.0.0.1", TlsSpec? tls = null) => new()
    {
        Name = "tls",
        Kind = TargetKinds.Tls,
        Host = host,
        Port = port,
        Tls = tls ?? new TlsSpec { CaFile = _certs.CaFile },
    };

    [Fact]
    public async Task ProbeAsync_ValidCertificateWithCaFile_RecordsHandshakeFacts()
    {
        var cert = _certs.Valid("api.lab.test");
        await using var server = TestServers.Tls(cert);
        await using var dns = new TinyDnsServer().Add("api.lab.test", "127.0.0.1");

        var observation = await RunAsync(Tls(server.Port, "api.lab.test"), resolver: HostResolvers.ForServer(dns.Address));

        Assert.Null(observation.Error);
        Assert.Empty(observation.Warnings);
        Assert.True(observation.Connected);
        var tls = Assert.IsType<TlsObservation>(observation.Tls);
        Assert.Equal("api.lab.test", tls.ServerName);
        Assert.Contains(tls.Protocol, new[] { "TLSv1.2", "TLSv1.3" });
        Assert.False(string.IsNullOrEmpty(tls.CipherSuite));
        Assert.True(tls.HostnameMatches);
        Assert.True(tls.Trusted);
        Assert.Empty(tls.ChainStatus);
        var leaf = Assert.IsType<CertificateInfo>(tls.Leaf);
        Assert.Equal("CN=api.lab.test", leaf.Subject);
        Assert.Contains("Faultline Test CA", leaf.Issuer, StringComparison.Ordinal);
        Assert.Equal(["api.lab.test", "127.0.0.1"], leaf.SubjectAlternativeNames);
        Assert.Equal(new DateTimeOffset(cert.NotAfter.ToUniversalTime()), leaf.NotAfter);
        Assert.Equal(cert.Thumbprint, leaf.Thumbprint);
        Assert.Equal(2, tls.Chain.Count);
        Assert.NotNull(observation.Phases.DnsMs);
        Assert.NotNull(observation.Phases.ConnectMs);
        Assert.NotNull(observation.Phases.TlsMs);
    }

    [Fact]
    public async Task ProbeAsync_ExpiredCertificate_ReportsTlsExpiredAndKeepsCertificate()
    {
        await using var server = TestServers.Tls(_certs.Expired("api.lab.test"));

        var observation = await RunAsync(Tls(server.Port));

        var error = AssertError(observation, ErrorKind.TlsExpired, "tls");
        Assert.StartsWith("certificate for CN=api.lab.test expired 3 days ago (not after ", error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.Exception);
        Assert.True(observation.Connected);
        Assert.NotNull(observation.Tls?.Leaf);
        Assert.True(observation.Tls.Trusted);
        Assert.Null(observation.Tls.Protocol);
    }

    [Fact]
    public async Task ProbeAsync_NotYetValidCertificate_ReportsTlsNotYetValid()
    {
        await using var server = TestServers.Tls(_certs.NotYetValid("api.lab.test"));

        var observation = await RunAsync(Tls(server.Port));

        var error = AssertError(observation, ErrorKind.TlsNotYetValid, "tls");
        Assert.StartsWith("certificate for CN=api.lab.test is not valid for another ", error.Message, StringComparison.Ordinal);
        Assert.Contains("(not before ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_CertificateForOtherNames_ReportsTlsNameMismatch()
    {
        await using var server = TestServers.Tls(_certs.WrongName("*.staging.example"));

        var observation = await RunAsync(Tls(server.Port, tls: new TlsSpec { CaFile = _certs.CaFile, ServerName = "api.prod.example" }));

        var error = AssertError(observation, ErrorKind.TlsNameMismatch, "tls");
        Assert.Equal("certificate names [*.staging.example] do not cover api.prod.example", error.Message);
        Assert.False(observation.Tls?.HostnameMatches);
        Assert.True(observation.Tls?.Trusted);
    }

    [Fact]
    public async Task ProbeAsync_CertificateFromAnotherCa_ReportsTlsUntrusted()
    {
        await using var server = TestServers.Tls(_certs.Untrusted("api.lab.test"));

        var observation = await RunAsync(Tls(server.Port));

        var error = AssertError(observation, ErrorKind.TlsUntrusted, "tls");
        Assert.Contains("issued by CN=Faultline Rogue CA", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not chain to the CA in tls.caFile", error.Message, StringComparison.Ordinal);
        Assert.False(observation.Tls?.Trusted);
        Assert.NotEmpty(observation.Tls!.ChainStatus);
    }

    [Fact]
    public async Task ProbeAsync_SelfSignedCertificate_ReportsTlsUntrusted()
    {
        await using var server = TestServers.Tls(_certs.SelfSigned("api.lab.test"));

        var observation = await RunAsync(Tls(server.Port));

        AssertError(observation, ErrorKind.TlsUntrusted, "tls");
    }

    [Fact]
    public async Task ProbeAsync_PrivateCaWithoutCaFile_ReportsTlsUntrustedBySystemStore()
    {
        await using var server = TestServers.Tls(_certs.Valid("api.lab.test"));

        var observation = await RunAsync(Tls(server.Port, tls: new TlsSpec()));

        var error = AssertError(observation, ErrorKind.TlsUntrusted, "tls");
        Assert.Contains("the system trust store", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_InsecureWithExpiredCertificate_WarnsInsteadOfFailing()
    {
        await using var server = TestServers.Tls(_certs.Expired("api.lab.test"));

        var observation = await RunAsync(Tls(server.Port, tls: new TlsSpec { Insecure = true }));

        Assert.Null(observation.Error);
        Assert.NotNull(observation.Tls?.Protocol);
        Assert.Contains(observation.Warnings, w => w.Contains("expired 3 days ago", StringComparison.Ordinal));
        Assert.Contains(observation.Warnings, w => w.Contains("does not chain to the system trust store", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ProbeAsync_CertificateExpiringSoon_Warns()
    {
        await using var server = TestServers.Tls(_certs.ExpiringIn(TimeSpan.FromDays(9.5), "api.lab.test"));

        var observation = await RunAsync(Tls(server.Port));

        Assert.Null(observation.Error);
        var warning = Assert.Single(observation.Warnings);
        Assert.StartsWith("certificate expires in 9.5 days", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_ClockPastNotAfter_JudgesExpiryByTimeProvider()
    {
        var cert = _certs.Valid("api.lab.test");
        await using var server = TestServers.Tls(cert);
        var time = new FakeTimeProvider(new DateTimeOffset(cert.NotAfter.ToUniversalTime()).AddDays(5));

        var observation = await RunAsync(Tls(server.Port), time: time);

        var error = AssertError(observation, ErrorKind.TlsExpired, "tls");
        Assert.Contains("expired 5 days ago", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_PlainHttpServer_ReportsTlsHandshakeFailed()
    {
        await using var server = TestServers.Banner(TestServers.RawResponse(400, "Bad Request", "plain http on a TLS port"));

        var observation = await RunAsync(Tls(server.Port));

        var error = AssertError(observation, ErrorKind.TlsHandshakeFailed, "tls");
        Assert.NotNull(error.Exception);
        Assert.Null(observation.Tls);
    }

    [Fact]
    public async Task ProbeAsync_UnreadableCaFile_ReportsConfigInvalid()
    {
        await using var server = TestServers.Tls(_certs.Valid("api.lab.test"));

        var observation = await RunAsync(Tls(server.Port, tls: new TlsSpec { CaFile = Path.Combine(_certs.Directory, "missing.pem") }));

        var error = AssertError(observation, ErrorKind.ConfigInvalid, "tls");
        Assert.Contains("missing.pem", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_ClientCertificateFiles_HandshakeSucceeds()
    {
        await using var server = TestServers.Tls(_certs.Valid("api.lab.test"));
        var (certFile, keyFile) = _certs.WritePem(_certs.Valid("client.lab.test"));

        var observation = await RunAsync(Tls(server.Port, tls: new TlsSpec { CaFile = _certs.CaFile, ClientCertFile = certFile, ClientKeyFile = keyFile }));

        Assert.Null(observation.Error);
    }
}
