namespace Faultline.Core.Model;

/// <summary>
/// The closed list of typed failures a probe can observe. Each has a stable wire name (kebab-case)
/// used in JSON as <c>error.kind</c>; see docs/attribution.md for what each one means.
/// </summary>
public enum ErrorKind
{
    /// <summary>The name does not exist (rcode NXDOMAIN).</summary>
    DnsNxDomain,
    /// <summary>The resolver answered SERVFAIL.</summary>
    DnsServFail,
    /// <summary>The resolver answered REFUSED or another error rcode, or could not be asked at all.</summary>
    DnsRefused,
    /// <summary>The resolver did not answer in time.</summary>
    DnsTimeout,
    /// <summary>The name exists but has no record of the requested type.</summary>
    DnsNoAnswer,
    /// <summary>The resolver's answer could not be read: malformed, cut short, truncated even over TCP, or not the answer to the query (wrong id).</summary>
    DnsMalformed,
    /// <summary>RST on SYN: nothing listens on host:port.</summary>
    ConnectionRefused,
    /// <summary>No answer to SYN before the deadline: a filtered or blackholed path.</summary>
    ConnectTimeout,
    /// <summary>No route to the host or network.</summary>
    NetworkUnreachable,
    /// <summary>No unix socket where the connection string points (the directory or the socket file is absent, or the path is not a socket): nothing was reached.</summary>
    SocketMissing,
    /// <summary>The peer reset an established connection.</summary>
    ConnectionReset,
    /// <summary>The connection closed before a complete answer.</summary>
    ConnectionClosed,
    /// <summary>Connected, but no answer arrived before the deadline.</summary>
    ReadTimeout,
    /// <summary>The server certificate has expired.</summary>
    TlsExpired,
    /// <summary>The server certificate is not valid yet.</summary>
    TlsNotYetValid,
    /// <summary>The certificate does not cover the host name asked for.</summary>
    TlsNameMismatch,
    /// <summary>The chain does not lead to a trusted root.</summary>
    TlsUntrusted,
    /// <summary>The TLS handshake failed for another reason (protocol, cipher, alert).</summary>
    TlsHandshakeFailed,
    /// <summary>The TLS handshake did not finish before the deadline.</summary>
    TlsTimeout,
    /// <summary>The peer does not speak the expected protocol (e.g. not HTTP, not TLS).</summary>
    ProtocolError,
    /// <summary>The server answered a step with an HTTP status it cannot go on from: a refused WebSocket upgrade, a failed login, an error page instead of a health document.</summary>
    UnexpectedStatus,
    /// <summary>An expected event arrived before another expected event that must come first.</summary>
    EventOutOfOrder,
    /// <summary>A redirect the probe will not follow: from https to http (the request would travel in clear text).</summary>
    RedirectRefused,
    /// <summary>Redirects that come back to a URL already visited, or more of them than the probe follows.</summary>
    RedirectLoop,
    /// <summary>The database rejected the credentials (SQLSTATE 28P01/28000).</summary>
    DatabaseAuthFailed,
    /// <summary>The database has no connection slots left (SQLSTATE 53300).</summary>
    DatabaseTooManyConnections,
    /// <summary>The database does not exist (SQLSTATE 3D000).</summary>
    DatabaseNotFound,
    /// <summary>The database is starting up or shutting down (SQLSTATE 57P03 and friends).</summary>
    DatabaseUnavailable,
    /// <summary>A SQL error in the probe query (e.g. 42P01 undefined table).</summary>
    DatabaseSqlError,
    /// <summary>The service's own connection pool is full (every connection busy) and requests wait for one.</summary>
    PoolExhausted,
    /// <summary>Redis rejected the credentials (NOAUTH / WRONGPASS).</summary>
    CacheAuthFailed,
    /// <summary>Redis refused a write: out of memory (OOM).</summary>
    CacheOutOfMemory,
    /// <summary>Redis refused a write: read-only replica (READONLY).</summary>
    CacheReadOnly,
    /// <summary>Redis answered with another error.</summary>
    CacheError,
    /// <summary>A required secret is absent.</summary>
    SecretMissing,
    /// <summary>A secret is present but breaks a format rule.</summary>
    SecretInvalid,
    /// <summary>A configuration value the probe needs is unusable (bad connection string, unreadable CA file).</summary>
    ConfigInvalid,
    /// <summary>The target's own deadline passed (phase unknown).</summary>
    Timeout,
    /// <summary>The run was cancelled by the caller (Ctrl-C), not by the target's deadline.</summary>
    Cancelled,
    /// <summary>The check's own deadline passed while the target waited for a probe slot: never probed, never a root cause.</summary>
    NotStarted,
    /// <summary>Faultline itself failed while probing; a bug report is welcome.</summary>
    Internal,
}

public static class ErrorKinds
{
    public static string Wire(this ErrorKind kind)
    {
        var name = kind.ToString();
        var builder = new System.Text.StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c) && i > 0)
            {
                builder.Append('-');
            }

            builder.Append(char.ToLowerInvariant(c));
        }

        return builder.ToString();
    }

    public static bool TryParseWire(string wire, out ErrorKind kind)
    {
        foreach (var candidate in Enum.GetValues<ErrorKind>())
        {
            if (string.Equals(candidate.Wire(), wire, StringComparison.Ordinal))
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }
}
