using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Faultline.Core.Model;
using Faultline.TestSupport;
using static Faultline.Cli.Tests.EndToEnd.EndToEndRun;

namespace Faultline.Cli.Tests.EndToEnd;

/// <summary>
/// Certificates generated with <c>CertificateRequest</c> (expired, not yet valid, wrong name, untrusted),
/// served by a real TLS server, probed both as a <c>kind: tls</c> target and as an https <c>kind: http</c> target.
/// </summary>
public sealed class TlsFaultTests : IDisposable
{
    private readonly TestCertificates _certificates = new();

    public static TheoryData<string> Kinds => new() { "tls", "https" };

    public void Dispose() => _certificates.Dispose();

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Check_ExpiredCertificate_TlsExpiredWithItsEndDate(string kind)
    {
        var certificate = _certificates.Expired("api.lab.test");

        var result = await RunAgainstAsync(certificate, kind);

        AssertFailure(result, Layer.Tls, Side.Infrastructure, ErrorKind.TlsExpired);
        AssertEvidence(result, "expired", Day(certificate.NotAfter));
        AssertEvidence(result, "api.lab.test");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Check_NotYetValidCertificate_TlsNotYetValidWithItsStartDate(string kind)
    {
        var certificate = _certificates.NotYetValid("api.lab.test");

        var result = await RunAgainstAsync(certificate, kind);

        AssertFailure(result, Layer.Tls, Side.Infrastructure, ErrorKind.TlsNotYetValid);
        AssertEvidence(result, "valid only from", Day(certificate.NotBefore));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Check_CertificateForAnotherName_TlsNameMismatchNamingBoth(string kind)
    {
        var certificate = _certificates.WrongName("other.lab.test");

        var result = await RunAgainstAsync(certificate, kind);

        AssertFailure(result, Layer.Tls, Side.Infrastructure, ErrorKind.TlsNameMismatch);
        AssertEvidence(result, "other.lab.test", "127.0.0.1");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Check_CertificateFromUnknownAuthority_TlsUntrustedNamingTheIssuer(string kind)
    {
        var certificate = _certificates.Untrusted("api.lab.test");

        var result = await RunAgainstAsync(certificate, kind);

        AssertFailure(result, Layer.Tls, Side.Infrastructure, ErrorKind.TlsUntrusted);
        AssertEvidence(result, "Faultline Rogue CA");
    }

    private static string Day(DateTime value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Serves <paramref name="certificate"/> and probes 127.0.0.1 with the test CA as <c>tls.caFile</c>, so only the fault at hand can fail.</summary>
    private async Task<Core.Model.TargetResult> RunAgainstAsync(X509Certificate2 certificate, string kind)
    {
        await using var server = TestServers.Tls(certificate);
        var caFile = _certificates.CaFile.Replace("\\", "/", StringComparison.Ordinal);
        var target = kind == "tls"
            ? $$"""{ name: api-cert, kind: tls, host: 127.0.0.1, port: {{server.Port}}, tls: { caFile: "{{caFile}}" } }"""
            : $$"""{ name: api, kind: http, url: "https://127.0.0.1:{{server.Port}}/health", tls: { caFile: "{{caFile}}" } }""";
        return await RunOneAsync($$"""
            defaults: { timeout: 5s }
            targets:
              - {{target}}
            """);
    }
}
