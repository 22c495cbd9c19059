using System.Collections.Concurrent;
using System.Diagnostics;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Monitor.Engine;
using Faultline.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Faultline.Monitor.Tests.Engine;

/// <summary>What a scripted target answers: pass or fail (with a layer and error kind), and how long it took.</summary>
internal sealed record Outcome(ResultStatus Status, Layer? Layer = null, string? ErrorKind = null, double DurationMs = 20)
{
    public static Outcome Pass(double durationMs = 20) => new(ResultStatus.Pass, DurationMs: durationMs);

    public static Outcome Fail(Core.Model.Layer layer = Core.Model.Layer.Network, string kind = "connection-refused") => new(ResultStatus.Fail, layer, kind);
}

/// <summary>
/// Stands in for the network: each target answers what the test scripted for it (pass until told otherwise).
/// Records every call with the fake time it started.
/// </summary>
internal sealed class ScriptedProbe(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Outcome> _outcomes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IReadOnlyList<(string Name, Outcome Outcome)>> _components = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Exception> _throws = new(StringComparer.Ordinal);
    private int _inFlight;
    private int _maxInFlight;

    public ConcurrentQueue<(string Target, DateTimeOffset At)> Calls { get; } = new();

    /// <summary>A real delay inside each probe (to observe overlap); zero = answer at once.</summary>
    public TimeSpan RealDelay { get; set; }

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public void Set(string target, Outcome outcome) => _outcomes[target] = outcome;

    /// <summary>The target is a remote one: its result is followed by these inside components.</summary>
    public void SetComponents(string target, params (string Name, Outcome Outcome)[] components) => _components[target] = components;

    /// <summary>The probe of <paramref name="target"/> throws <paramref name="exception"/> (the monitor fails, not the target) until <see cref="StopThrowing"/>.</summary>
    public void Throw(string target, Exception exception) => _throws[target] = exception;

    public void StopThrowing(string target) => _throws.TryRemove(target, out _);

    public int CallsFor(string target) => Calls.Count(c => c.Target == target);

    public async Task<IReadOnlyList<TargetResult>> ProbeAsync(FaultlineConfig config, TargetSpec target, CancellationToken cancellationToken)
    {
        Calls.Enqueue((target.Name, time.GetUtcNow()));
        if (_throws.TryGetValue(target.Name, out var exception))
        {
            throw exception;
        }

        var now = Interlocked.Increment(ref _inFlight);
        InterlockedMax(ref _maxInFlight, now);
        try
        {
            if (RealDelay > TimeSpan.Zero)
            {
                await Task.Delay(RealDelay, cancellationToken);
            }

            var components = _components.GetValueOrDefault(target.Name) ?? [];
            List<TargetResult> results = [Result(target.Name, _outcomes.GetValueOrDefault(target.Name) ?? Outcome.Pass(), [.. components.Select(c => $"{target.Name}/{c.Name}")])];
            results.AddRange(components.Select(c => Result($"{target.Name}/{c.Name}", c.Outcome, []) with { Vantage = Vantage.Inside }));
            return results;
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public static TargetResult Result(string name, Outcome outcome, IReadOnlyList<string> dependsOn) => new()
    {
        Name = name,
        Kind = TargetKinds.Http,
        Target = $"http://127.0.0.1/{name}",
        Status = outcome.Status,
        Layer = outcome.Layer,
        Side = outcome.Layer is null ? null : Side.Infrastructure,
        DurationMs = outcome.DurationMs,
        Error = outcome.ErrorKind is { } kind ? new ResultError(kind, $"{name}: {kind}") : null,
        Evidence = outcome.Status == ResultStatus.Fail ? [$"evidence for {name}"] : [],
        Remedy = outcome.Status == ResultStatus.Fail ? $"fix {name}" : null,
        DependsOn = dependsOn,
    };

    private static void InterlockedMax(ref int location, int value)
    {
        var current = Volatile.Read(ref location);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref location, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}

/// <summary>Records every event the engine produces.</summary>
internal sealed class RecordingSink : IMonitorSink, IMonitorHeldAlertSink
{
    private readonly Lock _lock = new();
    private readonly List<ResultEvent> _results = [];
    private readonly List<StateEvent> _states = [];
    private readonly List<AlertEvent> _alerts = [];
    private readonly List<(AlertEvent Alert, string Reason)> _held = [];

    public IReadOnlyList<ResultEvent> Results { get { lock (_lock) { return [.. _results]; } } }

    public IReadOnlyList<StateEvent> States { get { lock (_lock) { return [.. _states]; } } }

    public IReadOnlyList<AlertEvent> Alerts { get { lock (_lock) { return [.. _alerts]; } } }

    public IReadOnlyList<(AlertEvent Alert, string Reason)> Held { get { lock (_lock) { return [.. _held]; } } }

    public IReadOnlyList<StateEvent> StatesOf(string target) => States.Where(s => s.Target == target).ToList();

    public IReadOnlyList<ResultEvent> ResultsOf(string target) => Results.Where(s => s.Target == target).ToList();

    public ValueTask OnResultAsync(ResultEvent result, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _results.Add(result);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask OnStateAsync(StateEvent state, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _states.Add(state);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask OnAlertAsync(AlertEvent alert, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _alerts.Add(alert);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask OnAlertHeldAsync(AlertEvent alert, string reason, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _held.Add((alert, reason));
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>An engine on fake time, stepped in small increments, waiting after each step until the engine is idle again.</summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 1, 5, 12, 0, 0, TimeSpan.Zero);

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;

    /// <param name="probe">The engine's probe function on the harness's clock; default: <see cref="Probe"/>.</param>
    /// <param name="sink">What the engine reports to, given the recording sink; default: the recording sink itself.</param>
    public EngineHarness(FaultlineConfig config, IHistoryStore? store = null, ILoggerFactory? loggerFactory = null, Func<TimeProvider, ProbeFunction>? probe = null, Func<RecordingSink, IMonitorSink>? sink = null)
    {
        Probe = new ScriptedProbe(Time);
        Engine = new MonitorEngine(config, probe?.Invoke(Time) ?? Probe.ProbeAsync, store, sink?.Invoke(Sink) ?? Sink, Time, loggerFactory);
        _run = Engine.RunAsync(_stop.Token);
    }

    public FakeTimeProvider Time { get; } = new(Start);

    public ScriptedProbe Probe { get; }

    public RecordingSink Sink { get; } = new();

    public MonitorEngine Engine { get; }

    /// <summary>Moves fake time forward by <paramref name="by"/> in steps of <paramref name="step"/> (default 1 s).</summary>
    public async Task AdvanceAsync(TimeSpan by, TimeSpan? step = null)
    {
        var size = step ?? TimeSpan.FromSeconds(1);
        var end = Time.GetUtcNow() + by;
        await WaitIdleAsync();
        while (Time.GetUtcNow() < end)
        {
            var next = end - Time.GetUtcNow();
            Time.Advance(next < size ? next : size);
            await WaitIdleAsync();
        }
    }

    /// <summary>Moves fake time forward, a second at a time, until <paramref name="target"/> has been probed <paramref name="count"/> more times.</summary>
    public async Task ProbesAsync(string target, int count = 1)
    {
        await WaitIdleAsync();
        var goal = Probe.CallsFor(target) + count;
        var limit = Time.GetUtcNow().AddHours(1);
        while (Probe.CallsFor(target) < goal)
        {
            if (Time.GetUtcNow() > limit)
            {
                throw new TimeoutException($"{target} was not probed {count} times within an hour of fake time");
            }

            Time.Advance(TimeSpan.FromSeconds(1));
            await WaitIdleAsync();
        }
    }

    public async Task WaitIdleAsync()
    {
        var watch = Stopwatch.StartNew();
        while (!Engine.IsQuiescent)
        {
            if (_run.IsCompleted)
            {
                await _run;
                throw new InvalidOperationException("the engine stopped");
            }

            if (watch.Elapsed > TimeSpan.FromSeconds(20))
            {
                // A schedule neither sleeping nor working: a target's loop has stopped.
                var states = string.Join(", ", (await Engine.SnapshotAsync()).Select(t => $"{t.Name}={t.State.Wire()}"));
                throw new TimeoutException($"the engine did not become idle within 20 s (a target's schedule stopped?); states: {states}");
            }

            await Task.Delay(1);
        }
    }

    public async Task<TargetStatus> StatusAsync(string name) => (await Engine.SnapshotAsync()).Single(s => s.Name == name);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run;
        await Engine.DisposeAsync();
        _stop.Dispose();
    }

    public static TargetSpec Target(string name, int failureThreshold = 3, int successThreshold = 2, double intervalSeconds = 10, params string[] dependsOn) => new()
    {
        Name = name,
        Kind = TargetKinds.Http,
        Url = $"http://127.0.0.1/{name}",
        Interval = TimeSpan.FromSeconds(intervalSeconds),
        FailureThreshold = failureThreshold,
        SuccessThreshold = successThreshold,
        DependsOn = dependsOn,
        Alerts = ["ops"],
    };

    public static FaultlineConfig Config(params TargetSpec[] targets) => new() { Targets = targets };
}
