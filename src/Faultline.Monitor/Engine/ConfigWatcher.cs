using Faultline.Core.Reporting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Faultline.Monitor.Engine;

/// <summary>
/// Watches a config file: a <see cref="FileSystemWatcher"/> on its directory (editors replace files by
/// rename, so the directory is watched) for files created, deleted, renamed or touched, and a periodic check
/// of the file's write time and length, which sees a file written in place and stands in where file events
/// are not delivered (network mounts, some containers, a directory that was itself replaced). Writes are
/// not watched as events: the directory often holds the history database and the monitor's own output,
/// written hundreds of times a second, and each write would wake the watcher. Changes that arrive together are debounced into one call of the callback, which never
/// runs twice at once. Nothing stops the watching but disposal: a callback that throws, a file that is
/// deleted, replaced by a directory or a FIFO, or that cannot be examined is logged and watched on.
/// </summary>
public sealed partial class ConfigWatcher : IAsyncDisposable
{
    /// <summary>How often the fallback compares the file's write time.</summary>
    public static readonly TimeSpan PollEvery = TimeSpan.FromSeconds(2);

    /// <summary>Quiet time after a change before the file is read (an editor writes in several steps).</summary>
    public static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(300);

    private readonly string _path;
    private readonly Func<CancellationToken, Task> _onChange;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly FileSystemWatcher? _watcher;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Task _loop;
    private (DateTime Written, long Length) _seen;

    /// <summary>Starts watching; <paramref name="onChange"/> runs after each change, on a background task.</summary>
    public ConfigWatcher(string path, Func<CancellationToken, Task> onChange, TimeProvider time, ILoggerFactory? loggerFactory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(onChange);
        ArgumentNullException.ThrowIfNull(time);
        _path = Path.GetFullPath(path);
        _onChange = onChange;
        _time = time;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Faultline.Monitor.Config");
        _seen = Stamp();
        try
        {
            _watcher = new FileSystemWatcher(Path.GetDirectoryName(_path)!, Path.GetFileName(_path))
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.Attributes | NotifyFilters.CreationTime,
            };
            _watcher.Changed += OnEvent;
            _watcher.Created += OnEvent;
            _watcher.Deleted += OnEvent;
            _watcher.Renamed += OnEvent;
            _watcher.Error += OnError;
            _watcher.EnableRaisingEvents = true;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException or UnauthorizedAccessException)
        {
            LogNoWatcher(_logger, ex);
            _watcher?.Dispose();
            _watcher = null;
        }

        _loop = Task.Run(LoopAsync);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _watcher?.Dispose();
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
        _signal.Dispose();
    }

    private void OnEvent(object sender, FileSystemEventArgs e) => Signal();

    /// <summary>The watcher lost events (its buffer overflowed, or the directory went away): look at the file now; the periodic check goes on.</summary>
    private void OnError(object sender, ErrorEventArgs e)
    {
        LogWatcherError(_logger, SafeText.OneLine(e.GetException().GetType().Name));
        Signal();
    }

    private void Signal()
    {
        try
        {
            _signal.Release();
        }
        catch (ObjectDisposedException)
        {
            // An event raised while the watcher is being disposed.
        }
    }

    /// <summary>The file's write time and length; (MinValue, -1) while it is missing or not a file, (MinValue, -2) when it cannot be examined.</summary>
    private (DateTime, long) Stamp()
    {
        try
        {
            var info = new FileInfo(_path);
            return info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return (DateTime.MinValue, -2);
        }
    }

    private async Task LoopAsync()
    {
        var token = _stop.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                var signalled = await _signal.WaitAsync(PollEvery, token).ConfigureAwait(false);
                var stamp = Stamp();
                if (!signalled && stamp == _seen)
                {
                    continue;
                }

                // Let the writer finish, and swallow the burst of events one save produces.
                await Task.Delay(Debounce, _time, token).ConfigureAwait(false);
                while (_signal.CurrentCount > 0)
                {
                    await _signal.WaitAsync(token).ConfigureAwait(false);
                }

                stamp = Stamp();
                if (stamp == _seen)
                {
                    continue;
                }

                _seen = stamp;
                await ChangedAsync(token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    /// <summary>Runs the callback; whatever it throws is logged (one escaped line) and the next change is delivered as usual.</summary>
    private async Task ChangedAsync(CancellationToken token)
    {
        try
        {
            await _onChange(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // The watcher outlives any one reload: a callback that fails must not stop later edits from being applied.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogCallbackFailed(_logger, SafeText.OneLine($"{ex.GetType().Name}: {ex.Message}"));
        }
    }

    [LoggerMessage(EventId = 420, Level = LogLevel.Warning, Message = "config file events unavailable; checking the file every 2 s instead")]
    private static partial void LogNoWatcher(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 421, Level = LogLevel.Error, Message = "handling a change of the config file failed ({Reason}); still watching it")]
    private static partial void LogCallbackFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 422, Level = LogLevel.Warning, Message = "config file events were lost ({Reason}); checking the file now and every 2 s")]
    private static partial void LogWatcherError(ILogger logger, string reason);
}
