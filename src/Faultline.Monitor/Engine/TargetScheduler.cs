using System.Text.Json;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Reporting;
using Microsoft.Extensions.Logging;

namespace Faultline.Monitor.Engine;

/// <summary>One target's running schedule: its spec, the origin its slots count from, and how to stop it.</summary>
internal sealed class ScheduledTarget(TargetSpec target, DateTimeOffset origin, CancellationTokenSource stop)
{
    private readonly Lock _lock = new();
    private DateTimeOffset? _sleepingUntil;

    public TargetSpec Target { get; } = target;

    public DateTimeOffset Origin { get; } = origin;

    public CancellationTokenSource Stop { get; } = stop;

    /// <summary>The due time the loop sleeps towards; null while it probes or processes.</summary>
    public DateTimeOffset? SleepingUntil
    {
        get { lock (_lock) { return _sleepingUntil; } }
        set { lock (_lock) { _sleepingUntil = value; } }
    }
}

/// <summary>Takes the results of one probe of a scheduled target: <c>(scheduled, due, startedAt, results, token)</c>.</summary>
internal delegate Task ResultsHandler(ScheduledTarget scheduled, DateTimeOffset due, DateTimeOffset startedAt, IReadOnlyList<TargetResult> results, CancellationToken cancellationToken);

/// <summary>Takes a failed attempt to probe a scheduled target: <c>(scheduled, exception, retryIn, token)</c>. Never throws.</summary>
internal delegate Task ProbeErrorHandler(ScheduledTarget scheduled, Exception exception, TimeSpan retry, CancellationToken cancellationToken);

/// <summary>
/// Runs one loop per target: sleeps until the target's next slot (<see cref="Schedule.Due"/>: its interval with
/// deterministic jitter, the first slots spread over the first interval), waits for one of
/// <c>defaults.concurrency</c> probe slots, probes, and hands the results on. A probe that overruns its interval
/// skips the slots it missed; an attempt that throws is reported and retried after the target's interval (at most
/// <see cref="MonitorEngine.LongestRetry"/>). Start and stop are called under the engine's lock.
/// </summary>
internal sealed class TargetScheduler(ProbeFunction probe, Func<FaultlineConfig> config, ResultsHandler onResults, ProbeErrorHandler onProbeError, TimeProvider time, ILogger logger)
{
    /// <summary>The longest single timer a loop sets (a longer wait is slept in steps).</summary>
    private static readonly TimeSpan LongestSleep = TimeSpan.FromDays(1);

    private readonly Dictionary<string, ScheduledTarget> _scheduled = new(StringComparer.Ordinal);
    private readonly List<Task> _loops = [];
    private SemaphoreSlim _gate = new(Math.Max(1, config().Defaults.Concurrency));

    /// <summary>True while the target has a running schedule.</summary>
    public bool IsScheduled(string name) => _scheduled.ContainsKey(name);

    /// <summary>True when <paramref name="scheduled"/> is still the target's running schedule (not stopped, removed or replaced).</summary>
    public bool IsCurrent(ScheduledTarget scheduled) =>
        _scheduled.TryGetValue(scheduled.Target.Name, out var current) && ReferenceEquals(current, scheduled);

    /// <summary>Targets whose probing is unchanged (everything but the location in the file).</summary>
    public static bool SameSchedule(TargetSpec a, TargetSpec b) =>
        string.Equals(
            JsonSerializer.Serialize(a with { Location = null }, SpecJson.Default.TargetSpec),
            JsonSerializer.Serialize(b with { Location = null }, SpecJson.Default.TargetSpec),
            StringComparison.Ordinal);

    /// <summary>A new bound on probes at once; probes already waiting finish on the old one.</summary>
    public void SetConcurrency(int concurrency) => _gate = new SemaphoreSlim(Math.Max(1, concurrency));

    /// <summary>Starts (or restarts) the target's loop, its slots counted from <paramref name="origin"/>.</summary>
    public void Start(TargetSpec target, DateTimeOffset origin, CancellationToken running)
    {
        var scheduled = new ScheduledTarget(target, origin, CancellationTokenSource.CreateLinkedTokenSource(running));
        _scheduled[target.Name] = scheduled;
        var loop = Task.Run(() => LoopAsync(scheduled), CancellationToken.None);
        lock (_loops)
        {
            _loops.RemoveAll(t => t.IsCompleted);
            _loops.Add(loop);
        }
    }

    /// <summary>Stops the target's loop (a probe in flight is cancelled); false when it had none.</summary>
    public async Task<bool> StopAsync(string name)
    {
        if (!_scheduled.Remove(name, out var scheduled))
        {
            return false;
        }

        await scheduled.Stop.CancelAsync().ConfigureAwait(false);
        return true;
    }

    /// <summary>Stops every loop and waits for them to end.</summary>
    public async Task StopAllAsync()
    {
        Task[] loops;
        lock (_loops)
        {
            loops = [.. _loops];
        }

        foreach (var scheduled in _scheduled.Values)
        {
            await scheduled.Stop.CancelAsync().ConfigureAwait(false);
        }

        await Task.WhenAll(loops).ConfigureAwait(false);
    }

    /// <summary>True when every loop sleeps towards a due time after <paramref name="now"/>.</summary>
    public bool AllSleepingPast(DateTimeOffset now)
    {
        lock (_loops)
        {
            return _scheduled.Values.All(s => s.SleepingUntil is { } until && until > now);
        }
    }

    public void Dispose()
    {
        foreach (var scheduled in _scheduled.Values)
        {
            scheduled.Stop.Dispose();
        }
    }

    private async Task LoopAsync(ScheduledTarget scheduled)
    {
        var target = scheduled.Target;
        var token = scheduled.Stop.Token;
        var sequence = 0L;
        DateTimeOffset? retryAt = null;
        while (!token.IsCancellationRequested)
        {
            try
            {
                DateTimeOffset due;
                var retrying = retryAt is not null;
                if (retryAt is { } retry)
                {
                    // The wait after a failed attempt was the wait: try again now, then back to the regular slots.
                    due = retry;
                    retryAt = null;
                }
                else
                {
                    due = Schedule.Due(scheduled.Origin, target.Name, sequence, target.Interval);
                    await SleepUntilAsync(scheduled, due, token).ConfigureAwait(false);
                }

                var gate = _gate;
                await gate.WaitAsync(token).ConfigureAwait(false);
                var startedAt = time.GetUtcNow();
                IReadOnlyList<TargetResult> results;
                try
                {
                    results = await probe(config(), target, token).ConfigureAwait(false);
                }
                finally
                {
                    gate.Release();
                }

                if (token.IsCancellationRequested)
                {
                    break;
                }

                await onResults(scheduled, due, startedAt, results, token).ConfigureAwait(false);

                // The next due time after now: a probe that overran its interval skips the slots it missed.
                var now = time.GetUtcNow();
                sequence++;
                while (Schedule.Due(scheduled.Origin, target.Name, sequence, target.Interval) <= now)
                {
                    sequence++;
                    if (!retrying)
                    {
                        MonitorEngine.LogSkipped(logger, SafeText.OneLine(target.Name));
                    }
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // Stopped: shutdown or the target was removed or changed.
                break;
            }
#pragma warning disable CA1031 // The boundary of a target's loop: whatever its probe or its own code throws, the target is reported in the error state and probed again; a loop that dies leaves a target pending forever, silently.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                if (token.IsCancellationRequested)
                {
                    // Stopping while the attempt failed: nothing to report.
                    break;
                }

                var wait = RetryDelay(target.Interval);
                await onProbeError(scheduled, ex, wait, token).ConfigureAwait(false);
                retryAt = time.GetUtcNow() + wait;
                try
                {
                    await SleepUntilAsync(scheduled, retryAt.Value, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    break;
                }
            }
        }
    }

    /// <summary>How long a target waits after a failed attempt: its interval, at least 1 s, at most <see cref="MonitorEngine.LongestRetry"/>.</summary>
    private static TimeSpan RetryDelay(TimeSpan interval) =>
        interval < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : interval > MonitorEngine.LongestRetry ? MonitorEngine.LongestRetry : interval;

    /// <summary>
    /// Sleeps until <paramref name="until"/> on the engine's clock, in steps no timer refuses (a single delay
    /// longer than about 49 days throws), and never wakes before it: a timer may fire a little before the wall
    /// clock reaches the due time (they are different clocks).
    /// </summary>
    private async Task SleepUntilAsync(ScheduledTarget scheduled, DateTimeOffset until, CancellationToken token)
    {
        for (var wait = until - time.GetUtcNow(); wait > TimeSpan.Zero; wait = until - time.GetUtcNow())
        {
            var delay = Task.Delay(Schedule.TimerWait(wait, LongestSleep), time, token);
            scheduled.SleepingUntil = until;
            try
            {
                await delay.ConfigureAwait(false);
            }
            finally
            {
                scheduled.SleepingUntil = null;
            }
        }
    }
}
