using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Faultline.TestSupport;

/// <summary>
/// A private certificate authority and server certificates made with <see cref="CertificateRequest"/>:
/// valid, expired, not yet valid, wrong name, untrusted (another CA, self-signed). Leaves carry the given DNS
/// names plus a 127.0.0.1 IP SAN, have an exportable private key (re-imported through PKCS#12, which
/// <c>SslStream</c> on Linux needs), and are dated relative to the given <see cref="TimeProvider"/>'s now.
/// The CA's PEM is written to <see cref="CaFile"/> for <c>tls.caFile</c>. Dispose to delete the files.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private readonly TimeProvider _time;
    private readonly ECDsa _caKey;
    private readonly List<X509Certificate2> _issued = [];
    private int _fileCounter;

    public TestCertificates(TimeProvider? time = null, string authorityName = "Faultline Test CA")
    {
        _time = time ?? TimeProvider.System;
        Directory = Path.Combine(Path.GetTempPath(), "faultline-certs-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Directory);
        (Authority, _caKey) = CreateAuthority(authorityName, Now);
        CaFile = WritePem("ca.pem", Authority.ExportCertificatePem());
    }

    /// <summary>Temporary directory holding the PEM files.</summary>
    public string Directory { get; }

    /// <summary>The CA certificate (public part).</summary>
    public X509Certificate2 Authority { get; }

    /// <summary>PEM file with the CA certificate, for <c>tls.caFile</c>.</summary>
    public string CaFile { get; }

    private DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>Valid from a day ago for 90 days, issued by <see cref="Authority"/>.</summary>
    public X509Certificate2 Valid(params string[] dnsNames) =>
        Issue(dnsNames, Now.AddDays(-1), Now.AddDays(90));

    /// <summary>Expired three days ago.</summary>
    public X509Certificate2 Expired(params string[] dnsNames) =>
        Issue(dnsNames, Now.AddDays(-60), Now.AddDays(-3));

    /// <summary>Valid only from two days from now.</summary>
    public X509Certificate2 NotYetValid(params string[] dnsNames) =>
        Issue(dnsNames, Now.AddDays(2), Now.AddDays(90));

    /// <summary>Valid now, expiring after <paramref name="remaining"/>.</summary>
    public X509Certificate2 ExpiringIn(TimeSpan remaining, params string[] dnsNames) =>
        Issue(dnsNames, Now.AddDays(-1), Now + remaining);

    /// <summary>Valid dates and trusted issuer, but only for <paramref name="dnsNames"/> and without the loopback IP SAN.</summary>
    public X509Certificate2 WrongName(params string[] dnsNames) =>
        Issue(dnsNames, Now.AddDays(-1), Now.AddDays(90), includeLoopbackIp: false);

    /// <summary>Signed by a different CA that nobody trusts.</summary>
    public X509Certificate2 Untrusted(params string[] dnsNames)
    {
        var (otherCa, otherKey) = CreateAuthority("Faultline Rogue CA", Now);
        using (otherCa)
        using (otherKey)
        {
            return IssueWith(otherCa, otherKey, dnsNames, Now.AddDays(-1), Now.AddDays(90), includeLoopbackIp: true);
        }
    }

    /// <summary>Self-signed leaf with the given names.</summary>
    public X509Certificate2 SelfSigned(params string[] dnsNames)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = LeafRequest(key, dnsNames, includeLoopbackIp: true);
        using var cert = request.CreateSelfSigned(Now.AddDays(-1), Now.AddDays(90));
        return Track(Reimport(cert));
    }

    /// <summary>A leaf issued by <see cref="Authority"/> with explicit dates.</summary>
    public X509Certificate2 Issue(IReadOnlyList<string> dnsNames, DateTimeOffset notBefore, DateTimeOffset notAfter, bool includeLoopbackIp = true) =>
        IssueWith(Authority, _caKey, dnsNames, notBefore, notAfter, includeLoopbackIp);

    /// <summary>Writes the certificate and its private key as PEM files (for client certificates or external servers).</summary>
    public (string CertFile, string KeyFile) WritePem(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var n = Interlocked.Increment(ref _fileCounter);
        var certFile = WritePem($"cert{n}.pem", certificate.ExportCertificatePem());
        using var key = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("certificate has no ECDSA private key");
        var keyFile = WritePem($"key{n}.pem", key.ExportPkcs8PrivateKeyPem());
        return (certFile, keyFile);
    }

    public void Dispose()
    {
        foreach (var cert in _issued)
        {
            cert.Dispose();
        }

        Authority.Dispose();
        _caKey.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still open elsewhere; the temp directory is cleaned by the OS.
        }
    }

    private static (X509Certificate2 Certificate, ECDsa Key) CreateAuthority(string name, DateTimeOffset now)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}, O=Faultline Tests", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 1, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var cert = request.CreateSelfSigned(now.AddDays(-365), now.AddDays(3650));
        return (cert, key);
    }

    private static CertificateRequest LeafRequest(ECDsa key, IReadOnlyList<string> dnsNames, bool includeLoopbackIp)
    {
        var commonName = dnsNames.Count > 0 ? dnsNames[0] : "127.0.0.1";
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames)
        {
            san.AddDnsName(name);
        }

        if (includeLoopbackIp)
        {
            san.AddIpAddress(IPAddress.Loopback);
        }

        request.CertificateExtensions.Add(san.Build());
        return request;
    }

    private X509Certificate2 IssueWith(X509Certificate2 issuer, ECDsa issuerKey, IReadOnlyList<string> dnsNames, DateTimeOffset notBefore, DateTimeOffset notAfter, bool includeLoopbackIp)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = LeafRequest(key, dnsNames, includeLoopbackIp);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var serial = new byte[12];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        var generator = X509SignatureGenerator.CreateForECDsa(issuerKey);
        using var unsigned = request.Create(issuer.SubjectName, generator, notBefore, notAfter, serial);
        using var withKey = unsigned.CopyWithPrivateKey(key);
        return Track(Reimport(withKey));
    }

    private static X509Certificate2 Reimport(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);

    private X509Certificate2 Track(X509Certificate2 certificate)
    {
        lock (_issued)
        {
            _issued.Add(certificate);
        }

        return certificate;
    }

    private string WritePem(string fileName, string pem)
    {
        var path = Path.Combine(Directory, fileName);
        File.WriteAllText(path, pem);
        return path;
    }
}
