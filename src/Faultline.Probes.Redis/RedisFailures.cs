using System.Net.Sockets;
using StackExchange.Redis;

namespace Faultline.Probes.Redis;

/// <summary>
/// Which exceptions of application calls mean Redis (or the path to it) is failing, as opposed to the
/// application's own mistakes: what a circuit breaker should count and a retry may repeat.
/// </summary>
public static class RedisFailures
{
    /// <summary>Server replies that say the server cannot serve now (loading, busy script, replica without master, read-only replica, out of memory, auth).</summary>
    private static readonly string[] UnavailablePrefixes = ["LOADING", "BUSY", "MASTERDOWN", "READONLY", "OOM", "NOAUTH", "WRONGPASS", "CLUSTERDOWN", "TRYAGAIN"];

    /// <summary>
    /// True for a lost or refused connection, a timeout, and server errors that say Redis cannot serve
    /// now; false for the application's errors (WRONGTYPE, a bad argument, a script error): Redis answered.
    /// </summary>
    public static bool IsDependencyFailure(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            RedisServerException server => UnavailablePrefixes.Any(p => server.Message.StartsWith(p, StringComparison.Ordinal)),
            RedisConnectionException or RedisTimeoutException => true,
            TimeoutException or SocketException or IOException => true,
            RedisException => true,
            _ => false,
        };
    }
}
