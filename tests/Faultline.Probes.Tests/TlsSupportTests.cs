using System.Net.Security;
using System.Security.Authentication;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Probes.Net;
using Faultline.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Faultline.Probes.Tests;

/// <summary>The recorder called directly, the way a client library's validation callback calls it.</summary>
public sealed class TlsSupportTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
    private readonly TestCertificates _certs;

    public TlsSupportTests() => _certs = new TestCertificates(_time);

    public void Dispose() => _certs.Dispose();

    private TlsValidationRecorder Recorder(string host = "api.lab.test", TlsSpec? spec = null) =>
        TlsSupport.CreateRecorder(host, spec ?? new TlsSpec { CaFile = _certs.CaFile }, _time);

    [Fact]
    public void Validate_ValidCertificate_AcceptsAndRecords()
    {
        var recorder = Recorder();

        var accepted = recorder.Validate(_certs.Valid("api.lab.test"), null, SslPolicyErrors.RemoteCertificateChainErrors);

        Assert.True(accepted);
        Assert.Empty(recorder.Problems);
        var snapshot = recorder.Snapshot("TLSv1.3", "TLS_AES_128_GCM_SHA256");
        Assert.True(snapshot.Trusted);
        Assert.True(snapshot.HostnameMatches);
        Assert.Equal("TLSv1.3", snapshot.Protocol);
        Assert.Equal(2, snapshot.Chain.Count);
        Assert.Equal(SslPolicyErrors.RemoteCertificateChainErrors, recorder.PlatformErrors);
    }

    [Fact]
    public void Validate_ExpiredByTimeProvider_RejectsWithExpiryMessage()
    {
        var recorder = Recorder();
        var cert = _certs.Valid("api.lab.test");
        _time.Advance(TimeSpan.FromDays(93));

        var accepted = recorder.Validate(cert, null, SslPolicyErrors.None);

        Assert.False(accepted);
        var problem = Assert.Single(recorder.Problems);
        Assert.Equal(ErrorKind.TlsExpired, problem.Kind);
        Assert.Equal("certificate for CN=api.lab.test expired 3 days ago (not after 2027-02-23T12:00:00Z)", problem.Message);
    }

    [Fact]
    public void Validate_WildcardForOtherDomain_ReportsNamesNotCovered()
    {
        var recorder = Recorder("api.staging.example");

        recorder.Validate(_certs.WrongName("*.prod.example", "prod.example"), null, SslPolicyErrors.None);

        var problem = Assert.Single(recorder.Problems);
        Assert.Equal(ErrorKind.TlsNameMismatch, problem.Kind);
        Assert.Equal("certificate names [*.prod.example, prod.example] do not cover api.staging.example", problem.Message);
    }

    [Fact]
    public void Validate_WildcardCoveringHost_Matches()
    {
        var recorder = Recorder("api.staging.example");

        Assert.True(recorder.Validate(_certs.WrongName("*.staging.example"), null, SslPolicyErrors.None));
        Assert.True(recorder.HostnameMatches);
    }

    [Fact]
    public void Validate_ServerNameOverride_ChecksThatName()
    {
        var recorder = Recorder("127.0.0.1", new TlsSpec { CaFile = _certs.CaFile, ServerName = "api.lab.test" });

        Assert.Equal("api.lab.test", recorder.ServerName);
        Assert.True(recorder.Validate(_certs.WrongName("api.lab.test"), null, SslPolicyErrors.None));
    }

    [Fact]
    public void Validate_NoCertificate_RejectsAsHandshakeFailure()
    {
        var recorder = Recorder();

        Assert.False(recorder.Validate(null, null, SslPolicyErrors.RemoteCertificateNotAvailable));
        Assert.Equal(ErrorKind.TlsHandshakeFailed, Assert.Single(recorder.Problems).Kind);
        Assert.False(recorder.HasCertificate);
    }

    [Fact]
    public void Validate_Insecure_AcceptsAndTurnsProblemsIntoWarnings()
    {
        var recorder = Recorder(spec: new TlsSpec { Insecure = true });

        Assert.True(recorder.Validate(_certs.SelfSigned("other.example"), null, SslPolicyErrors.RemoteCertificateChainErrors));

        Assert.Equal([ErrorKind.TlsNameMismatch, ErrorKind.TlsUntrusted], recorder.Problems.Select(p => p.Kind));
        var warnings = recorder.Warnings(TlsSupport.ExpiryWarningWindow);
        Assert.Equal(2, warnings.Count);
        Assert.All(warnings, w => Assert.StartsWith("tls.insecure accepted: ", w, StringComparison.Ordinal));
    }

    [Fact]
    public void ToProbeError_RejectedCertificate_UsesRecordedProblemAndKeepsException()
    {
        var recorder = Recorder();
        recorder.Validate(_certs.Untrusted("api.lab.test"), null, SslPolicyErrors.RemoteCertificateChainErrors);
        var exception = new AuthenticationException("The remote certificate was rejected by the provided RemoteCertificateValidationCallback.");

        var error = TlsSupport.ToProbeError(recorder, exception, "api.lab.test:443");

        Assert.Equal(ErrorKind.TlsUntrusted, error.Kind);
        Assert.Equal("tls", error.Phase);
        Assert.Same(exception, error.Exception);
    }

    [Fact]
    public void ToProbeError_AlertWithoutCertificateProblem_IsHandshakeFailure()
    {
        var error = TlsSupport.ToProbeError(Recorder(), new AuthenticationException("handshake failure alert"), "api.lab.test:443");

        Assert.Equal(ErrorKind.TlsHandshakeFailed, error.Kind);
        Assert.Equal("TLS handshake with api.lab.test:443 failed: handshake failure alert", error.Message);
    }

    [Fact]
    public void CreateRecorder_CaFileWithoutCertificate_ThrowsConfigInvalid()
    {
        var path = Path.Combine(_certs.Directory, "empty.pem");
        File.WriteAllText(path, "not a certificate");

        var ex = Assert.Throws<ProbeException>(() => TlsSupport.CreateRecorder("api.lab.test", new TlsSpec { CaFile = path }, _time));

        Assert.Equal(ErrorKind.ConfigInvalid, ex.Error.Kind);
    }

    [Fact]
    public void LoadClientCertificate_PemPair_HasPrivateKey()
    {
        var (certFile, keyFile) = _certs.WritePem(_certs.Valid("client.lab.test"));

        using var cert = TlsSupport.LoadClientCertificate(new TlsSpec { ClientCertFile = certFile, ClientKeyFile = keyFile });

        Assert.NotNull(cert);
        Assert.True(cert.HasPrivateKey);
        Assert.Null(TlsSupport.LoadClientCertificate(null));
        Assert.Equal(ErrorKind.ConfigInvalid, Assert.Throws<ProbeException>(() => TlsSupport.LoadClientCertificate(new TlsSpec { ClientCertFile = certFile })).Error.Kind);
    }
}
