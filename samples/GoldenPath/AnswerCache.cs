using System.Text.Json;
using Faultline.Core.Model;
using StackExchange.Redis;

namespace GoldenPath;

/// <summary>
/// The last answer of each user in Redis (<c>goldenpath:last-answer:USERNAME</c>, JSON, 24 h).
/// Redis is optional: when it is not configured, not reachable, or fails, the write is skipped and
/// logged and the chat goes on. The connection keeps retrying in the background, so a Redis that
/// comes back is used again without a restart. Owns and disposes its connection.
/// </summary>
internal sealed partial class AnswerCache(SampleSettings settings, ILogger<AnswerCache> logger) : IAsyncDisposable
{
    public const string KeyPrefix = "goldenpath:last-answer:";

    private static readonly TimeSpan Expiry = TimeSpan.FromHours(24);

    private readonly Lock _gate = new();
    private Task<ConnectionMultiplexer>? _connecting;

    public static string KeyFor(string username) => KeyPrefix + username;

    /// <summary>
    /// Starts the one connection this service keeps (once; it reconnects on its own afterwards, so a
    /// Redis that is down at startup and comes back later is used again). Throws a typed
    /// <see cref="ProbeException"/> when Redis is not configured or unusable.
    /// </summary>
    public void StartConnecting()
    {
        lock (_gate)
        {
            if (_connecting is not null)
            {
                return;
            }

            if (settings.RedisProblem is { } problem)
            {
                throw new ProbeException(
                    new ProbeError(ErrorKind.SecretInvalid, problem) { Phase = "config" });
            }

            var options = settings.Redis ?? throw new ProbeException(
                new ProbeError(
                    ErrorKind.SecretMissing,
                    $"Redis connection string {SampleSettings.RedisKey} is not set ({SampleSettings.Sources(SampleSettings.RedisKey)}); answers are not cached")
                {
                    Phase = "config",
                });
            options.AbortOnConnectFail = false;
            options.ClientName = "goldenpath";
            _connecting = ConnectionMultiplexer.ConnectAsync(options);
        }
    }

    /// <summary>Waits for the connection and checks it with a PING; throws when Redis does not answer.</summary>
    public async Task PingAsync(CancellationToken cancellationToken)
    {
        StartConnecting();
        var connection = await _connecting!.WaitAsync(cancellationToken);
        await connection.GetDatabase().PingAsync().WaitAsync(cancellationToken);
    }

    /// <summary>Stores the user's last answer; a Redis that is absent or failing is logged and skipped (false).</summary>
    public async Task<bool> StoreLastAnswerAsync(string username, Guid runId, string question, string answer, DateTimeOffset at)
    {
        Task<ConnectionMultiplexer>? connecting;
        lock (_gate)
        {
            connecting = _connecting;
        }

        if (connecting is not { IsCompletedSuccessfully: true } || !connecting.Result.IsConnected)
        {
            LogCacheSkipped(logger, runId, connecting is null ? "not configured or not started" : "not connected");
            return false;
        }

        var value = JsonSerializer.Serialize(new CachedAnswer(runId, question, answer, at), JsonDefaults.Options);
        try
        {
            return await connecting.Result.GetDatabase().StringSetAsync(KeyFor(username), value, Expiry);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogCacheWriteFailed(logger, runId, ex);
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task<ConnectionMultiplexer>? connecting;
        lock (_gate)
        {
            connecting = _connecting;
            _connecting = null;
        }

        if (connecting is null)
        {
            return;
        }

        try
        {
            await (await connecting).DisposeAsync();
        }
        catch (Exception ex) when (ex is RedisException or ArgumentException)
        {
            LogConnectionFailed(logger, ex);
        }
    }

    private sealed record CachedAnswer(Guid RunId, string Question, string Answer, DateTimeOffset At);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Redis unavailable ({Reason}): last answer of run {RunId} not cached")]
    private static partial void LogCacheSkipped(ILogger logger, Guid runId, string reason);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Redis write failed: last answer of run {RunId} not cached")]
    private static partial void LogCacheWriteFailed(ILogger logger, Guid runId, Exception exception);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Redis connection could not be created")]
    private static partial void LogConnectionFailed(ILogger logger, Exception exception);
}
