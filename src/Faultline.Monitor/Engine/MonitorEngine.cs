using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Reporting;
using Faultline.Core.Running;
using Faultline.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Faultline.Monitor.Engine;

/// <summary>
/// Probes every target on its own interval (with jitter, the first probes spread over the first
/// interval, at most <c>defaults.concurrency</c> at once), runs each entity's state machine, opens and
/// resolves incidents (attributing a child's failure to a failing parent it depends on), decides which
/// alerts this replica sends, and writes every result to the history store.
/// Everything it produces goes to the <see cref="IMonitorSink"/>, in order per target.
/// </summary>
public sealed partial class MonitorEngine : IAsyncDisposable
{
    /// <summary>How many recent results the percentiles are computed over.</summary>
    public const int RecentResults = 100;

    /// <summary>How often retention and hourly rollups run.</summary>
    public static readonly TimeSpan RetentionEvery = TimeSpan.FromHours(1);

    /// <summary>
    /// The signature of the monitor's own incident: it failed to probe the target (the probe or the target's
    /// schedule threw), so the target's real state is unknown. Layer <c>unknown</c>, side <c>infrastructure</c>.
    /// </summary>
    public const string ProbeErrorSignature = "monitor/probe-error";

    /// <summary>The longest wait before a target whose probe failed is tried again (otherwise its interval).</summary>
    public static readonly TimeSpan LongestRetry = TimeSpan.FromMinutes(5);

    private const int WriteBatch = 1000;

    /// <summary>The longest reason kept for a failed attempt.</summary>
    private const int LongestReason = 300;

    /// <summary>The longest single timer the loop sets (a longer wait is slept in steps).</summary>
    private static readonly TimeSpan LongestSleep = TimeSpan.FromDays(1);

    private readonly ProbeFunction _probe;
    private readonly IHistoryStore? _store;
    private readonly IMonitorSink _sink;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly Dictionary<string, TargetTracker> _trackers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ScheduledTarget> _scheduled = new(StringComparer.Ordinal);

    /// <summary>Trackers waiting for a dependency's result before opening an incident (<see cref="TargetTracker.OpenDeferred"/>).</summary>
    private readonly HashSet<TargetTracker> _deferred = [];
    private readonly List<Task> _loops = [];
    private readonly Channel<StoredResult> _writes = Channel.CreateUnbounded<StoredResult>(new UnboundedChannelOptions { SingleReader = true });
    private FaultlineConfig _config;

    /// <summary>True when the config has a remote target: only then can a target be served by a service whose inside view it waits on.</summary>
    private bool _anyService;
    private SemaphoreSlim _gate;
    private CancellationToken _running;
    private bool _started;
    private volatile bool _ready;
    private long _nextLocalIncident;
    private IAlertLease? _lease;
    private DateTimeOffset _nextLeaseAttempt = DateTimeOffset.MinValue;
    private long _writeFailures;
    private long _pendingWrites;

    public MonitorEngine(FaultlineConfig config, ProbeFunction probe, IHistoryStore? store, IMonitorSink sink, TimeProvider time, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(time);
        Validate(config);
        _config = config;
        _anyService = HasService(config);
        _probe = probe;
        _store = store;
        _sink = sink;
        _time = time;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Faultline.Monitor");
        _gate = new SemaphoreSlim(Math.Max(1, config.Defaults.Concurrency));
    }

    /// <summary>The config currently applied.</summary>
    public FaultlineConfig Config => Volatile.Read(ref _config);

    /// <summary>Results written to the store that failed to write (logged; the monitor keeps running).</summary>
    public long WriteFailures => Interlocked.Read(ref _writeFailures);

    /// <summary>
    /// Runs until <paramref name="cancellationToken"/> is cancelled, then stops the schedules, writes the
    /// results still queued and releases the alert lease. Returns normally on cancellation.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (_started)
        {
            throw new InvalidOperationException("the monitor engine runs once");
        }

        _started = true;
        _running = cancellationToken;
        var writer = Task.Run(() => WriteLoopAsync(), CancellationToken.None);
        var housekeeping = Task.CompletedTask;
        try
        {
            await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await RestoreOpenIncidentsAsync(cancellationToken).ConfigureAwait(false);
                var origin = _time.GetUtcNow();
                foreach (var target in _config.Targets)
                {
                    StartLoop(target, origin);
                }

                _ready = true;
            }
            finally
            {
                _lock.Release();
            }

            housekeeping = _store is null ? Task.CompletedTask : Task.Run(() => RetentionLoopAsync(cancellationToken), CancellationToken.None);
            await Task.Delay(Timeout.InfiniteTimeSpan, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogStopping(_logger);
        }
        finally
        {
            Task[] loops;
            lock (_loops)
            {
                loops = [.. _loops];
            }

            foreach (var scheduled in _scheduled.Values)
            {
                scheduled.Stop.Cancel();
            }

            await Task.WhenAll(loops).ConfigureAwait(false);
            await housekeeping.ConfigureAwait(false);
            _writes.Writer.TryComplete();
            await writer.ConfigureAwait(false);
            if (_lease is not null)
            {
                await _lease.DisposeAsync().ConfigureAwait(false);
                _lease = null;
            }
        }
    }

    /// <summary>
    /// Applies a new config: targets added start their schedule, removed ones stop (their open incident
    /// is resolved quietly), changed ones restart their schedule; every target that stays keeps its state.
    /// </summary>
    public async Task ApplyConfigAsync(FaultlineConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        Validate(config);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            var old = _config.Targets.ToDictionary(t => t.Name, StringComparer.Ordinal);
            var next = config.Targets.ToDictionary(t => t.Name, StringComparer.Ordinal);
            if (config.Defaults.Concurrency != _config.Defaults.Concurrency)
            {
                _gate = new SemaphoreSlim(Math.Max(1, config.Defaults.Concurrency));
            }

            Volatile.Write(ref _config, config);
            _anyService = HasService(config);
            foreach (var name in old.Keys.Where(n => !next.ContainsKey(n)).ToList())
            {
                await RemoveTargetAsync(name, now, cancellationToken).ConfigureAwait(false);
            }

            foreach (var target in config.Targets)
            {
                if (!old.TryGetValue(target.Name, out var before))
                {
                    if (_started)
                    {
                        StartLoop(target, now);
                    }

                    continue;
                }

                foreach (var tracker in _trackers.Values.Where(t => string.Equals(t.Owner, target.Name, StringComparison.Ordinal)))
                {
                    tracker.Spec = target;
                }

                if (!SameSchedule(before, target) && _started)
                {
                    if (_scheduled.Remove(target.Name, out var running))
                    {
                        await running.Stop.CancelAsync().ConfigureAwait(false);
                    }

                    StartLoop(target, now);
                }
            }

            LogReloaded(_logger, config.Targets.Count);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Every entity's current state, targets in config order, each followed by its inside components.</summary>
    public async Task<IReadOnlyList<TargetStatus>> SnapshotAsync(CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var order = _config.Targets.Select((t, i) => (t.Name, i)).ToDictionary(x => x.Name, x => x.i, StringComparer.Ordinal);
            return _trackers.Values
                .OrderBy(t => order.GetValueOrDefault(t.Owner, int.MaxValue))
                .ThenBy(t => t.IsComponent)
                .ThenBy(t => t.Name, StringComparer.Ordinal)
                .Select(t => t.ToStatus())
                .ToList();
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_lease is not null)
        {
            await _lease.DisposeAsync().ConfigureAwait(false);
            _lease = null;
        }

        foreach (var scheduled in _scheduled.Values)
        {
            scheduled.Stop.Dispose();
        }

        _lock.Dispose();
    }

    /// <summary>True when every schedule waits for a due time still in the future and nothing is being processed (tests step fake time by it).</summary>
    internal bool IsQuiescent
    {
        get
        {
            if (!_ready || _lock.CurrentCount == 0)
            {
                return false;
            }

            var now = _time.GetUtcNow();
            lock (_loops)
            {
                return _scheduled.Values.All(s => s.SleepingUntil is { } until && until > now) && Interlocked.Read(ref _pendingWrites) == 0;
            }
        }
    }

    private static void Validate(FaultlineConfig config)
    {
        var duplicate = config.Targets.GroupBy(t => t.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"target '{duplicate.Key}' appears more than once", nameof(config));
        }

        foreach (var target in config.Targets)
        {
            if (target.Interval <= TimeSpan.Zero || target.FailureThreshold < 1 || target.SuccessThreshold < 1)
            {
                throw new ArgumentException($"target '{target.Name}': interval must be positive and thresholds at least 1", nameof(config));
            }
        }
    }

    /// <summary>Targets whose probing is unchanged (everything but the location in the file).</summary>
    private static bool SameSchedule(TargetSpec a, TargetSpec b) =>
        string.Equals(
            JsonSerializer.Serialize(a with { Location = null }, SpecJson.Default.TargetSpec),
            JsonSerializer.Serialize(b with { Location = null }, SpecJson.Default.TargetSpec),
            StringComparison.Ordinal);

    private void StartLoop(TargetSpec target, DateTimeOffset origin)
    {
        var scheduled = new ScheduledTarget(target, origin, CancellationTokenSource.CreateLinkedTokenSource(_running));
        _scheduled[target.Name] = scheduled;
        if (!_trackers.ContainsKey(target.Name))
        {
            _trackers[target.Name] = new TargetTracker(target.Name, target.Name, target, _deferred);
        }

        var loop = Task.Run(() => LoopAsync(scheduled), CancellationToken.None);
        lock (_loops)
        {
            _loops.RemoveAll(t => t.IsCompleted);
            _loops.Add(loop);
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
                var startedAt = _time.GetUtcNow();
                IReadOnlyList<TargetResult> results;
                try
                {
                    results = await _probe(Config, target, token).ConfigureAwait(false);
                }
                finally
                {
                    gate.Release();
                }

                if (token.IsCancellationRequested)
                {
                    break;
                }

                await ProcessAsync(scheduled, due, startedAt, results, token).ConfigureAwait(false);

                // The next due time after now: a probe that overran its interval skips the slots it missed.
                var now = _time.GetUtcNow();
                sequence++;
                while (Schedule.Due(scheduled.Origin, target.Name, sequence, target.Interval) <= now)
                {
                    sequence++;
                    if (!retrying)
                    {
                        LogSkipped(_logger, SafeText.OneLine(target.Name));
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
                await ReportProbeErrorAsync(scheduled, ex, wait, token).ConfigureAwait(false);
                retryAt = _time.GetUtcNow() + wait;
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

    /// <summary>How long a target waits after a failed attempt: its interval, at most <see cref="LongestRetry"/>.</summary>
    private static TimeSpan RetryDelay(TimeSpan interval) =>
        interval < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : interval > LongestRetry ? LongestRetry : interval;

    /// <summary>
    /// Sleeps until <paramref name="until"/> on the engine's clock, in steps no timer refuses (a single delay
    /// longer than about 49 days throws), and never wakes before it: a timer may fire a little before the wall
    /// clock reaches the due time (they are different clocks).
    /// </summary>
    private async Task SleepUntilAsync(ScheduledTarget scheduled, DateTimeOffset until, CancellationToken token)
    {
        for (var wait = until - _time.GetUtcNow(); wait > TimeSpan.Zero; wait = until - _time.GetUtcNow())
        {
            var delay = Task.Delay(Schedule.TimerWait(wait, LongestSleep), _time, token);
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

    /// <summary>
    /// A failed attempt to probe: logged (escaped, redacted), counted, and shown — the target enters the Error state
    /// with the reason, and after <c>failureThreshold</c> failed attempts in a row an incident of the monitor's own
    /// (<see cref="ProbeErrorSignature"/>) opens and alerts, unless the target already has an incident open.
    /// Never throws: a sink or store that fails while this is reported is logged too.
    /// </summary>
    private async Task ReportProbeErrorAsync(ScheduledTarget scheduled, Exception exception, TimeSpan retry, CancellationToken cancellationToken)
    {
        var target = scheduled.Target;
        var name = SafeText.OneLine(target.Name);
        string reason;
        try
        {
            var redactor = SecretRedactor.Of(Config.Secrets);
            reason = ProbeErrorReason(exception, redactor);
            LogProbeError(_logger, name, SafeText.OneLine(reason), Durations.Describe(retry));
            LogProbeErrorDetail(_logger, name, SafeText.Escape(redactor.Redact(exception.ToString())));
        }
#pragma warning disable CA1031 // Describing the exception must not be what stops the loop (a message getter can throw too).
        catch (Exception ex)
#pragma warning restore CA1031
        {
            reason = exception.GetType().Name;
            LogProbeError(_logger, name, reason + $" (its message could not be read: {ex.GetType().Name})", Durations.Describe(retry));
        }

        var locked = false;
        try
        {
            await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
            locked = true;
            if (!_scheduled.TryGetValue(target.Name, out var current) || !ReferenceEquals(current, scheduled))
            {
                return;
            }

            var at = _time.GetUtcNow();
            var tracker = TrackerFor(target.Name, target);
            var before = tracker.Shown;
            tracker.RecordProbeError(reason, at);
            if (_sink is IMonitorErrorSink errors)
            {
                await errors.OnTargetErrorAsync(new TargetErrorEvent { Target = tracker.Name, At = at, Reason = reason, Consecutive = tracker.ConsecutiveProbeErrors }, cancellationToken).ConfigureAwait(false);
            }

            PendingAlert? open = null;
            if (tracker.Incident is null && tracker.ConsecutiveProbeErrors >= tracker.Spec.FailureThreshold)
            {
                open = await OpenProbeErrorIncidentAsync(tracker, at, cancellationToken).ConfigureAwait(false);
            }

            await EmitStateAsync(tracker, before, at, cancellationToken).ConfigureAwait(false);
            if (open is not null)
            {
                await SendAlertAsync(open, cancellationToken).ConfigureAwait(false);
            }
            else if (tracker.Incident is not null)
            {
                await RemindAsync(tracker, at, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the loop ends at its next wait.
        }
#pragma warning disable CA1031 // Reporting goes through the sink and the store; one of them failing is logged, and the loop goes on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogProbeErrorNotReported(_logger, name, SafeText.OneLine($"{ex.GetType().Name}: {SecretRedactor.Of(Config.Secrets).Redact(ex.Message)}"));
        }
        finally
        {
            if (locked)
            {
                _lock.Release();
            }
        }
    }

    /// <summary>The reason shown for a failed attempt: the exception's type and message, redacted and cut to <see cref="LongestReason"/> characters.</summary>
    private static string ProbeErrorReason(Exception exception, SecretRedactor redactor)
    {
        var reason = $"{exception.GetType().Name}: {redactor.Redact(exception.Message)}".Trim();
        return reason.Length <= LongestReason ? reason : string.Concat(reason.AsSpan(0, LongestReason - 1), "…");
    }

    /// <summary>The monitor's own incident: it could not probe the target <c>failureThreshold</c> times in a row.</summary>
    private async Task<PendingAlert> OpenProbeErrorIncidentAsync(TargetTracker tracker, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var since = tracker.ProbeErrorSince ?? at;
        var incident = new StoredIncident
        {
            Id = 0,
            Target = tracker.Name,
            Layer = Layer.Unknown,
            Side = Side.Infrastructure,
            Signature = ProbeErrorSignature,
            StartedAt = since,
            Evidence =
            [
                $"the monitor could not probe {tracker.Name}: {tracker.ProbeError}",
                $"{tracker.ConsecutiveProbeErrors} attempts in a row failed since {since.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture)}Z; the target's own state is unknown",
            ],
            Remedy = "Faultline failed before it could observe the target: check the target's settings (timeout, interval) and the monitor's log (events 414 and 415) for the exception.",
        };

        incident = _store is null
            ? incident with { Id = Interlocked.Increment(ref _nextLocalIncident) }
            : await _store.OpenIncidentAsync(incident, cancellationToken).ConfigureAwait(false);
        tracker.Incident = incident;
        tracker.ProbeErrorIncident = true;
        tracker.OpenedAt = at;
        tracker.RemindersSent = 0;
        LogOpened(_logger, incident.Id, SafeText.OneLine(tracker.Name), SafeText.OneLine(incident.Signature), "-");
        return new PendingAlert(tracker, AlertEventKind.Open, incident, at, 0);
    }

    private async Task ProcessAsync(ScheduledTarget scheduled, DateTimeOffset due, DateTimeOffset startedAt, IReadOnlyList<TargetResult> results, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (results.Count == 0 || !_scheduled.TryGetValue(scheduled.Target.Name, out var current) || !ReferenceEquals(current, scheduled))
            {
                return;
            }

            var at = _time.GetUtcNow();
            await EnsureLeaseAsync(at, cancellationToken).ConfigureAwait(false);

            // Components first: the target's own result rests on them (the root-cause rule picks the deeper one).
            var ordered = results.Skip(1).Append(results[0]).ToList();
            foreach (var result in ordered)
            {
                var tracker = TrackerFor(result.Name, scheduled.Target);
                await _sink.OnResultAsync(new ResultEvent { Target = result.Name, ScheduledAt = due, StartedAt = startedAt, Result = result }, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _pendingWrites);
                if (!_writes.Writer.TryWrite(ToStored(result, due, at)))
                {
                    Interlocked.Decrement(ref _pendingWrites);
                }
                await ObserveAsync(tracker, result, startedAt, at, cancellationToken).ConfigureAwait(false);
            }

            // A fresh result may be the evidence a dependent waited for before opening its incident.
            foreach (var waiting in _deferred.Count == 0 ? [] : _trackers.Values.Where(t => t.OpenDeferred).ToList())
            {
                await TryGoDownAsync(waiting, at, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    private TargetTracker TrackerFor(string name, TargetSpec owner)
    {
        if (!_trackers.TryGetValue(name, out var tracker))
        {
            tracker = new TargetTracker(name, owner.Name, owner, _deferred);
            _trackers[name] = tracker;
        }

        return tracker;
    }

    private async Task ObserveAsync(TargetTracker tracker, TargetResult result, DateTimeOffset startedAt, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var shownBefore = tracker.Shown;
        List<PendingAlert> alerts = [];
        if (tracker.ProbeErrorIncident)
        {
            // The monitor probes the target again: its own incident is over, whatever this result says.
            tracker.ProbeErrorIncident = false;
            await ResolveAsync(tracker, at, alerts, cancellationToken).ConfigureAwait(false);
        }

        tracker.Record(result, startedAt, at);
        var spec = tracker.Spec;

        if (result.Status == ResultStatus.Fail)
        {
            if (tracker.Base != TargetState.Down && tracker.ConsecutiveFailures >= spec.FailureThreshold)
            {
                // The state event and alerts of going down are produced there.
                if (await TryGoDownAsync(tracker, at, cancellationToken, shownBefore).ConfigureAwait(false))
                {
                    foreach (var alert in alerts)
                    {
                        await SendAlertAsync(alert, cancellationToken).ConfigureAwait(false);
                    }

                    return;
                }
            }
        }
        else
        {
            tracker.OpenDeferred = false;
            var passing = tracker.PassingState();
            if (tracker.Base == TargetState.Down)
            {
                if (tracker.ConsecutivePasses >= spec.SuccessThreshold)
                {
                    SetBase(tracker, passing, at);
                    await ResolveAsync(tracker, at, alerts, cancellationToken).ConfigureAwait(false);
                }
            }
            else if (tracker.Base == TargetState.Pending)
            {
                if (tracker.ConsecutivePasses >= spec.SuccessThreshold)
                {
                    SetBase(tracker, passing, at);
                }
            }
            else if (tracker.Base != passing)
            {
                SetBase(tracker, passing, at);
            }

            if (alerts.Count == 0 && tracker.Incident is null && tracker.SuppressedChildren.Count > 0)
            {
                // This parent passes without an incident of its own: children attributed to its failure stand on their own again.
                await ReleaseChildrenAsync(tracker, at, cancellationToken).ConfigureAwait(false);
            }
        }

        UpdateFlapping(tracker, at);
        await EmitStateAsync(tracker, shownBefore, at, cancellationToken).ConfigureAwait(false);
        foreach (var alert in alerts)
        {
            await SendAlertAsync(alert, cancellationToken).ConfigureAwait(false);
        }

        if (tracker.Base == TargetState.Down)
        {
            await RemindAsync(tracker, at, cancellationToken).ConfigureAwait(false);
        }

        if (alerts.Count > 0)
        {
            await AfterResolveAsync(tracker, at, cancellationToken).ConfigureAwait(false);
        }
    }

    private void SetBase(TargetTracker tracker, TargetState state, DateTimeOffset at)
    {
        if (tracker.Base == state)
        {
            return;
        }

        // Leaving Pending is the first verdict, not a change: it does not count towards flapping.
        if (tracker.Base != TargetState.Pending)
        {
            tracker.Changes.Enqueue(at);
        }

        tracker.Base = state;
        tracker.LastChange = at;
    }

    private void UpdateFlapping(TargetTracker tracker, DateTimeOffset at)
    {
        var monitor = _config.Monitor;
        while (tracker.Changes.TryPeek(out var first) && first <= at - monitor.FlapWindow)
        {
            tracker.Changes.Dequeue();
        }

        if (!tracker.Flapping && monitor.FlapChanges > 0 && tracker.Changes.Count >= monitor.FlapChanges)
        {
            tracker.Flapping = true;
        }
        else if (tracker.Flapping && tracker.LastChange is { } last && at - last >= monitor.FlapWindow)
        {
            // A whole window without a change: quiet again.
            tracker.Flapping = false;
        }
    }

    private async Task EmitStateAsync(TargetTracker tracker, TargetState before, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (tracker.Shown == before)
        {
            return;
        }

        if (before != TargetState.Pending || tracker.Shown != TargetState.Pending)
        {
            tracker.LastChange = at;
        }

        LogState(_logger, SafeText.OneLine(tracker.Name), before, tracker.Shown);
        await _sink.OnStateAsync(
            new StateEvent
            {
                Target = tracker.Name,
                At = at,
                From = before,
                To = tracker.Shown,
                IncidentId = tracker.Incident?.Id,
                SuppressedBy = tracker.Incident?.SuppressedBy,
                Signature = tracker.ProbeError is not null ? ProbeErrorSignature : tracker.LastFailed ? tracker.LastSignature : null,
                Reason = tracker.ProbeError,
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The failure threshold is reached: open the incident (own, or attributed to a failing dependency)
    /// and go Down, unless a dependency has not been probed since this run of failures began — then wait
    /// for its next result (at most one of its intervals), so the root cause is known before anything is announced.
    /// Returns true when the tracker went down (the state event and alert were produced).
    /// </summary>
    private async Task<bool> TryGoDownAsync(TargetTracker tracker, DateTimeOffset at, CancellationToken cancellationToken, TargetState? shownBefore = null)
    {
        if (tracker.Base == TargetState.Down || !tracker.LastFailed)
        {
            tracker.OpenDeferred = false;
            return false;
        }

        var before = shownBefore ?? tracker.Shown;
        var root = FailingRoot(tracker);
        if (root is null && WaitForDependency(tracker, at))
        {
            if (!tracker.OpenDeferred)
            {
                LogDeferred(_logger, SafeText.OneLine(tracker.Name));
            }

            tracker.OpenDeferred = true;
            return false;
        }

        tracker.OpenDeferred = false;
        SetBase(tracker, TargetState.Down, at);
        tracker.RemindersSent = 0;
        var pending = await OpenAsync(tracker, root, at, cancellationToken).ConfigureAwait(false);
        UpdateFlapping(tracker, at);
        await EmitStateAsync(tracker, before, at, cancellationToken).ConfigureAwait(false);
        if (pending is not null)
        {
            await SendAlertAsync(pending, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>
    /// The root the tracker's latest failure follows from, by the same causal model as a check report
    /// (<see cref="Causality.Analyze"/> over every entity's latest result): <c>dependsOn</c> (transitively), the
    /// service's inside view (<c>service:</c> or the same origin as a <c>remote</c> target), and an optional
    /// dependency a critical path waits on. Null when the failure is a root itself.
    /// </summary>
    private TargetTracker? FailingRoot(TargetTracker tracker) => FailingRoot(tracker, LatestCausality());

    private TargetTracker? FailingRoot(TargetTracker tracker, CausalAnalysis causality) =>
        causality.RootOf.TryGetValue(tracker.Name, out var root) && _trackers.TryGetValue(root, out var found) && found != tracker ? found : null;

    /// <summary>Every entity's latest result, in config order, with the dependencies the monitor tracks.</summary>
    private List<TargetResult> LatestResults() => _trackers.Values
        .Where(t => t.Last is not null)
        .Select(t => t.Last! with { Name = t.Name, DependsOn = t.Dependencies })
        .ToList();

    private CausalAnalysis LatestCausality() => Causality.Analyze(LatestResults());

    /// <summary>True while a dependency has no result taken after this run of failures began, and its next one is still due within its interval.</summary>
    private static bool HasService(FaultlineConfig config) => config.Targets.Any(t => string.Equals(t.Kind, TargetKinds.Remote, StringComparison.Ordinal));

    private bool WaitForDependency(TargetTracker tracker, DateTimeOffset at)
    {
        if (tracker.FailingSince is not { } since)
        {
            return false;
        }

        // Inferring the service looks at every latest result: only worth it when the config has a service at all.
        var service = _anyService && tracker.Last is { } last ? Causality.ServiceOf(last with { Name = tracker.Name }, LatestResults()) : null;
        foreach (var name in service is null ? tracker.Dependencies : [.. tracker.Dependencies, service])
        {
            if (!_trackers.TryGetValue(name, out var dependency))
            {
                continue;
            }

            var fresh = dependency.LastStartedAt is { } started && started >= since;
            var deadline = since + dependency.Spec.Interval + TimeSpan.FromTicks((long)(dependency.Spec.Interval.Ticks * Schedule.JitterShare)) + (dependency.Spec.Timeout ?? _config.Defaults.Timeout);
            if (!fresh && at < deadline && _scheduled.ContainsKey(dependency.Owner))
            {
                return true;
            }
        }

        return false;
    }

    private async Task<PendingAlert?> OpenAsync(TargetTracker tracker, TargetTracker? root, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var last = tracker.Last!;
        var incident = new StoredIncident
        {
            Id = 0,
            Target = tracker.Name,
            Layer = last.Layer ?? Layer.Unknown,
            Side = last.Side ?? Side.Infrastructure,
            Signature = tracker.LastSignature ?? TargetTracker.SignatureOf(last),
            StartedAt = tracker.FailingSince ?? at,
            SuppressedBy = root?.Name,
            Evidence = last.Evidence,
            Remedy = last.Remedy,
        };

        incident = _store is null
            ? incident with { Id = Interlocked.Increment(ref _nextLocalIncident) }
            : await _store.OpenIncidentAsync(incident, cancellationToken).ConfigureAwait(false);
        tracker.Incident = incident;
        tracker.OpenedAt = at;
        LogOpened(_logger, incident.Id, SafeText.OneLine(tracker.Name), SafeText.OneLine(incident.Signature), SafeText.OneLine(incident.SuppressedBy ?? "-"));
        if (incident.SuppressedBy is { } parent)
        {
            if (_trackers.TryGetValue(parent, out var parentTracker))
            {
                parentTracker.SuppressedChildren.Add(tracker.Name);
            }

            return null;
        }

        // Dependents failing right now fail because of this: the announcement names them, and they stay quiet.
        var causality = LatestCausality();
        foreach (var dependent in _trackers.Values.Where(d => d != tracker && d.LastFailed).ToList())
        {
            if (FailingRoot(dependent, causality) == tracker)
            {
                tracker.SuppressedChildren.Add(dependent.Name);
            }
        }

        return new PendingAlert(tracker, AlertEventKind.Open, incident, at, 0);
    }

    private async Task ResolveAsync(TargetTracker tracker, DateTimeOffset at, List<PendingAlert> alerts, CancellationToken cancellationToken)
    {
        if (tracker.Incident is not { } open)
        {
            return;
        }

        var resolved = _store is null ? null : await _store.ResolveIncidentAsync(tracker.Name, at, cancellationToken).ConfigureAwait(false);
        tracker.Incident = null;
        var incident = (resolved ?? open) with { ResolvedAt = resolved?.ResolvedAt ?? at };
        LogResolved(_logger, incident.Id, SafeText.OneLine(tracker.Name));
        if (open.SuppressedBy is null)
        {
            alerts.Add(new PendingAlert(tracker, AlertEventKind.Resolve, incident, at, 0));
        }
    }

    /// <summary>After a parent's incident resolved: its children still failing are judged again, on their own.</summary>
    private async Task AfterResolveAsync(TargetTracker parent, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await ReleaseChildrenAsync(parent, at, cancellationToken).ConfigureAwait(false);
    }

    private async Task ReleaseChildrenAsync(TargetTracker parent, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var children = parent.SuppressedChildren.ToList();
        parent.SuppressedChildren.Clear();
        foreach (var name in children)
        {
            if (!_trackers.TryGetValue(name, out var child) || child.Incident is not { SuppressedBy: not null } attributed
                || !string.Equals(attributed.SuppressedBy, parent.Name, StringComparison.Ordinal))
            {
                continue;
            }

            if (!child.LastFailed)
            {
                // Recovering: it resolves quietly when it reaches its success threshold; keep it attributed.
                continue;
            }

            if (_store is not null)
            {
                await _store.ResolveIncidentAsync(child.Name, at, cancellationToken).ConfigureAwait(false);
            }

            // Still failing: judged again on its own, from a fresh count — it opens its own incident (and alerts)
            // only after failureThreshold further failures, so a service that needs a moment to come back after its
            // dependency did is not announced as a second incident.
            child.Incident = null;
            child.RestartFailureCount();
            var before = child.Shown;
            SetBase(child, TargetState.Pending, at);
            await EmitStateAsync(child, before, at, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RemindAsync(TargetTracker tracker, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (_config.Monitor.Reminder is not { } every || every <= TimeSpan.Zero || tracker.Incident is not { SuppressedBy: null } incident)
        {
            return;
        }

        var due = tracker.OpenedAt ?? incident.StartedAt;
        var next = due + TimeSpan.FromTicks(every.Ticks * (tracker.RemindersSent + 1));
        if (at < next)
        {
            return;
        }

        // One reminder per probe at most: a monitor that was away does not send a burst.
        tracker.RemindersSent = (int)Math.Max(tracker.RemindersSent + 1, (at - due).Ticks / every.Ticks);
        await SendAlertAsync(new PendingAlert(tracker, AlertEventKind.Reminder, incident, at, tracker.RemindersSent), cancellationToken).ConfigureAwait(false);
    }

    private async Task SendAlertAsync(PendingAlert pending, CancellationToken cancellationToken)
    {
        var tracker = pending.Tracker;
        var alert = BuildAlert(pending);
        if (!await EnsureLeaseAsync(pending.At, cancellationToken).ConfigureAwait(false))
        {
            LogNotLeader(_logger, alert.Event, SafeText.OneLine(tracker.Name));
            return;
        }

        var window = _config.Monitor.Maintenance.FirstOrDefault(w => w.From <= pending.At && pending.At < w.Until
            && (w.Targets.Count == 0 || w.Targets.Contains(tracker.Name, StringComparer.Ordinal) || w.Targets.Contains(tracker.Owner, StringComparer.Ordinal)));
        if (window is not null)
        {
            LogHeld(_logger, alert.Event, SafeText.OneLine(tracker.Name), SafeText.OneLine(window.Reason ?? "maintenance"));
            if (_sink is IMonitorHeldAlertSink held)
            {
                await held.OnAlertHeldAsync(alert, "maintenance", cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        var eventName = pending.Kind switch
        {
            AlertEventKind.Open => "open",
            AlertEventKind.Resolve => "resolve",
            _ => $"reminder-{pending.Sequence}",
        };
        if (_store is not null && !await _store.TryRecordNotificationAsync(pending.Incident.Id, eventName, pending.At, cancellationToken).ConfigureAwait(false))
        {
            LogAlreadySent(_logger, eventName, pending.Incident.Id);
            return;
        }

        await _sink.OnAlertAsync(alert, cancellationToken).ConfigureAwait(false);
    }

    private AlertEvent BuildAlert(PendingAlert pending)
    {
        var incident = pending.Incident;
        var tracker = pending.Tracker;
        var last = tracker.Last;
        var own = string.Equals(incident.Signature, ProbeErrorSignature, StringComparison.Ordinal) && tracker.ProbeError is not null;
        var evidence = pending.Kind == AlertEventKind.Resolve || own ? incident.Evidence : (last?.Evidence is { Count: > 0 } e ? e : incident.Evidence);
        var cause = pending.Kind == AlertEventKind.Resolve
            ? "recovered after " + Durations.Describe((pending.At - incident.StartedAt).Duration())
            : own ? "the monitor could not probe it: " + tracker.ProbeError : Cause(last) ?? incident.Signature;
        var suppressed = tracker.SuppressedChildren.ToList();
        return new AlertEvent
        {
            Event = pending.Kind,
            At = pending.At,
            Incident = new IncidentInfo
            {
                Id = incident.Id,
                Target = incident.Target,
                Layer = incident.Layer,
                Side = incident.Side,
                Signature = incident.Signature,
                StartedAt = incident.StartedAt,
                ResolvedAt = incident.ResolvedAt,
                Suppressed = suppressed,
            },
            Evidence = evidence,
            Remedy = incident.Remedy ?? (own ? null : last?.Remedy),
            Summary = $"{incident.Target}: {incident.Layer.Wire()} {incident.Side.Wire()} — {cause}"
                + (suppressed.Count > 0 ? $" (also failing because of it: {string.Join(", ", suppressed)})" : string.Empty),
            Channels = tracker.Spec.Alerts,
            Sequence = pending.Sequence,
        };
    }

    private static string? Cause(TargetResult? last)
    {
        if (last?.Error is { } error)
        {
            return error.Message;
        }

        return last?.Conditions.FirstOrDefault(c => !c.Ok) is { } failed ? $"{failed.Expr} (was {failed.Actual ?? "nothing"})" : null;
    }

    /// <summary>True when this replica may send alerts; takes the lease when not held, at most once per shortest interval.</summary>
    private async Task<bool> EnsureLeaseAsync(DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (_store is null)
        {
            return true;
        }

        if (_lease is { IsHeld: true })
        {
            return true;
        }

        if (_lease is not null)
        {
            LogLeaseLost(_logger);
            await _lease.DisposeAsync().ConfigureAwait(false);
            _lease = null;
        }

        if (at < _nextLeaseAttempt)
        {
            return false;
        }

        var retry = _config.Targets.Count == 0 ? TargetSpec.DefaultInterval : _config.Targets.Min(t => t.Interval);
        _nextLeaseAttempt = at + retry;
        _lease = await _store.TryAcquireAlertLeaseAsync(cancellationToken).ConfigureAwait(false);
        if (_lease is null)
        {
            return false;
        }

        LogLeaseTaken(_logger);

        // Taking over: announce open incidents whose opening no replica recorded (the previous holder died before sending).
        foreach (var tracker in _trackers.Values.Where(t => t.Incident is { SuppressedBy: null, ResolvedAt: null }).ToList())
        {
            await SendAlertAsync(new PendingAlert(tracker, AlertEventKind.Open, tracker.Incident!, at, 0), cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    private async Task RestoreOpenIncidentsAsync(CancellationToken cancellationToken)
    {
        if (_store is null)
        {
            return;
        }

        var owners = _config.Targets.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var incident in await _store.OpenIncidentsAsync(cancellationToken).ConfigureAwait(false))
        {
            var slash = incident.Target.IndexOf('/', StringComparison.Ordinal);
            var ownerName = owners.ContainsKey(incident.Target) || slash < 0 ? incident.Target : incident.Target[..slash];
            if (!owners.TryGetValue(ownerName, out var owner))
            {
                continue;
            }

            var tracker = TrackerFor(incident.Target, owner);
            tracker.Incident = incident;
            tracker.LastChange = incident.StartedAt;
            if (string.Equals(incident.Signature, ProbeErrorSignature, StringComparison.Ordinal))
            {
                // The monitor's own incident says nothing about the target: it starts from pending and the
                // incident resolves at its first completed probe.
                tracker.ProbeErrorIncident = true;
            }
            else
            {
                tracker.Base = TargetState.Down;
            }
        }

        foreach (var tracker in _trackers.Values.Where(t => t.Incident?.SuppressedBy is not null))
        {
            if (_trackers.TryGetValue(tracker.Incident!.SuppressedBy!, out var parent))
            {
                parent.SuppressedChildren.Add(tracker.Name);
            }
        }
    }

    private async Task RemoveTargetAsync(string name, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (_scheduled.Remove(name, out var scheduled))
        {
            await scheduled.Stop.CancelAsync().ConfigureAwait(false);
        }

        foreach (var tracker in _trackers.Values.Where(t => string.Equals(t.Owner, name, StringComparison.Ordinal)).ToList())
        {
            if (tracker.Incident is not null && _store is not null)
            {
                try
                {
                    await _store.ResolveIncidentAsync(tracker.Name, now, cancellationToken).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // A store that fails here must not leave a reload half applied: the incident stays open in the store (logged), the target is removed.
                catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
                {
                    LogRemovedIncidentNotResolved(_logger, tracker.Incident.Id, SafeText.OneLine(tracker.Name), SafeText.OneLine($"{ex.GetType().Name}: {SecretRedactor.Of(_config.Secrets).Redact(ex.Message)}"));
                }
            }

            tracker.OpenDeferred = false;
            _trackers.Remove(tracker.Name);
            foreach (var other in _trackers.Values)
            {
                other.SuppressedChildren.Remove(tracker.Name);
            }
        }
    }

    private async Task WriteLoopAsync()
    {
        var reader = _writes.Reader;
        var batch = new List<StoredResult>(WriteBatch);
        while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < WriteBatch && reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            if (_store is null || batch.Count == 0)
            {
                Interlocked.Add(ref _pendingWrites, -batch.Count);
                continue;
            }

            try
            {
                await _store.WriteResultsAsync(batch, CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // A store that fails a write (disk full, connection lost) must not stop the monitor: logged, counted, the next batch retries the store.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Interlocked.Add(ref _writeFailures, batch.Count);
                LogWriteFailed(_logger, ex, batch.Count);
            }
            finally
            {
                Interlocked.Add(ref _pendingWrites, -batch.Count);
            }
        }
    }

    private async Task RetentionLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var monitor = _config.Monitor;
                try
                {
                    await _store!.ApplyRetentionAsync(_time.GetUtcNow(), monitor.RawRetention, monitor.RollupRetention, cancellationToken).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // Retention failing once is logged and retried at the next hour; probing goes on.
                catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
                {
                    LogRetentionFailed(_logger, ex);
                }

                await Task.Delay(RetentionEvery, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }

    private static StoredResult ToStored(TargetResult result, DateTimeOffset due, DateTimeOffset at) => new()
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

    private sealed class ScheduledTarget(TargetSpec target, DateTimeOffset origin, CancellationTokenSource stop)
    {
        public TargetSpec Target { get; } = target;

        public DateTimeOffset Origin { get; } = origin;

        public CancellationTokenSource Stop { get; } = stop;

        private DateTimeOffset? _sleepingUntil;

        public DateTimeOffset? SleepingUntil
        {
            get { lock (this) { return _sleepingUntil; } }
            set { lock (this) { _sleepingUntil = value; } }
        }
    }

    private sealed record PendingAlert(TargetTracker Tracker, AlertEventKind Kind, StoredIncident Incident, DateTimeOffset At, int Sequence);

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "{Target}: {From} -> {To}")]
    private static partial void LogState(ILogger logger, string target, TargetState from, TargetState to);

    [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "incident {Id} opened for {Target} ({Signature}), attributed to {SuppressedBy}")]
    private static partial void LogOpened(ILogger logger, long id, string target, string signature, string suppressedBy);

    [LoggerMessage(EventId = 402, Level = LogLevel.Information, Message = "incident {Id} of {Target} resolved")]
    private static partial void LogResolved(ILogger logger, long id, string target);

    [LoggerMessage(EventId = 403, Level = LogLevel.Debug, Message = "{Target}: failure threshold reached; waiting for a dependency's next result before opening an incident")]
    private static partial void LogDeferred(ILogger logger, string target);

    [LoggerMessage(EventId = 404, Level = LogLevel.Information, Message = "{Event} alert for {Target} held: {Reason}")]
    private static partial void LogHeld(ILogger logger, AlertEventKind @event, string target, string reason);

    [LoggerMessage(EventId = 405, Level = LogLevel.Debug, Message = "{Event} alert for {Target} not sent: another replica holds the alert lease")]
    private static partial void LogNotLeader(ILogger logger, AlertEventKind @event, string target);

    [LoggerMessage(EventId = 406, Level = LogLevel.Debug, Message = "{EventName} of incident {Id} was already sent")]
    private static partial void LogAlreadySent(ILogger logger, string eventName, long id);

    [LoggerMessage(EventId = 407, Level = LogLevel.Information, Message = "this replica now sends the alerts (alert lease taken)")]
    private static partial void LogLeaseTaken(ILogger logger);

    [LoggerMessage(EventId = 408, Level = LogLevel.Warning, Message = "alert lease lost; retrying to take it")]
    private static partial void LogLeaseLost(ILogger logger);

    [LoggerMessage(EventId = 409, Level = LogLevel.Error, Message = "writing {Count} results to the history store failed")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 410, Level = LogLevel.Error, Message = "retention of the history store failed; retrying in an hour")]
    private static partial void LogRetentionFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 411, Level = LogLevel.Warning, Message = "{Target}: a probe overran its interval; the slot it covered was skipped")]
    private static partial void LogSkipped(ILogger logger, string target);

    [LoggerMessage(EventId = 412, Level = LogLevel.Information, Message = "config applied: {Targets} targets")]
    private static partial void LogReloaded(ILogger logger, int targets);

    [LoggerMessage(EventId = 413, Level = LogLevel.Information, Message = "monitor stopping")]
    private static partial void LogStopping(ILogger logger);

    [LoggerMessage(EventId = 414, Level = LogLevel.Error, Message = "{Target}: the monitor could not probe it ({Reason}); trying again in {Retry}")]
    private static partial void LogProbeError(ILogger logger, string target, string reason, string retry);

    [LoggerMessage(EventId = 415, Level = LogLevel.Debug, Message = "{Target}: the failed attempt in full: {Detail}")]
    private static partial void LogProbeErrorDetail(ILogger logger, string target, string detail);

    [LoggerMessage(EventId = 416, Level = LogLevel.Error, Message = "{Target}: the failed attempt could not be reported ({Reason}); trying again")]
    private static partial void LogProbeErrorNotReported(ILogger logger, string target, string reason);

    [LoggerMessage(EventId = 417, Level = LogLevel.Warning, Message = "incident {Id} of {Target}, which left the config, could not be resolved in the history store ({Reason}); it stays open there")]
    private static partial void LogRemovedIncidentNotResolved(ILogger logger, long id, string target, string reason);
}
