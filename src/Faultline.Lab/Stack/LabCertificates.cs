using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Faultline.Lab.Stack;

/// <summary>
/// The lab's local CA and the load balancer's certificate variants, made with CertificateRequest
/// (OpenSSL's command line cannot back-date a certificate): <c>valid</c> (api.lab.test, lab CA),
/// <c>expired</c> (ended yesterday), <c>wrong-name</c> (<c>*.staging.lab.test</c> only, a deprecated
/// hostname pattern) and <c>untrusted</c> (signed by another CA that no client trusts).
/// </summary>
internal static class LabCertificates
{
    public const string Valid = "valid";
    public const string Expired = "expired";
    public const string WrongName = "wrong-name";
    public const string Untrusted = "untrusted";

    public static readonly IReadOnlyList<string> Kinds = [Valid, Expired, WrongName, Untrusted];

    public const string HostName = "api.lab.test";

    /// <summary>Writes ca.pem/ca.key and lb-KIND.pem/.key for every kind into <paramref name="dir"/> unless they exist.</summary>
    public static void Ensure(string dir, TimeProvider time)
    {
        if (Kinds.All(kind => File.Exists(CertPath(dir, kind)) && File.Exists(KeyPath(dir, kind))) && File.Exists(Path.Combine(dir, "ca.pem")))
        {
            return;
        }

        Directory.CreateDirectory(dir);
        var now = time.GetUtcNow();
        using var ca = CreateCa("Faultline lab CA", now);
        using var rogue = CreateCa("Faultline lab untrusted CA", now);
        WriteFile(Path.Combine(dir, "ca.pem"), ca.ExportCertificatePem(), secret: false);
        using (var caKey = ca.GetECDsaPrivateKey()!)
        {
            WriteFile(Path.Combine(dir, "ca.key"), caKey.ExportPkcs8PrivateKeyPem(), secret: true);
        }

        WriteLeaf(dir, Valid, ca, [HostName], now.AddDays(-1), now.AddDays(365));
        WriteLeaf(dir, Expired, ca, [HostName], now.AddDays(-60), now.AddDays(-1));
        WriteLeaf(dir, WrongName, ca, ["*.staging.lab.test"], now.AddDays(-1), now.AddDays(365));
        WriteLeaf(dir, Untrusted, rogue, [HostName], now.AddDays(-1), now.AddDays(365));
    }

    public static string CertPath(string dir, string kind) => Path.Combine(dir, $"lb-{kind}.pem");

    public static string KeyPath(string dir, string kind) => Path.Combine(dir, $"lb-{kind}.key");

    private static X509Certificate2 CreateCa(string name, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}, O=Faultline lab", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        return request.CreateSelfSigned(now.AddDays(-365), now.AddYears(10));
    }

    private static void WriteLeaf(string dir, string kind, X509Certificate2 issuer, string[] names, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={names[0]}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            san.AddDnsName(name);
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var certificate = request.Create(issuer, notBefore, notAfter, serial);
        WriteFile(CertPath(dir, kind), certificate.ExportCertificatePem() + "\n", secret: false);
        WriteFile(KeyPath(dir, kind), key.ExportPkcs8PrivateKeyPem() + "\n", secret: true);
    }

    internal static void WriteFile(string path, string text, bool secret)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, text);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, secret ? UnixFileMode.UserRead | UnixFileMode.UserWrite : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        File.Move(temp, path, overwrite: true);
    }
}
