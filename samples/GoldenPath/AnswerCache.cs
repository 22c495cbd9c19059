using System.Text.Json;
using Faultline.AspNetCore;
using Faultline.Core.Model;
using Polly;
using Polly.Registry;
using StackExchange.Redis;

namespace GoldenPath;

/// <summary>
/// The last answer of each user in Redis (<c>goldenpath:last-answer:USERNAME</c>, JSON, 24 h).
/// Redis is optional: when it is not configured, not connected, slow or failing, the write is
/// skipped or abandoned, logged, and the chat goes on. Writes go through the <c>redis</c> dependency's
/// Faultline pipeline: its request timeout (<c>Faultline:Requests:redis:Timeout</c>, 500 ms in the Lab
/// and Test profiles, 1 s elsewhere) bounds each one, and its circuit breaker — the one the startup
/// phase and the background check share — skips writes at once while Redis keeps failing. Owns and
/// disposes its connection.
/// </summary>
/// <remarks>
/// <para>
/// A write that gets no reply within the bound leaves the connection untrustworthy: RESP has no
/// request ids, so a command or reply lost on the way (a path that drops packets, then heals)
/// makes every later reply answer the command before it, and each write then waits for a reply
/// that belongs to the next one. Such a connection is retired and a new one is started; until it
/// is connected, writes are skipped at once rather than queued.
/// </para>
/// <para>
/// The connection reconnects on its own (every <see cref="ReconnectInterval"/>), so a Redis that
/// is down at startup or comes back after a failure is used again without a restart.
/// </para>
/// </remarks>
internal sealed partial class AnswerCache(SampleSettings settings, ResiliencePipelineProvider<string> pipelines, ILogger<AnswerCache> logger) : IAsyncDisposable
{
    public const string KeyPrefix = "goldenpath:last-answer:";

    /// <summary>How often a lost connection is retried (a fixed interval: no back-off that outlasts the fault).</summary>
    public static readonly TimeSpan ReconnectInterval = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan Expiry = TimeSpan.FromHours(24);

    private readonly Lock _gate = new();
    private readonly List<Task> _retiring = [];
    private ConfigurationOptions? _options;
    private Task<ConnectionMultiplexer>? _connecting;
    private bool _disposed;

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

            // A cache write that cannot be sent now is skipped, not queued until Redis is back.
            options.BacklogPolicy = BacklogPolicy.FailFast;
            options.ReconnectRetryPolicy = new LinearRetry((int)ReconnectInterval.TotalMilliseconds);

            // An ECHO on every heartbeat: a stream that lost a command or a reply is dropped and reconnected.
            options.HeartbeatConsistencyChecks = true;
            _options = options;
            _connecting = ConnectionMultiplexer.ConnectAsync(options.Clone());
        }
    }

    /// <summary>Waits for the connection and checks it with a PING; throws when Redis does not answer.</summary>
    public async Task PingAsync(CancellationToken cancellationToken)
    {
        StartConnecting();
        Task<ConnectionMultiplexer> connecting;
        lock (_gate)
        {
            connecting = _connecting!;
        }

        var connection = await connecting.WaitAsync(cancellationToken);
        await connection.GetDatabase().PingAsync().WaitAsync(cancellationToken);
    }

    private readonly ResiliencePipeline _writes = pipelines.GetPipeline(StartupPhases.RedisDependency);

    /// <summary>
    /// Stores the user's last answer; returns false (and logs why) when Redis is absent, not
    /// connected, failing, its circuit is open, or it does not confirm the write within the request timeout.
    /// </summary>
    public Task<bool> StoreLastAnswerAsync(string username, Guid runId, string question, string answer, DateTimeOffset at) =>
        StoreAsync(username, runId, question, answer, at, bounded: true);

    /// <summary>
    /// The <c>cache-blocks-chat</c> drill: the same write with no bound of its own, so the caller waits
    /// as long as StackExchange.Redis does (its async timeout), and a connection that lost a reply is kept.
    /// </summary>
    public Task<bool> StoreLastAnswerUnboundedAsync(string username, Guid runId, string question, string answer, DateTimeOffset at) =>
        StoreAsync(username, runId, question, answer, at, bounded: false);

    private async Task<bool> StoreAsync(string username, Guid runId, string question, string answer, DateTimeOffset at, bool bounded)
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

        var connection = connecting.Result;
        var value = JsonSerializer.Serialize(new CachedAnswer(runId, question, answer, at), JsonDefaults.Options);
        try
        {
            if (!bounded)
            {
                return await connection.GetDatabase().StringSetAsync(KeyFor(username), value, Expiry);
            }

            // StackExchange.Redis takes no token: WaitAsync gives the pipeline's timeout something to cancel.
            return await _writes.ExecuteAsync(
                async token => await connection.GetDatabase().StringSetAsync(KeyFor(username), value, Expiry).WaitAsync(token),
                CancellationToken.None);
        }
        catch (DependencyUnavailableException ex) when (ex.Reason == DependencyUnavailableReason.TimedOut)
        {
            LogCacheWriteTimedOut(logger, runId, ex.Timeout?.TotalMilliseconds ?? 0);
            Replace(connecting);
            return false;
        }
        catch (TimeoutException) when (bounded)
        {
            // StackExchange.Redis's own timeout came first: the connection missed a reply all the same.
            LogCacheWriteTimedOut(logger, runId, settings.Redis?.AsyncTimeout ?? 0);
            Replace(connecting);
            return false;
        }
        catch (DependencyUnavailableException)
        {
            // The redis circuit is open: Redis failed repeatedly; skip the write without asking it.
            LogCacheSkipped(logger, runId, "circuit open");
            return false;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            // ObjectDisposedException: another write retired this connection meanwhile.
            LogCacheWriteFailed(logger, runId, ex);
            return false;
        }
    }

    /// <summary>
    /// Retires <paramref name="suspect"/> (when it is still the current connection) and starts a new
    /// one; the old one is closed in the background without waiting for its unanswered commands.
    /// </summary>
    private void Replace(Task<ConnectionMultiplexer> suspect)
    {
        lock (_gate)
        {
            if (_disposed || !ReferenceEquals(_connecting, suspect) || _options is null)
            {
                return;
            }

            _connecting = ConnectionMultiplexer.ConnectAsync(_options.Clone());
            _retiring.RemoveAll(t => t.IsCompleted);
            _retiring.Add(RetireAsync(suspect.Result));
        }

        LogConnectionReplaced(logger);
    }

    private async Task RetireAsync(ConnectionMultiplexer connection)
    {
        await Task.Yield();
        try
        {
            await connection.CloseAsync(allowCommandsToComplete: false);
            await connection.DisposeAsync();
        }
        catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
        {
            LogConnectionFailed(logger, ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task<ConnectionMultiplexer>? connecting;
        Task[] retiring;
        lock (_gate)
        {
            _disposed = true;
            connecting = _connecting;
            _connecting = null;
            retiring = [.. _retiring];
            _retiring.Clear();
        }

        await Task.WhenAll(retiring);
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

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Redis connection could not be created or closed")]
    private static partial void LogConnectionFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Redis did not confirm the write within {TimeoutMs} ms: last answer of run {RunId} not cached")]
    private static partial void LogCacheWriteTimedOut(ILogger logger, Guid runId, double timeoutMs);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Redis connection retired after an unanswered write; a new one is connecting")]
    private static partial void LogConnectionReplaced(ILogger logger);
}
