using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Faultline.Core.Config;
using Faultline.Core.Model;

namespace Faultline.Probes.Net;

/// <summary>
/// TLS client support shared by every probe that speaks TLS (http, tls, postgres, redis).
/// <list type="number">
/// <item><see cref="CreateRecorder"/>: a <see cref="TlsValidationRecorder"/> for one connection (loads <c>tls.caFile</c>).</item>
/// <item><see cref="CreateClientOptions"/>: <see cref="SslClientAuthenticationOptions"/> for an <see cref="SslStream"/>
///   (SNI = <c>tls.serverName</c> ?? host, client certificate, validation through the recorder). Client
///   libraries with their own TLS (Npgsql, StackExchange.Redis) call <see cref="TlsValidationRecorder.Validate(X509Certificate?, X509Chain?, SslPolicyErrors)"/>
///   from their validation callback instead, and <see cref="LoadClientCertificate"/> for a client certificate.</item>
/// <item>After the handshake: <see cref="TlsValidationRecorder.Snapshot(SslStream?)"/> for the observation and,
///   when the handshake failed, <see cref="ToProbeError"/> for the typed error.</item>
/// </list>
/// Configuration problems (unreadable CA or client certificate) throw <see cref="ProbeException"/> with <see cref="ErrorKind.ConfigInvalid"/>.
/// </summary>
public static class TlsSupport
{
    /// <summary>A certificate that expires sooner than this is worth a warning even when everything else is fine.</summary>
    public static readonly TimeSpan ExpiryWarningWindow = TimeSpan.FromDays(14);

    /// <summary>The name the certificate must cover: <c>tls.serverName</c> when set, else the host that was dialled.</summary>
    public static string ServerNameFor(string host, TlsSpec? spec) =>
        string.IsNullOrWhiteSpace(spec?.ServerName) ? host.Trim('[', ']') : spec.ServerName;

    /// <summary>A recorder for one TLS connection to <paramref name="host"/>, trusting <c>tls.caFile</c> when set (else the system store).</summary>
    /// <exception cref="ProbeException"><see cref="ErrorKind.ConfigInvalid"/>: the CA file cannot be read or holds no certificate.</exception>
    public static TlsValidationRecorder CreateRecorder(string host, TlsSpec? spec, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var roots = string.IsNullOrWhiteSpace(spec?.CaFile) ? null : LoadCaFile(spec.CaFile);
        return new TlsValidationRecorder(ServerNameFor(host, spec), roots, spec?.Insecure ?? false, time);
    }

    /// <summary>
    /// Options for <see cref="SslStream.AuthenticateAsClientAsync(SslClientAuthenticationOptions, CancellationToken)"/>:
    /// SNI from the recorder's server name (none for IP literals), client certificate from <c>tls.clientCertFile</c> +
    /// <c>tls.clientKeyFile</c>, revocation not checked, and validation through <paramref name="recorder"/>.
    /// </summary>
    public static SslClientAuthenticationOptions CreateClientOptions(TlsSpec? spec, TlsValidationRecorder recorder, IReadOnlyList<SslApplicationProtocol>? applicationProtocols = null)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = recorder.ServerName,
            RemoteCertificateValidationCallback = recorder.Validate,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            EnabledSslProtocols = SslProtocols.None,
        };

        if (applicationProtocols is { Count: > 0 })
        {
            options.ApplicationProtocols = [.. applicationProtocols];
        }

        if (LoadClientCertificate(spec) is { } clientCertificate)
        {
            options.ClientCertificates = new X509CertificateCollection { clientCertificate };
        }

        return options;
    }

    /// <summary>The client certificate from <c>tls.clientCertFile</c> and <c>tls.clientKeyFile</c> (PEM), with a usable private key; null when not configured.</summary>
    /// <exception cref="ProbeException"><see cref="ErrorKind.ConfigInvalid"/>: a file is missing, unreadable or not PEM, or only one of the two is set.</exception>
    public static X509Certificate2? LoadClientCertificate(TlsSpec? spec)
    {
        var certFile = spec?.ClientCertFile;
        var keyFile = spec?.ClientKeyFile;
        if (string.IsNullOrWhiteSpace(certFile) && string.IsNullOrWhiteSpace(keyFile))
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(certFile) || string.IsNullOrWhiteSpace(keyFile))
        {
            throw ConfigError("tls.clientCertFile and tls.clientKeyFile go together: set both or neither", null);
        }

        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(certFile, keyFile);

            // Re-import through PKCS#12 so the private key is not ephemeral (SslStream needs a persisted key on some platforms).
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw ConfigError($"client certificate {certFile} with key {keyFile} cannot be loaded: {ex.Message}", ex);
        }
    }

    /// <summary>Every certificate in a PEM file, to be used as trust roots.</summary>
    /// <exception cref="ProbeException"><see cref="ErrorKind.ConfigInvalid"/>: unreadable file or no certificate in it.</exception>
    public static X509Certificate2Collection LoadCaFile(string path)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw ConfigError($"tls.caFile {path} cannot be read: {ex.Message}", ex);
        }

        if (roots.Count == 0)
        {
            throw ConfigError($"tls.caFile {path} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)", null);
        }

        return roots;
    }

    /// <summary>
    /// The typed error for a failed handshake with <paramref name="endpoint"/> (<c>host:port</c>): the recorder's
    /// certificate problem when it rejected the certificate (expired, not yet valid, name mismatch, untrusted), else
    /// what the exception says (reset, closed, protocol or alert failure). Phase <c>tls</c>; the exception is kept.
    /// </summary>
    public static ProbeError ToProbeError(TlsValidationRecorder? recorder, Exception exception, string endpoint)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception is ProbeException probe)
        {
            return probe.Error;
        }

        if (recorder is { Rejected: true } && recorder.Problems.Count > 0)
        {
            return recorder.Problems[0] with { Exception = exception };
        }

        if (FindSocketError(exception) is { } socketError)
        {
            return socketError switch
            {
                SocketError.ConnectionReset => new ProbeError(ErrorKind.ConnectionReset, $"{endpoint} reset the connection during the TLS handshake") { Phase = "tls", Code = socketError.ToString(), Exception = exception },
                SocketError.ConnectionAborted or SocketError.Shutdown => new ProbeError(ErrorKind.TlsHandshakeFailed, $"{endpoint} closed the connection during the TLS handshake") { Phase = "tls", Code = socketError.ToString(), Exception = exception },
                _ => new ProbeError(ErrorKind.TlsHandshakeFailed, $"TLS handshake with {endpoint} failed: {socketError}") { Phase = "tls", Code = socketError.ToString(), Exception = exception },
            };
        }

        var detail = Innermost(exception).Message;
        var message = recorder is { HasCertificate: false } && exception is IOException
            ? $"{endpoint} closed the connection during the TLS handshake before sending a certificate ({detail})"
            : $"TLS handshake with {endpoint} failed: {detail}";
        return new ProbeError(ErrorKind.TlsHandshakeFailed, message) { Phase = "tls", Exception = exception };
    }

    /// <summary>The error for a handshake that did not finish before the probe's deadline.</summary>
    public static ProbeError TimeoutError(string endpoint, TimeSpan waited, Exception? exception = null) =>
        new(ErrorKind.TlsTimeout, $"TLS handshake with {endpoint} did not finish within {Durations.Describe(waited)}")
        {
            Phase = "tls",
            Exception = exception,
        };

    /// <summary>Subject, issuer, SANs (DNS names and IP addresses), validity and thumbprint of a certificate.</summary>
    public static CertificateInfo Describe(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return new CertificateInfo
        {
            Subject = certificate.Subject,
            Issuer = certificate.Issuer,
            SubjectAlternativeNames = SubjectAlternativeNames(certificate),
            NotBefore = ToUtc(certificate.NotBefore),
            NotAfter = ToUtc(certificate.NotAfter),
            Thumbprint = certificate.Thumbprint,
        };
    }

    /// <summary>The DNS names and IP addresses of the SAN extension, in order.</summary>
    public static IReadOnlyList<string> SubjectAlternativeNames(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var names = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                names.AddRange(san.EnumerateDnsNames());
                names.AddRange(san.EnumerateIPAddresses().Select(a => a.ToString()));
            }
        }

        return names;
    }

    /// <summary><c>TLSv1.3</c>, <c>TLSv1.2</c>, ... as openssl and curl name them.</summary>
    public static string ProtocolName(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls13 => "TLSv1.3",
        SslProtocols.Tls12 => "TLSv1.2",
#pragma warning disable SYSLIB0039 // naming old protocols is the point: a server that still negotiates them is worth seeing
        SslProtocols.Tls11 => "TLSv1.1",
        SslProtocols.Tls => "TLSv1",
#pragma warning restore SYSLIB0039
        _ => protocol.ToString(),
    };

    internal static DateTimeOffset ToUtc(DateTime value) =>
        new(value.Kind == DateTimeKind.Utc ? value : value.ToUniversalTime(), TimeSpan.Zero);

    internal static string FormatInstant(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static ProbeException ConfigError(string message, Exception? exception) =>
        new(new ProbeError(ErrorKind.ConfigInvalid, message) { Phase = "tls", Exception = exception });

    private static SocketError? FindSocketError(Exception exception) => ExceptionChain.Find<SocketException>(exception)?.SocketErrorCode;

    /// <summary>The innermost exception of a chain: the one that says what really happened.</summary>
    internal static Exception Innermost(Exception exception) => ExceptionChain.Innermost(exception);
}

/// <summary>
/// Validates one server certificate and records every fact about it: leaf and chain, platform policy errors,
/// chain status (built against <c>tls.caFile</c> when given, else the system store, at the
/// <see cref="TimeProvider"/>'s now), hostname match, validity window. Hand <see cref="Validate(object?, X509Certificate?, X509Chain?, SslPolicyErrors)"/>
/// to an <see cref="SslStream"/>, or call <see cref="Validate(X509Certificate?, X509Chain?, SslPolicyErrors)"/> from a client
/// library's callback (Npgsql <c>UserCertificateValidationCallback</c>, StackExchange.Redis <c>CertificateValidation</c>).
/// With <c>insecure</c> it accepts anything but still records what was wrong (<see cref="Problems"/>). Thread-safe.
/// </summary>
public sealed class TlsValidationRecorder
{
    private readonly Lock _gate = new();
    private readonly X509Certificate2Collection? _trustRoots;
    private readonly TimeProvider _time;
    private CertificateInfo? _leaf;
    private IReadOnlyList<CertificateInfo> _chain = [];
    private IReadOnlyList<string> _chainStatus = [];
    private IReadOnlyList<ProbeError> _problems = [];
    private bool _hostnameMatches;
    private bool _trusted;
    private bool _rejected;
    private bool _called;
    private SslPolicyErrors _platformErrors;

    public TlsValidationRecorder(string serverName, X509Certificate2Collection? trustRoots, bool insecure, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverName);
        ArgumentNullException.ThrowIfNull(time);
        ServerName = serverName;
        _trustRoots = trustRoots;
        Insecure = insecure;
        _time = time;
    }

    /// <summary>The name the certificate must cover, also sent as SNI.</summary>
    public string ServerName { get; }

    public bool Insecure { get; }

    /// <summary>True once a validation callback ran.</summary>
    public bool Called { get { lock (_gate) { return _called; } } }

    /// <summary>True when the server presented a certificate.</summary>
    public bool HasCertificate { get { lock (_gate) { return _leaf is not null; } } }

    /// <summary>True when the last validation returned false (the handshake was aborted by us).</summary>
    public bool Rejected { get { lock (_gate) { return _rejected; } } }

    public CertificateInfo? Leaf { get { lock (_gate) { return _leaf; } } }

    public bool HostnameMatches { get { lock (_gate) { return _hostnameMatches; } } }

    public bool Trusted { get { lock (_gate) { return _trusted; } } }

    /// <summary>What the platform itself reported to the callback.</summary>
    public SslPolicyErrors PlatformErrors { get { lock (_gate) { return _platformErrors; } } }

    /// <summary>
    /// Every problem with the certificate, most specific first: expired, not yet valid, name mismatch,
    /// untrusted, none presented. Empty when the certificate is fine. With <see cref="Insecure"/> these become warnings.
    /// </summary>
    public IReadOnlyList<ProbeError> Problems { get { lock (_gate) { return _problems; } } }

    /// <summary>Signature of <see cref="RemoteCertificateValidationCallback"/>.</summary>
    public bool Validate(object? sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors sslPolicyErrors) =>
        Validate(certificate, chain, sslPolicyErrors);

    /// <summary>Records the facts about <paramref name="certificate"/> and returns whether to accept it.</summary>
    public bool Validate(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors sslPolicyErrors)
    {
        var now = _time.GetUtcNow();
        if (certificate is null)
        {
            var missing = new ProbeError(ErrorKind.TlsHandshakeFailed, $"the server presented no certificate for {ServerName}") { Phase = "tls", Code = nameof(SslPolicyErrors.RemoteCertificateNotAvailable) };
            lock (_gate)
            {
                _called = true;
                _platformErrors = sslPolicyErrors;
                _problems = [missing];
                _rejected = !Insecure;
                return Insecure;
            }
        }

        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        var leafInfo = TlsSupport.Describe(leaf);
        var (chainInfo, chainStatus, trusted) = BuildChain(leaf, chain, now);
        var hostnameMatches = leaf.MatchesHostname(ServerName, allowWildcards: true, allowCommonName: true);

        var problems = new List<ProbeError>();
        if (now > leafInfo.NotAfter)
        {
            problems.Add(new ProbeError(ErrorKind.TlsExpired,
                $"certificate for {leafInfo.Subject} expired {Durations.Describe(now - leafInfo.NotAfter)} ago (not after {TlsSupport.FormatInstant(leafInfo.NotAfter)})")
            { Phase = "tls", Code = "NotTimeValid" });
        }
        else if (now < leafInfo.NotBefore)
        {
            problems.Add(new ProbeError(ErrorKind.TlsNotYetValid,
                $"certificate for {leafInfo.Subject} is not valid for another {Durations.Describe(leafInfo.NotBefore - now)} (not before {TlsSupport.FormatInstant(leafInfo.NotBefore)})")
            { Phase = "tls", Code = "NotTimeValid" });
        }
        else
        {
            var expiredIssuer = chainInfo.Skip(1).FirstOrDefault(c => now > c.NotAfter || now < c.NotBefore);
            if (expiredIssuer is not null)
            {
                var kind = now > expiredIssuer.NotAfter ? ErrorKind.TlsExpired : ErrorKind.TlsNotYetValid;
                var text = now > expiredIssuer.NotAfter
                    ? $"issuer certificate {expiredIssuer.Subject} in the chain of {leafInfo.Subject} expired {Durations.Describe(now - expiredIssuer.NotAfter)} ago (not after {TlsSupport.FormatInstant(expiredIssuer.NotAfter)})"
                    : $"issuer certificate {expiredIssuer.Subject} in the chain of {leafInfo.Subject} is not valid before {TlsSupport.FormatInstant(expiredIssuer.NotBefore)}";
                problems.Add(new ProbeError(kind, text) { Phase = "tls", Code = "NotTimeValid" });
            }
        }

        if (!hostnameMatches)
        {
            var names = leafInfo.SubjectAlternativeNames.Count > 0
                ? leafInfo.SubjectAlternativeNames
                : [leaf.GetNameInfo(X509NameType.DnsName, forIssuer: false)];
            problems.Add(new ProbeError(ErrorKind.TlsNameMismatch,
                $"certificate names [{string.Join(", ", names)}] do not cover {ServerName}")
            { Phase = "tls", Code = nameof(SslPolicyErrors.RemoteCertificateNameMismatch) });
        }

        if (!trusted)
        {
            var store = _trustRoots is null ? "the system trust store" : $"the CA in tls.caFile ({string.Join(", ", _trustRoots.Select(r => r.Subject))})";
            var statusText = chainStatus.Count > 0 ? string.Join(", ", chainStatus) : "chain incomplete";
            problems.Add(new ProbeError(ErrorKind.TlsUntrusted,
                $"certificate for {leafInfo.Subject} issued by {leafInfo.Issuer} does not chain to {store} ({statusText})")
            { Phase = "tls", Code = chainStatus.Count > 0 ? chainStatus[0].Split(':', 2)[0] : "PartialChain" });
        }

        var accept = Insecure || problems.Count == 0;
        lock (_gate)
        {
            _called = true;
            _platformErrors = sslPolicyErrors;
            _leaf = leafInfo;
            _chain = chainInfo;
            _chainStatus = chainStatus;
            _trusted = trusted;
            _hostnameMatches = hostnameMatches;
            _problems = problems;
            _rejected = !accept;
        }

        return accept;
    }

    /// <summary>The facts recorded so far, with protocol and cipher from <paramref name="stream"/> once authenticated.</summary>
    public TlsObservation Snapshot(SslStream? stream = null)
    {
        string? protocol = null;
        string? cipher = null;
        if (stream is { IsAuthenticated: true })
        {
            protocol = TlsSupport.ProtocolName(stream.SslProtocol);
            cipher = stream.NegotiatedCipherSuite.ToString();
        }

        return Snapshot(protocol, cipher);
    }

    /// <summary>The facts recorded so far, with a protocol and cipher the caller learnt elsewhere (e.g. from a client library).</summary>
    public TlsObservation Snapshot(string? protocol, string? cipherSuite)
    {
        lock (_gate)
        {
            return new TlsObservation
            {
                ServerName = ServerName,
                Protocol = protocol,
                CipherSuite = cipherSuite,
                Leaf = _leaf,
                Chain = _chain,
                HostnameMatches = _hostnameMatches,
                Trusted = _trusted,
                ChainStatus = _chainStatus,
            };
        }
    }

    /// <summary>Warnings worth reporting on an accepted certificate: the problems <see cref="Insecure"/> let through, and expiry within <paramref name="window"/>.</summary>
    public IReadOnlyList<string> Warnings(TimeSpan window)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            var warnings = new List<string>();
            if (Insecure)
            {
                warnings.AddRange(_problems.Select(p => $"tls.insecure accepted: {p.Message}"));
            }

            if (_leaf is { } leaf && now <= leaf.NotAfter && leaf.NotAfter - now < window)
            {
                warnings.Add($"certificate expires in {Durations.Describe(leaf.NotAfter - now)} (not after {TlsSupport.FormatInstant(leaf.NotAfter)})");
            }

            return warnings;
        }
    }

    private (IReadOnlyList<CertificateInfo> Chain, IReadOnlyList<string> Status, bool Trusted) BuildChain(X509Certificate2 leaf, X509Chain? presented, DateTimeOffset now)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (_trustRoots is not null)
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(_trustRoots);
        }

        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                if (!string.Equals(element.Certificate.Thumbprint, leaf.Thumbprint, StringComparison.OrdinalIgnoreCase))
                {
                    chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }

            chain.ChainPolicy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
        }

        chain.Build(leaf);
        var elements = chain.ChainElements.Select(e => TlsSupport.Describe(e.Certificate)).ToList();
        if (elements.Count == 0)
        {
            elements.Add(TlsSupport.Describe(leaf));
        }

        // Validity is judged separately (against the TimeProvider); trust is about the path to a root.
        const X509ChainStatusFlags NotAboutTrust = X509ChainStatusFlags.NotTimeValid | X509ChainStatusFlags.NotTimeNested
            | X509ChainStatusFlags.RevocationStatusUnknown | X509ChainStatusFlags.OfflineRevocation;
        var status = chain.ChainStatus
            .Where(s => s.Status != X509ChainStatusFlags.NoError)
            .Select(s => $"{s.Status}: {s.StatusInformation.Trim()}")
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var trusted = chain.ChainStatus.All(s => (s.Status & ~NotAboutTrust) == X509ChainStatusFlags.NoError);
        return (elements, status, trusted);
    }
}
