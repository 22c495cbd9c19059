using System.Net.Sockets;
using Faultline.Core.Model;
using Faultline.Probes.Net;
using StackExchange.Redis;

namespace Faultline.Probes.Redis;

/// <summary>
/// Turns StackExchange.Redis failures into typed <see cref="ProbeError"/>s. The redis probe uses it, and
/// so can application code that talks to Redis itself, so one fault reads the same wherever it was met.
/// </summary>
public static class RedisErrors
{
    /// <summary>
    /// The typed error for <paramref name="exception"/> (or one in its inner chain) met while running
    /// <paramref name="command"/> against Redis at <paramref name="endpoint"/>; null when nothing in the
    /// chain comes from StackExchange.Redis, a socket or a timeout.
    /// </summary>
    /// <param name="phase"><c>auth</c> (connecting), <c>query</c> or <c>write</c>.</param>
    public static ProbeError? Describe(Exception exception, string endpoint, string command = "the command", string phase = "query")
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (ExceptionChain.Find<RedisConnectionException>(exception) is { } connection)
        {
            if (connection.FailureType == ConnectionFailureType.AuthenticationFailure)
            {
                var text = ExceptionChain.Find<RedisServerException>(exception)?.Message is { } raw ? ServerText(raw) : "authentication failed";
                return new ProbeError(ErrorKind.CacheAuthFailed, $"Redis at {endpoint} rejected the credentials ({text})") { Phase = "auth", Code = ErrorPrefix(text), Exception = exception };
            }

            if (ExceptionChain.Find<SocketException>(exception) is { } socket)
            {
                return NetworkPreflight.FromSocket(socket, endpoint) with { Phase = phase == "auth" ? "connect" : phase, Exception = exception };
            }

            return connection.FailureType == ConnectionFailureType.UnableToConnect
                ? new ProbeError(ErrorKind.CacheError, $"Redis at {endpoint} could not be reached ({connection.FailureType})") { Phase = "connect", Code = connection.FailureType.ToString(), Exception = exception }
                : new ProbeError(ErrorKind.ConnectionClosed, $"the connection to Redis at {endpoint} broke during {command} ({connection.FailureType})") { Phase = phase, Code = connection.FailureType.ToString(), Exception = exception };
        }

        if (ExceptionChain.Find<RedisTimeoutException>(exception) is not null || ExceptionChain.Find<TimeoutException>(exception) is not null)
        {
            return new ProbeError(ErrorKind.ReadTimeout, $"Redis at {endpoint} did not answer {command} in time") { Phase = phase, Code = "TIMEOUT", Exception = exception };
        }

        if (ExceptionChain.Find<RedisException>(exception) is { } redis)
        {
            return FromServer(redis, endpoint, command, phase);
        }

        return ExceptionChain.Find<SocketException>(exception) is { } bare
            ? NetworkPreflight.FromSocket(bare, endpoint) with { Exception = exception }
            : null;
    }

    /// <summary>The typed error for an error line the server sent (OOM, READONLY, NOAUTH, WRONGPASS, ...).</summary>
    public static ProbeError FromServer(RedisException exception, string endpoint, string command, string phase)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var text = ServerText(ExceptionChain.Find<RedisServerException>(exception)?.Message ?? exception.Message);
        var code = ErrorPrefix(text);
        var (kind, message) = code switch
        {
            "OOM" => (ErrorKind.CacheOutOfMemory, $"Redis at {endpoint} refused the write: out of memory ({text})"),
            "READONLY" => (ErrorKind.CacheReadOnly, $"Redis at {endpoint} refused the write: read-only replica ({text})"),
            _ when IsAuthError(text) => (ErrorKind.CacheAuthFailed, $"Redis at {endpoint} refused {command}: {text}"),
            _ => (ErrorKind.CacheError, $"Redis at {endpoint} answered {command} with an error: {text}"),
        };
        return new ProbeError(kind, message) { Phase = phase, Code = code, Exception = exception };
    }

    /// <summary>The server's error line without the client library's RESP framing prefix (<c>SimpleError: </c>, <c>BulkError: </c>).</summary>
    internal static string ServerText(string message)
    {
        var text = message.Trim();
        foreach (var prefix in (ReadOnlySpan<string>)["SimpleError: ", "BulkError: "])
        {
            if (text.StartsWith(prefix, StringComparison.Ordinal))
            {
                return text[prefix.Length..].Trim();
            }
        }

        return text;
    }

    internal static bool IsAuthError(string message) =>
        message.StartsWith("NOAUTH", StringComparison.Ordinal)
        || message.StartsWith("WRONGPASS", StringComparison.Ordinal)
        || message.StartsWith("NOPERM", StringComparison.Ordinal)
        || message.Contains("invalid password", StringComparison.OrdinalIgnoreCase);

    /// <summary>The leading upper-case word of a Redis error (OOM, READONLY, WRONGPASS, ERR, ...).</summary>
    internal static string ErrorPrefix(string message)
    {
        var trimmed = message.TrimStart();
        var end = 0;
        while (end < trimmed.Length && (char.IsAsciiLetterUpper(trimmed[end]) || trimmed[end] == '_'))
        {
            end++;
        }

        return end > 0 ? trimmed[..end] : "ERR";
    }
}
