using System.Text.Json.Serialization;

namespace Faultline.Core.Model;

/// <summary>
/// What a probe saw, raw: phase timings, protocol facts and, when something went wrong, a typed
/// <see cref="ProbeError"/>. A probe never decides pass/fail; conditions and the classifier do.
/// </summary>
public sealed record Observation
{
    /// <summary>What was probed, secrets removed: a URL, <c>host:port</c>, or a secret source.</summary>
    public required string Target { get; init; }

    /// <summary>True once a transport connection (or its equivalent) was established.</summary>
    public bool Connected { get; init; }

    /// <summary>Wall time of the whole probe.</summary>
    public TimeSpan Elapsed { get; init; }

    public PhaseTimings Phases { get; init; } = new();

    /// <summary>The typed failure, if the probe could not complete what it set out to observe.</summary>
    public ProbeError? Error { get; init; }

    /// <summary>Addresses the host name resolved to (or was given as); <c>[IP]</c> reads the first.</summary>
    public IReadOnlyList<string> Addresses { get; init; } = [];

    public HttpObservation? Http { get; init; }

    public TlsObservation? Tls { get; init; }

    public DnsObservation? Dns { get; init; }

    public DatabaseObservation? Database { get; init; }

    public CacheObservation? Cache { get; init; }

    public SecretObservation? Secrets { get; init; }

    /// <summary>What a WebSocket exchange showed: the events that arrived, their latencies, the ones missing.</summary>
    public WebSocketObservation? WebSocket { get; init; }

    /// <summary>What a service reported about itself (its <c>/health/infrastructure</c> or its termination message).</summary>
    public RemoteObservation? Remote { get; init; }

    /// <summary>What a load check (<c>concurrency</c>, <c>startup</c>) saw: its attempts, aggregated.</summary>
    public LoadObservation? Load { get; init; }

    /// <summary>
    /// Dependencies as the probed service sees them from inside. The runner turns each into a result of its
    /// own, named <c>&lt;target&gt;/&lt;component&gt;</c> and marked <see cref="Vantage.Inside"/>.
    /// </summary>
    public IReadOnlyList<ComponentObservation> Components { get; init; } = [];

    /// <summary>Facts that do not fail the target but deserve attention (capacity headroom, a certificate close to expiry). Turn a pass into warn.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>Milliseconds per phase; null where the phase did not apply or did not run.</summary>
public sealed record PhaseTimings
{
    public double? DnsMs { get; init; }

    public double? ConnectMs { get; init; }

    public double? TlsMs { get; init; }

    public double? FirstByteMs { get; init; }

    public double? TransferMs { get; init; }

    [JsonIgnore]
    public bool IsEmpty => DnsMs is null && ConnectMs is null && TlsMs is null && FirstByteMs is null && TransferMs is null;
}

/// <summary>A typed failure seen by a probe. <see cref="Exception"/> is kept for logs and never serialised.</summary>
public sealed record ProbeError(ErrorKind Kind, string Message)
{
    /// <summary>The phase the failure happened in: dns, connect, tls, request, response, auth, query, write, read.</summary>
    public string? Phase { get; init; }

    /// <summary>A protocol code when one exists: SQLSTATE, Redis error prefix, socket error name, DNS rcode.</summary>
    public string? Code { get; init; }

    [JsonIgnore]
    public Exception? Exception { get; init; }
}

/// <summary>Carries a typed <see cref="ProbeError"/> out of a probe's inner layers to the probe's own boundary.</summary>
public sealed class ProbeException : Exception
{
    public ProbeException(ProbeError error)
        : base(error.Message, error.Exception)
    {
        Error = error;
    }

    public ProbeException()
        : this(new ProbeError(ErrorKind.Internal, "probe failed"))
    {
    }

    public ProbeException(string message)
        : this(new ProbeError(ErrorKind.Internal, message))
    {
    }

    public ProbeException(string message, Exception innerException)
        : this(new ProbeError(ErrorKind.Internal, message) { Exception = innerException })
    {
    }

    public ProbeError Error { get; }
}

public sealed record HttpObservation
{
    public int StatusCode { get; init; }

    public string? ReasonPhrase { get; init; }

    public string? Version { get; init; }

    /// <summary>Response headers, names case-insensitive, repeated values joined with ", ".</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The body as text, at most the target's <c>maxBodyBytes</c>.</summary>
    public string Body { get; init; } = string.Empty;

    public bool BodyTruncated { get; init; }

    public string? FinalUrl { get; init; }
}

public sealed record CertificateInfo
{
    public required string Subject { get; init; }

    public required string Issuer { get; init; }

    public IReadOnlyList<string> SubjectAlternativeNames { get; init; } = [];

    public DateTimeOffset NotBefore { get; init; }

    public DateTimeOffset NotAfter { get; init; }

    public string? Thumbprint { get; init; }
}

public sealed record TlsObservation
{
    public string? ServerName { get; init; }

    public string? Protocol { get; init; }

    public string? CipherSuite { get; init; }

    /// <summary>The server's leaf certificate, when one was presented.</summary>
    public CertificateInfo? Leaf { get; init; }

    public IReadOnlyList<CertificateInfo> Chain { get; init; } = [];

    public bool HostnameMatches { get; init; }

    public bool Trusted { get; init; }

    /// <summary>Chain-building problems as reported by the platform (e.g. NotTimeValid, UntrustedRoot).</summary>
    public IReadOnlyList<string> ChainStatus { get; init; } = [];
}

public sealed record DnsAnswer(string Type, string Value, int Ttl);

public sealed record DnsObservation
{
    public required string Server { get; init; }

    /// <summary>NOERROR, NXDOMAIN, SERVFAIL, REFUSED, ... or TIMEOUT when no answer came.</summary>
    public required string ResponseCode { get; init; }

    /// <summary>The answers kept: the first ones received, up to the probe's cap (see docs/probes/dns.md).</summary>
    public IReadOnlyList<DnsAnswer> Answers { get; init; } = [];

    /// <summary>How many answers the server sent beyond those kept in <see cref="Answers"/>.</summary>
    public int AnswersDropped { get; init; }
}

public sealed record DatabaseObservation
{
    public string? ServerVersion { get; init; }

    public bool Authenticated { get; init; }

    public bool? TlsUsed { get; init; }

    public int? MaxConnections { get; init; }

    public int? ReservedConnections { get; init; }

    public int? ConnectionsInUse { get; init; }

    public double? QueryMs { get; init; }

    public string? SqlState { get; init; }
}

public sealed record CacheObservation
{
    public string? ServerVersion { get; init; }

    public string? Role { get; init; }

    public double? PingMs { get; init; }

    public long? ConnectedClients { get; init; }

    public long? MaxClients { get; init; }

    public long? UsedMemoryBytes { get; init; }

    public long? MaxMemoryBytes { get; init; }

    public bool? WriteOk { get; init; }
}

public sealed record SecretRuleResult(string Rule, bool Ok, string Detail);

public sealed record SecretEntry
{
    public required string Name { get; init; }

    public bool Present { get; init; }

    public bool Required { get; init; }

    /// <summary>First 8 hex digits of the SHA-256 of the value; never the value.</summary>
    public string? Fingerprint { get; init; }

    public int? Length { get; init; }

    public IReadOnlyList<SecretRuleResult> Rules { get; init; } = [];
}

public sealed record SecretObservation
{
    /// <summary><c>env</c> or <c>dir:/path</c>.</summary>
    public required string Source { get; init; }

    public IReadOnlyList<SecretEntry> Entries { get; init; } = [];
}
