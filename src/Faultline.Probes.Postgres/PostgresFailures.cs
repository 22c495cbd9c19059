using System.Net.Sockets;
using Npgsql;

namespace Faultline.Probes.Postgres;

/// <summary>
/// Which exceptions of application calls mean PostgreSQL (or the path to it) is failing, as opposed to
/// the application's own mistakes: what a circuit breaker should count and a retry may repeat.
/// </summary>
public static class PostgresFailures
{
    /// <summary>
    /// True for a lost or refused connection, a timeout (an exhausted pool included: the database path is
    /// saturated), and server errors of the classes that say the server cannot serve: 08 connection,
    /// 28 authorization (a rotated password), 3D missing database, 53 insufficient resources (too many
    /// connections), 57 operator intervention (shutdown, statement timeout), 58 system, XX internal.
    /// False for the application's errors (22 data, 23 constraint, 40 serialization/deadlock, 42 syntax or
    /// permission, P0 raised by a function): the database answered, and it will answer the same again.
    /// </summary>
    public static bool IsDependencyFailure(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            PostgresException server => server.SqlState.Length >= 2 && server.SqlState[..2] is "08" or "28" or "3D" or "53" or "57" or "58" or "XX",
            NpgsqlException => true,
            TimeoutException or SocketException or IOException => true,
            _ => false,
        };
    }
}
