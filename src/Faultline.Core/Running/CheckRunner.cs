using Faultline.Core.Classification;
using Faultline.Core.Conditions;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Reporting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Faultline.Core.Running;

/// <summary>What to run and how; the command line fills it in.</summary>
public sealed record CheckOptions
{
    /// <summary>Run only targets of this category; null = all.</summary>
    public string? Category { get; init; }

    /// <summary>Reads environment variables for probes that need them (the secret probe).</summary>
    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>Values to keep out of the report in addition to those the probes find.</summary>
    public IReadOnlyList<string> KnownSecrets { get; init; } = [];
}

/// <summary>
/// Runs every target of a config concurrently (bounded), each under its own hard deadline, then
/// evaluates conditions, classifies failures and builds the report. The one pipeline that check,
/// monitor and validate share: probe → conditions → classifier → report.
/// </summary>
public sealed partial class CheckRunner
{
    /// <summary>
    /// How long past its deadline a probe may take to report its typed timeout before the runner
    /// stops waiting and reports a plain timeout: a tenth of the deadline, within 1 s and 2 s. A cold
    /// process on a loaded two-core machine was seen taking more than two 500 ms graces to unwind a
    /// connect it had cancelled at its deadline; every probe kind ends itself well within one
    /// (tests/Faultline.Cli.Tests/InFlightProbeTests), so only a probe that really ignores its deadline
    /// is cut off here.
    /// </summary>
    private static TimeSpan Grace(TimeSpan timeout) =>
        TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 10, TimeSpan.FromSeconds(1).Ticks, TimeSpan.FromSeconds(2).Ticks));

    private readonly ProbeCatalog _catalog;
    private readonly Func<string?, IHostResolver> _resolverFactory;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private int _inFlight;

    /// <param name="probes">The probe of each kind (a <see cref="ProbeCatalog"/>, or probes a later one of a kind replacing an earlier one).</param>
    /// <param name="resolverFactory">The host resolver for a target's <c>resolver</c> (null: the system's).</param>
    /// <param name="time">The clock of deadlines and timings.</param>
    /// <param name="loggerFactory">Runner and probe logs; none when null.</param>
    public CheckRunner(IEnumerable<IProbe> probes, Func<string?, IHostResolver> resolverFactory, TimeProvider time, ILoggerFactory? loggerFactory = null)
    {
        _catalog = ProbeCatalog.Of(probes);
        _resolverFactory = resolverFactory;
        _time = time;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger("Faultline.Check");
    }

    /// <summary>
    /// Probes of this runner whose task has not ended yet, including any the runner stopped waiting for at
    /// their deadline: a probe that keeps working past its deadline shows here (monitor metric
    /// <c>faultline_probes_in_flight</c>).
    /// </summary>
    public int InFlightProbes => Volatile.Read(ref _inFlight);

    /// <summary>Runs every target of <paramref name="config"/> (of <see cref="CheckOptions.Category"/> when set) and builds the report.</summary>
    public async Task<Report> RunAsync(FaultlineConfig config, CheckOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        options ??= new CheckOptions();
        var targets = options.Category is null
            ? config.Targets
            : config.Targets.Where(t => string.Equals(t.Category, options.Category, StringComparison.Ordinal)).ToList();

        var redactor = SecretRedactor.Of([.. config.Secrets, .. options.KnownSecrets]);

        var startedAt = _time.GetUtcNow();
        var started = _time.GetTimestamp();
        using var gate = new SemaphoreSlim(Math.Max(1, config.Defaults.Concurrency));

        // The run's own deadline bounds only the wait for a slot: a target that started keeps its own deadline.
        using var runDeadline = new CancellationTokenSource(config.Defaults.CheckDeadline, _time);
        using var slotWait = CancellationTokenSource.CreateLinkedTokenSource(runDeadline.Token, cancellationToken);
        var tasks = targets.Select(async target =>
        {
            try
            {
                await gate.WaitAsync(slotWait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (runDeadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                return NotStarted(config, target);
            }

            try
            {
                return await RunTargetAsync(config, target, options, redactor, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }).ToList();

        var results = (await Task.WhenAll(tasks).ConfigureAwait(false)).SelectMany(r => r).ToList();

        // Redact once every probe has finished, so a secret read by one probe is removed from the
        // results of all the others too, whatever order they finished in.
        var redacted = results.Select(redactor.Redact).ToList();
        return ReportBuilder.Build(config.Environment, startedAt, _time.GetElapsedTime(started), redacted);
    }

    /// <summary>
    /// Runs one target as <see cref="RunAsync"/> runs each of a config's: under its own deadline, its conditions evaluated,
    /// a failure classified, secrets redacted (the config's, <paramref name="options"/>' and those the probe found). Returns
    /// the target's result, followed, when its probe brought back a service's inside view (<c>remote</c>), by one result per
    /// component (<c>target/component</c>); each linked to the failure it follows from, as in a report. The target need not
    /// be one of <paramref name="config"/>'s, which gives the defaults, the resolver, the secrets, the base directory and,
    /// for a <c>concurrency</c> target, the target it runs (<c>of</c>).
    /// </summary>
    public async Task<IReadOnlyList<TargetResult>> RunTargetAsync(FaultlineConfig config, TargetSpec target, CheckOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(target);
        options ??= new CheckOptions();
        var redactor = SecretRedactor.Of([.. config.Secrets, .. options.KnownSecrets]);
        var results = await RunTargetAsync(config, target, options, redactor, cancellationToken).ConfigureAwait(false);
        var redacted = results.Select(redactor.Redact).ToList();
        return ReportBuilder.Linked(redacted, Causality.Analyze(redacted));
    }

    /// <summary>
    /// A target still waiting for one of the <c>defaults.concurrency</c> slots when the run's
    /// <c>defaults.checkDeadline</c> passed: reported, never probed, never a root cause.
    /// </summary>
    private IReadOnlyList<TargetResult> NotStarted(FaultlineConfig config, TargetSpec target)
    {
        var error = new ProbeError(
            ErrorKind.NotStarted,
            $"not started: every one of the {config.Defaults.Concurrency} probe slots was still busy when the check's deadline of {Durations.Describe(config.Defaults.CheckDeadline)} passed");
        LogNotStarted(_logger, target.Name);
        return Judge(target, Failed(target, _time.GetTimestamp(), error), conditions: []);
    }

    private async Task<IReadOnlyList<TargetResult>> RunTargetAsync(FaultlineConfig config, TargetSpec target, CheckOptions options, SecretRedactor redactor, CancellationToken callerToken)
    {
        // concurrency is the runner's own kind: it runs another target's probe; every other kind has a probe of its own.
        var observation = ConcurrencyRun.Runs(target)
            ? await ObserveConcurrencyAsync(config, target, options, redactor, callerToken).ConfigureAwait(false)
            : await ObserveAsync(config, target, _catalog.TimeoutOf(target, config.Defaults), options, redactor, callerToken).ConfigureAwait(false);
        return Judge(target, observation, EvaluateConditions(target, observation));
    }

    /// <summary>A target's result (and its inside components' results) from what its probe observed and its conditions.</summary>
    private List<TargetResult> Judge(TargetSpec target, Observation observation, List<ConditionResult> conditions)
    {
        var status = observation.Error is not null || conditions.Any(c => !c.Ok)
            ? ResultStatus.Fail
            : observation.Warnings.Count > 0 ? ResultStatus.Warn : ResultStatus.Pass;

        Model.Classification? classification = status == ResultStatus.Pass ? null : Classifier.Classify(target, observation, conditions);
        LogTargetDone(_logger, target.Name, status.Wire(), observation.Elapsed.TotalMilliseconds);

        var children = observation.Components.Select(c => InsideResult(target, c)).ToList();
        var result = new TargetResult
        {
            Name = target.Name,
            Kind = target.Kind,
            Target = observation.Target,
            Category = target.Category,
            Critical = target.Critical,
            Status = status,
            Layer = classification?.Layer,
            Side = classification?.Side,
            DurationMs = Math.Round(observation.Elapsed.TotalMilliseconds, 1),
            Phases = observation.Phases,
            Conditions = conditions,
            Error = observation.Error is { } e ? new ResultError(e.Kind.Wire(), e.Message) : null,
            Evidence = classification?.Evidence ?? [],
            Remedy = classification?.Remedy,

            // The outside view rests on what the service sees inside: a failing component is deeper than
            // anything that reached it through this target, so the root-cause rule picks the component.
            DependsOn = [.. target.DependsOn, .. children.Select(c => c.Name)],
            Service = target.Service,
            Observation = observation,
        };

        return [result, .. children];
    }

    /// <summary>One component of a service's inside view as a result of its own, named <c>&lt;target&gt;/&lt;component&gt;</c>.</summary>
    private static TargetResult InsideResult(TargetSpec parent, ComponentObservation component)
    {
        var status = Classifier.ComponentStatus(component.Status);
        var classification = status == ResultStatus.Pass ? null : Classifier.ClassifyComponent(parent, component);
        var message = component.Message ?? $"{component.Name} is {component.Status} as seen from inside {component.Service ?? parent.Name}";
        return new TargetResult
        {
            Name = $"{parent.Name}/{component.Name}",
            Kind = parent.Kind,
            Target = $"{component.Service ?? parent.Name} (inside): {component.Name}",
            Category = parent.Category,
            Critical = parent.Critical && component.Critical,
            Status = status,
            Layer = classification?.Layer,
            Side = classification?.Side,
            DurationMs = Math.Round(component.LatencyMs ?? 0, 1),
            // error.kind is a closed list: a component whose reported kind is not on it keeps the kind in its evidence only.
            Error = status == ResultStatus.Fail && component.ErrorKind is { } wire && ErrorKinds.TryParseWire(wire, out var kind)
                ? new ResultError(kind.Wire(), message)
                : null,
            Evidence = classification?.Evidence ?? [],
            Remedy = classification?.Remedy,
            Observation = new Observation
            {
                Target = component.Name,
                Connected = true,
                Elapsed = TimeSpan.FromMilliseconds(component.LatencyMs ?? 0),
                Components = [component],
            },
            Vantage = Vantage.Inside,
        };
    }

    private async Task<Observation> ObserveAsync(FaultlineConfig config, TargetSpec target, TimeSpan timeout, CheckOptions options, SecretRedactor redactor, CancellationToken callerToken)
    {
        var started = _time.GetTimestamp();
        if (_catalog.Find(target.Kind) is not { } probe)
        {
            return Failed(target, started, new ProbeError(ErrorKind.ConfigInvalid, $"no probe for kind '{target.Kind}'"));
        }

        using var deadline = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, callerToken);
        var context = new ProbeContext
        {
            Time = _time,
            Timeout = timeout,
            Resolver = _resolverFactory(target.Resolver ?? config.Resolver),
            BaseDirectory = config.BaseDirectory,
            GetEnvironmentVariable = options.GetEnvironmentVariable,
            Redactor = redactor,
            CallerToken = callerToken,
            LoggerFactory = _loggerFactory,
            StartedTimestamp = started,
        };

        // Run the probe off the caller's thread so a probe that blocks synchronously cannot hold the others.
        // Counted in flight until its task really ends, also after the runner stopped waiting for it.
        Interlocked.Increment(ref _inFlight);
        var probing = Task.Run(() => probe.ProbeAsync(target, context, linked.Token), CancellationToken.None);
        _ = probing.ContinueWith(_ => Interlocked.Decrement(ref _inFlight), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var grace = Grace(timeout);
        using var hardStop = CancellationTokenSource.CreateLinkedTokenSource(callerToken);
        var backstop = Task.Delay(timeout + grace, _time, hardStop.Token);
        var first = await Task.WhenAny(probing, backstop).ConfigureAwait(false);
        if (first != probing && deadline.IsCancellationRequested && !callerToken.IsCancellationRequested)
        {
            // The deadline has fired and the probe is reporting it, but a loaded machine scheduled it late:
            // one more grace before it counts as a probe that ignored its deadline.
            first = await Task.WhenAny(probing, Task.Delay(grace, _time, hardStop.Token)).ConfigureAwait(false);
        }

        // Stops the backstop's timer. Synchronously: the only callback is the delay's own, and CancelAsync would
        // queue it to the thread pool and resume there, a hand-off between threads on every probe.
        hardStop.Cancel();

        if (first != probing)
        {
            // The probe ignored its deadline; stop waiting and observe it in the background so its fault is not lost.
            _ = probing.ContinueWith(t => LogProbeAbandoned(_logger, target.Name, t.Exception?.GetBaseException().GetType().Name ?? "none"), TaskScheduler.Default);
            var kind = callerToken.IsCancellationRequested ? ErrorKind.Cancelled : ErrorKind.Timeout;
            var message = kind == ErrorKind.Cancelled
                ? "cancelled before the probe finished"
                : $"no result within the target's deadline of {Durations.Describe(timeout)}";
            return Failed(target, started, new ProbeError(kind, message));
        }

        Observation observed;
        try
        {
            observed = await probing.ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (callerToken.IsCancellationRequested)
        {
            return Failed(target, started, new ProbeError(ErrorKind.Cancelled, "cancelled before the probe finished") { Exception = ex });
        }
        catch (OperationCanceledException ex)
        {
            return Failed(target, started, new ProbeError(ErrorKind.Timeout, $"no result within the target's deadline of {Durations.Describe(timeout)}") { Exception = ex });
        }
        catch (ProbeException ex)
        {
            return Failed(target, started, ex.Error);
        }
#pragma warning disable CA1031 // The boundary of a probe: a crash becomes a typed internal error with the exception kept, not a lost run.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            // The exception's text may quote what a server sent: redacted and escaped like any report line.
            LogProbeCrashed(_logger, target.Name, SafeText.Escape(redactor.Redact(ex.ToString())));
            return Failed(target, started, new ProbeError(ErrorKind.Internal, $"the {target.Kind} probe failed unexpectedly ({ex.GetType().Name})") { Exception = ex });
        }

        // What the probe reported raw (a startup check's instances, a service's own status) becomes verdicts here.
        return Classifier.Interpret(target, observed);
    }

    /// <summary>A concurrency target: the <c>of</c> target's probe, <c>parallel</c> times at once, each attempt judged as that target.</summary>
    private async Task<Observation> ObserveConcurrencyAsync(FaultlineConfig config, TargetSpec target, CheckOptions options, SecretRedactor redactor, CancellationToken callerToken)
    {
        var started = _time.GetTimestamp();
        var of = config.Targets.FirstOrDefault(t => string.Equals(t.Name, target.Of, StringComparison.Ordinal));
        if (of is null)
        {
            return Failed(target, started, new ProbeError(ErrorKind.ConfigInvalid, $"of: '{target.Of}' names no target of this config"));
        }

        if (LoadChecks.IsLoadKind(of.Kind))
        {
            return Failed(target, started, new ProbeError(ErrorKind.ConfigInvalid, $"of: '{of.Name}' is a {of.Kind} target; a concurrency target runs a probe target (http, postgres, ...)"));
        }

        var timeout = _catalog.TimeoutOf(of, config.Defaults);
        LogLoadStarted(_logger, target.Name, target.Parallel, of.Name);
        var run = new ConcurrencyRun(_time);
        return await run.RunAsync(
            target,
            of,
            _catalog.AttemptNoun(of.Kind),
            async token =>
            {
                var observation = await ObserveAsync(config, of, timeout, options, redactor, token).ConfigureAwait(false);
                return new ConcurrencyAttempt(observation, EvaluateConditions(of, observation));
            },
            callerToken).ConfigureAwait(false);
    }

    private Observation Failed(TargetSpec target, long started, ProbeError error) => new()
    {
        Target = target.Url ?? (target.Host is { } host ? (target.Port is { } port ? $"{host}:{port}" : host) : $"{target.Kind} target {target.Name}"),
        Elapsed = _time.GetElapsedTime(started),
        Error = error,
    };

    private List<ConditionResult> EvaluateConditions(TargetSpec target, Observation observation)
    {
        var results = new List<ConditionResult>();
        var now = _time.GetUtcNow();
        foreach (var text in _catalog.EffectiveConditions(target))
        {
            // The loader has validated every condition; one built in code that does not parse still fails visibly.
            Condition condition;
            try
            {
                condition = ConditionParser.Parse(text);
            }
            catch (ConditionSyntaxException ex)
            {
                results.Add(new ConditionResult(text, false, $"(invalid condition: {ex.Message})"));
                continue;
            }

            results.Add(ConditionEvaluator.Evaluate(condition, observation, now));
        }

        return results;
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "target {Target} finished: {Status} in {ElapsedMs} ms")]
    private static partial void LogTargetDone(ILogger logger, string target, string status, double elapsedMs);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "probe for target {Target} ignored its deadline; its late outcome: {Outcome}")]
    private static partial void LogProbeAbandoned(ILogger logger, string target, string outcome);

    [LoggerMessage(EventId = 103, Level = LogLevel.Debug, Message = "load target {Target}: {Parallel} probes of {Of} at once")]
    private static partial void LogLoadStarted(ILogger logger, string target, int parallel, string of);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "target {Target} not started: the check's deadline passed while it waited for a probe slot")]
    private static partial void LogNotStarted(ILogger logger, string target);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "probe for target {Target} crashed: {Exception}")]
    private static partial void LogProbeCrashed(ILogger logger, string target, string exception);
}
