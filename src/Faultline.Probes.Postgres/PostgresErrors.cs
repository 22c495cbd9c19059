using System.Net.Sockets;
using System.Security.Authentication;
using Faultline.Core.Model;
using Faultline.Postgres;
using Faultline.Probes.Net;
using Npgsql;

namespace Faultline.Probes.Postgres;

/// <summary>
/// Turns Npgsql failures into typed <see cref="ProbeError"/>s. The postgres probe uses it, and so can
/// application code (e.g. a startup phase that opens its own connection) so one fault reads the same
/// wherever it was met. Messages never contain a password: Npgsql's server texts do not carry one.
/// </summary>
public static class PostgresErrors
{
    private const string UnixPrefix = "unix:";

    /// <summary>How Npgsql begins the message of a pooled open that waited its whole timeout for a free connection (it has no type of its own).</summary>
    private const string PoolExhaustedPrefix = "The connection pool has been exhausted";

    /// <summary>
    /// The typed error for <paramref name="exception"/> (or an exception in its inner chain) met while
    /// talking to PostgreSQL at <paramref name="endpoint"/>; null when nothing in the chain comes from
    /// Npgsql, a socket or a timeout.
    /// </summary>
    /// <param name="endpoint">
    /// <c>host:port</c>, or <c>unix:DIR/.s.PGSQL.PORT</c> for a unix socket (see <see cref="PostgresConnectionStrings.Endpoint"/>):
    /// then an absent socket is socket-missing and a refused one connection-refused, as the probe reports them.
    /// </param>
    /// <param name="phase">Where it happened: <c>auth</c> (opening a session) or <c>query</c>.</param>
    public static ProbeError? Describe(Exception exception, string endpoint, string phase = "auth", string? user = null, string? database = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (ExceptionChain.Find<PostgresException>(exception) is { } server)
        {
            return FromServer(server, endpoint, phase, user, database);
        }

        if (ExceptionChain.Find<AuthenticationException>(exception) is not null)
        {
            return TlsSupport.ToProbeError(null, exception, endpoint);
        }

        if (ExceptionChain.Find<SocketException>(exception) is { } socket)
        {
            var error = endpoint.StartsWith(UnixPrefix, StringComparison.Ordinal)
                ? UnixSocketPreflight.FromSocket(socket, endpoint[UnixPrefix.Length..])
                : NetworkPreflight.FromSocket(socket, endpoint);
            return error with { Phase = phase == "query" ? "query" : "connect", Exception = exception };
        }

        if (ExceptionChain.Find<NpgsqlException>(exception) is { } pool
            && pool.Message.StartsWith(PoolExhaustedPrefix, StringComparison.Ordinal))
        {
            // The application's own pool is full and no connection came free in time: nothing was asked of the server.
            return new ProbeError(
                ErrorKind.PoolExhausted,
                $"the connection pool for PostgreSQL at {endpoint} is exhausted: every connection is busy and none came free in time ({pool.Message})")
            {
                Phase = "connect",
                Code = "POOL_EXHAUSTED",
                Exception = exception,
            };
        }

        if (ExceptionChain.Find<TimeoutException>(exception) is not null)
        {
            return new ProbeError(ErrorKind.ReadTimeout, $"PostgreSQL at {endpoint} did not answer in time ({(phase == "query" ? "query" : "session startup")})")
            {
                Phase = phase,
                Code = "TIMEOUT",
                Exception = exception,
            };
        }

        if (exception is NpgsqlException or EndOfStreamException or IOException)
        {
            return ExceptionChain.Find<EndOfStreamException>(exception) is not null || ExceptionChain.Find<IOException>(exception) is not null
                ? new ProbeError(ErrorKind.ConnectionClosed, $"{endpoint} closed the connection during PostgreSQL {(phase == "query" ? "query" : "startup")}") { Phase = phase, Exception = exception }
                : new ProbeError(ErrorKind.ProtocolError, $"{endpoint} did not complete a PostgreSQL {(phase == "query" ? "query" : "startup")}: {exception.Message}") { Phase = phase, Exception = exception };
        }

        return null;
    }

    /// <summary>The typed error for an error the server sent (SQLSTATE mapping; see docs/probes/postgres.md).</summary>
    public static ProbeError FromServer(PostgresException exception, string endpoint, string phase, string? user = null, string? database = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var state = exception.SqlState;
        var text = exception.MessageText;
        var who = user ?? "(default user)";
        var (kind, message) = state switch
        {
            "28P01" or "28000" => (ErrorKind.DatabaseAuthFailed, $"PostgreSQL at {endpoint} rejected the credentials of user '{who}' ({state}: {text})"),
            "53300" => (ErrorKind.DatabaseTooManyConnections, $"PostgreSQL at {endpoint} has no connection slot left for user '{who}' ({state}: {text})"),
            "3D000" => (ErrorKind.DatabaseNotFound, $"database '{database}' does not exist on {endpoint} ({state}: {text})"),
            "57P01" or "57P02" or "57P03" => (ErrorKind.DatabaseUnavailable, $"PostgreSQL at {endpoint} is not accepting connections ({state}: {text})"),
            _ when text.Contains("too many connections", StringComparison.OrdinalIgnoreCase)
                || text.Contains("remaining connection slots are reserved", StringComparison.OrdinalIgnoreCase)
                => (ErrorKind.DatabaseTooManyConnections, $"PostgreSQL at {endpoint} has no connection slot left for user '{who}' ({state}: {text})"),
            _ when phase == "query" => (ErrorKind.DatabaseSqlError, $"the query failed on {endpoint} with {state}: {text}"),
            _ => (ErrorKind.DatabaseUnavailable, $"PostgreSQL at {endpoint} refused the session ({state}: {text})"),
        };
        return new ProbeError(kind, message) { Phase = phase, Code = state, Exception = exception };
    }
}
