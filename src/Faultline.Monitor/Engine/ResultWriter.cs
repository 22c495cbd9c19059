using System.Threading.Channels;
using Faultline.Core.Model;
using Faultline.Core.Config;
using Faultline.Store;
using Microsoft.Extensions.Logging;

namespace Faultline.Monitor.Engine;

/// <summary>
/// Writes every result to the history store in batches (up to <see cref="Batch"/> a write) from one background
/// loop, so a slow store never holds up probing. A write that fails is logged and counted; the next batch tries
/// the store again. Without a store, results are only counted through.
/// </summary>
internal sealed class ResultWriter(IHistoryStore? store, ILogger logger)
{
    /// <summary>The most results one store write carries.</summary>
    public const int Batch = 1000;

    private readonly Channel<StoredResult> _queue = Channel.CreateUnbounded<StoredResult>(new UnboundedChannelOptions { SingleReader = true });
    private long _pending;
    private long _failures;

    /// <summary>Results queued and not yet written (or dropped).</summary>
    public long Pending => Interlocked.Read(ref _pending);

    /// <summary>Results whose write failed.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Queues a result probed for the slot <paramref name="due"/> and taken at <paramref name="at"/>.</summary>
    public void Enqueue(TargetResult result, DateTimeOffset due, DateTimeOffset at)
    {
        Interlocked.Increment(ref _pending);
        if (!_queue.Writer.TryWrite(ToStored(result, due, at)))
        {
            Interlocked.Decrement(ref _pending);
        }
    }

    /// <summary>No more results: <see cref="RunAsync"/> ends once the queue is written.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>Writes queued results until <see cref="Complete"/> and the queue is empty.</summary>
    public async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<StoredResult>(Batch);
        while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < Batch && reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            if (store is null || batch.Count == 0)
            {
                Interlocked.Add(ref _pending, -batch.Count);
                continue;
            }

            try
            {
                await store.WriteResultsAsync(batch, CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // A store that fails a write (disk full, connection lost) must not stop the monitor: logged, counted, the next batch retries the store.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Interlocked.Add(ref _failures, batch.Count);
                MonitorEngine.LogWriteFailed(logger, ex, batch.Count);
            }
            finally
            {
                Interlocked.Add(ref _pending, -batch.Count);
            }
        }
    }

    /// <summary>The stored row of a result: a pass keeps no layer or side.</summary>
    public static StoredResult ToStored(TargetResult result, DateTimeOffset due, DateTimeOffset at) => new()
    {
        Target = result.Name,
        ScheduledAt = due,
        At = at,
        Status = result.Status,
        Layer = result.Status == ResultStatus.Pass ? null : result.Layer,
        Side = result.Status == ResultStatus.Pass ? null : result.Side,
        ErrorKind = result.Error?.Kind,
        DurationMs = result.DurationMs,
        Message = result.Error?.Message ?? result.Conditions.FirstOrDefault(c => !c.Ok)?.Expr,
    };
}

/// <summary>Applies the store's retention (raw results, hourly rollups) once an hour while the monitor runs.</summary>
internal static class HistoryRetention
{
    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled; a failed pass is logged and retried at the next hour.</summary>
    public static async Task RunAsync(IHistoryStore store, Func<MonitorSpec> settings, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var monitor = settings();
                try
                {
                    await store.ApplyRetentionAsync(time.GetUtcNow(), monitor.RawRetention, monitor.RollupRetention, cancellationToken).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // Retention failing once is logged and retried at the next hour; probing goes on.
                catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
                {
                    MonitorEngine.LogRetentionFailed(logger, ex);
                }

                await Task.Delay(MonitorEngine.RetentionEvery, time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }
}
