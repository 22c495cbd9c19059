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
/// <remarks>
/// The engine composes its parts and owns the lock they run under: <see cref="TargetScheduler"/> (when to probe),
/// <see cref="TargetStateMachine"/> (one per entity, pure), <see cref="IncidentTracker"/> (incidents over the
/// dependency graph), <see cref="AlertGate"/> (lease, maintenance, de-duplication), <see cref="ResultWriter"/>
/// (batched history writes) and <see cref="HistoryRetention"/>. What a result does to them is in
/// <c>MonitorEngine.Results.cs</c>; the log events in <c>MonitorEngine.Log.cs</c>.
/// </remarks>
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

    private readonly IHistoryStore? _store;
    private readonly IMonitorSink _sink;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly Dictionary<string, TargetTracker> _trackers = new(StringComparer.Ordinal);

    /// <summary>Trackers waiting for a dependency's result before opening an incident (<see cref="TargetTracker.OpenDeferred"/>).</summary>
    private readonly HashSet<TargetTracker> _deferred = [];
    private readonly TargetScheduler _scheduler;
    private readonly IncidentTracker _incidents;
    private readonly AlertGate _alerts;
    private readonly ResultWriter _writer;
    private FaultlineConfig _config;

    /// <summary>True when the config has a remote target: only then can a target be served by a service whose inside view it waits on.</summary>
    private bool _anyService;
    private CancellationToken _running;
    private bool _started;
    private volatile bool _ready;

    public MonitorEngine(FaultlineConfig config, ProbeFunction probe, IHistoryStore? store, IMonitorSink sink, TimeProvider time, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(time);
        Validate(config);
        _config = config;
        _anyService = HasService(config);
        _store = store;
        _sink = sink;
        _time = time;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Faultline.Monitor");
        _scheduler = new TargetScheduler(probe, () => Config, ProcessAsync, ReportProbeErrorAsync, time, _logger);
        _incidents = new IncidentTracker(_trackers, store, _logger);
        _alerts = new AlertGate(store, sink, () => Config, () => _trackers.Values, _logger);
        _writer = new ResultWriter(store, _logger);
    }

    /// <summary>The config currently applied.</summary>
    public FaultlineConfig Config => Volatile.Read(ref _config);

    /// <summary>Results written to the store that failed to write (logged; the monitor keeps running).</summary>
    public long WriteFailures => _writer.Failures;

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
        var writer = Task.Run(_writer.RunAsync, CancellationToken.None);
        var housekeeping = Task.CompletedTask;
        try
        {
            await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _incidents.RestoreAsync(_config.Targets.ToDictionary(t => t.Name, StringComparer.Ordinal), TrackerFor, cancellationToken).ConfigureAwait(false);
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

            housekeeping = _store is null
                ? Task.CompletedTask
                : Task.Run(() => HistoryRetention.RunAsync(_store, () => Config.Monitor, _time, _logger, cancellationToken), CancellationToken.None);
            await Task.Delay(Timeout.InfiniteTimeSpan, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogStopping(_logger);
        }
        finally
        {
            await _scheduler.StopAllAsync().ConfigureAwait(false);
            await housekeeping.ConfigureAwait(false);
            _writer.Complete();
            await writer.ConfigureAwait(false);
            await _alerts.DisposeAsync().ConfigureAwait(false);
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
                _scheduler.SetConcurrency(config.Defaults.Concurrency);
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

                if (!TargetScheduler.SameSchedule(before, target) && _started)
                {
                    await _scheduler.StopAsync(target.Name).ConfigureAwait(false);
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
        await _alerts.DisposeAsync().ConfigureAwait(false);
        _scheduler.Dispose();
        _lock.Dispose();
    }

    /// <summary>True when every schedule waits for a due time still in the future and nothing is being processed (tests step fake time by it).</summary>
    internal bool IsQuiescent =>
        _ready && _lock.CurrentCount != 0 && _scheduler.AllSleepingPast(_time.GetUtcNow()) && _writer.Pending == 0;

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

    private static bool HasService(FaultlineConfig config) => config.Targets.Any(t => string.Equals(t.Kind, TargetKinds.Remote, StringComparison.Ordinal));

    private void StartLoop(TargetSpec target, DateTimeOffset origin)
    {
        TrackerFor(target.Name, target);
        _scheduler.Start(target, origin, _running);
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

    private async Task RemoveTargetAsync(string name, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await _scheduler.StopAsync(name).ConfigureAwait(false);
        var redactor = SecretRedactor.Of(_config.Secrets);
        foreach (var tracker in _trackers.Values.Where(t => string.Equals(t.Owner, name, StringComparison.Ordinal)).ToList())
        {
            tracker.OpenDeferred = false;
            _trackers.Remove(tracker.Name);
            await _incidents.ForgetAsync(tracker, now, redactor, cancellationToken).ConfigureAwait(false);
        }
    }
}
