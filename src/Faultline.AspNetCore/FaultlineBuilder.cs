using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Microsoft.Extensions.DependencyInjection;

namespace Faultline.AspNetCore;

/// <summary>Returned by <c>AddFaultline</c>: declares the startup plan and the dependencies checked in the background.</summary>
public sealed class FaultlineBuilder
{
    private readonly List<PhaseDefinition> _phases = [];
    private readonly List<TargetSpec> _dependencies = [];
    private readonly List<IProbe> _probes = [];
    private readonly Dictionary<string, Func<Exception, bool>> _classifiers = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _pools = new(StringComparer.OrdinalIgnoreCase);

    internal FaultlineBuilder(IServiceCollection services) => Services = services;

    public IServiceCollection Services { get; }

    internal IReadOnlyList<PhaseDefinition> Phases => _phases;

    internal IReadOnlyList<TargetSpec> Dependencies => _dependencies;

    internal IReadOnlyList<IProbe> Probes => _probes;

    /// <summary>The dependencies whose pool or client a driver package builds (<c>AddPostgres</c>, <c>AddRedis</c>): name → kind. What <c>Faultline:Pools:&lt;name&gt;</c> may name.</summary>
    internal IReadOnlyDictionary<string, string> Pools => _pools;

    /// <summary>
    /// Adds a startup phase. <paramref name="run"/> is called once per attempt with a token that fires at
    /// the attempt's timeout; throwing fails the attempt (a <see cref="ProbeException"/> carries a typed
    /// error; other exceptions are classified by the phase's layer and the exception type).
    /// </summary>
    public FaultlineBuilder AddPhase(string name, Func<PhaseContext, CancellationToken, Task> run, Action<PhaseBuilder>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(run);
        var phase = new PhaseBuilder(name);
        configure?.Invoke(phase);
        _phases.Add(phase.Build(run));
        return this;
    }

    /// <summary>
    /// Adds a dependency checked in the background with a Faultline probe (kinds: http, tls, dns, tcp, secret, or a
    /// kind added with <see cref="AddProbe"/>); it appears as a component of <c>/health/infrastructure</c> under its
    /// name. For postgres and redis use <c>AddPostgres</c> (package Faultline.AspNetCore.Postgres) and <c>AddRedis</c>
    /// (package Faultline.AspNetCore.Redis): without them a postgres or redis dependency fails the start (exit code 3).
    /// It also gets two request-path resilience pipelines in Polly's registry
    /// (<c>ResiliencePipelineProvider&lt;string&gt;</c>): <c>GetPipeline(name)</c> (timeout + the dependency's
    /// circuit breaker, the same instance that guards its startup phase and background check) and
    /// <c>GetPipeline(FaultlinePipelines.Idempotent(name))</c> (the same with retries, for calls that are safe to repeat).
    /// </summary>
    public FaultlineBuilder AddDependency(TargetSpec target)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentException.ThrowIfNullOrWhiteSpace(target.Name);
        _dependencies.Add(target);
        Resilience.DependencyPipelines.Register(Services, target.Name);
        return this;
    }

    /// <summary>
    /// Says which exceptions of request-path calls to <paramref name="dependency"/> are failures of the
    /// dependency (counted by its circuit breaker, retried by its idempotent pipeline) — e.g. a lost
    /// connection is, a unique-key violation is not. Without a classifier every exception counts.
    /// Request timeouts always count; a caller's cancellation never does.
    /// </summary>
    public FaultlineBuilder ClassifyFailures(string dependency, Func<Exception, bool> isDependencyFailure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dependency);
        ArgumentNullException.ThrowIfNull(isDependencyFailure);
        _classifiers[dependency] = isDependencyFailure;
        return this;
    }

    internal Func<Exception, bool>? FailureClassifier(string dependency) =>
        _classifiers.TryGetValue(dependency, out var classify) ? classify : null;

    /// <summary>Adds a probe for a custom target kind (a later probe of the same kind replaces an earlier one).</summary>
    public FaultlineBuilder AddProbe(IProbe probe)
    {
        ArgumentNullException.ThrowIfNull(probe);
        _probes.Add(probe);
        return this;
    }

    /// <summary>Records that a driver package builds the pool or client of dependency <paramref name="name"/> (of <paramref name="kind"/>).</summary>
    internal void AddPool(string name, string kind) => _pools[name] = kind;

    /// <summary>
    /// What a driver package (Faultline.AspNetCore.Postgres, .Redis) adds for one dependency: its probe (once per
    /// kind), the dependency with its pipelines, its pool entry, and the classifier of its request-path failures.
    /// </summary>
    internal FaultlineBuilder AddDriverDependency(TargetSpec target, Func<IProbe> probe, Func<Exception, bool> isDependencyFailure)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (!_probes.Any(p => p.Kind == target.Kind))
        {
            AddProbe(probe());
        }

        AddDependency(target);
        AddPool(target.Name, target.Kind);

        // What the breaker counts and the idempotent pipeline retries: the server or the path failing, not the app's own mistakes.
        return ClassifyFailures(target.Name, isDependencyFailure);
    }
}

/// <summary>How one phase behaves; unset values come from configuration, then the profile defaults.</summary>
public sealed class PhaseBuilder
{
    private readonly List<string> _dependsOn = [];

    internal PhaseBuilder(string name) => Name = name;

    public string Name { get; }

    private bool _critical = true;
    private Core.Model.Layer _layer = Core.Model.Layer.Application;
    private string? _breaker;
    private PhaseTiming _timing = PhaseTiming.Init;

    /// <summary>Phases that must complete before this one starts.</summary>
    public PhaseBuilder DependsOn(params string[] phases)
    {
        _dependsOn.AddRange(phases);
        return this;
    }

    /// <summary>A failing critical phase stops the service (exit code 3). Phases are critical by default.</summary>
    public PhaseBuilder Critical(bool critical = true)
    {
        _critical = critical;
        return this;
    }

    /// <summary>A failing optional phase leaves the service running, degraded.</summary>
    public PhaseBuilder Optional() => Critical(false);

    /// <summary>The layer a failure of this phase is attributed to when the error itself does not say.</summary>
    public PhaseBuilder Layer(Core.Model.Layer layer)
    {
        _layer = layer;
        return this;
    }

    /// <summary>The dependency whose circuit breaker guards this phase's attempts (defaults to the phase name).</summary>
    public PhaseBuilder Breaker(string dependency)
    {
        _breaker = dependency;
        return this;
    }

    /// <summary>Which row of the profile's timeout table applies (documented per profile in the README).</summary>
    public PhaseBuilder Timing(PhaseTiming timing)
    {
        _timing = timing;
        return this;
    }

    /// <summary>Timeout of one attempt, instead of the profile's; configuration still overrides it.</summary>
    public PhaseBuilder AttemptTimeout(TimeSpan timeout)
    {
        _attemptTimeout = timeout;
        return this;
    }

    /// <summary>Attempts in all (1 = no retry), instead of the profile's; configuration still overrides it.</summary>
    public PhaseBuilder Attempts(int attempts)
    {
        _attempts = attempts;
        return this;
    }

    /// <summary>Time for the whole phase (attempts and backoff), instead of the profile's; configuration still overrides it.</summary>
    public PhaseBuilder Budget(TimeSpan budget)
    {
        _budget = budget;
        return this;
    }

    /// <summary>Backoff between attempts (first delay, largest delay), instead of the profile's; configuration still overrides it.</summary>
    public PhaseBuilder Backoff(TimeSpan baseDelay, TimeSpan maxDelay)
    {
        _baseDelay = baseDelay;
        _maxDelay = maxDelay;
        return this;
    }

    /// <summary>
    /// Share of the budget (greater than 0, at most 1) after which the phase is marked slow and a warning is
    /// logged, instead of <c>Faultline:Startup:SlowShare</c>; configuration still overrides it.
    /// </summary>
    public PhaseBuilder SlowShare(double share)
    {
        _slowShare = share;
        return this;
    }

    private TimeSpan? _attemptTimeout;
    private int? _attempts;
    private TimeSpan? _budget;
    private TimeSpan? _baseDelay;
    private TimeSpan? _maxDelay;
    private double? _slowShare;

    internal PhaseDefinition Build(Func<PhaseContext, CancellationToken, Task> run) =>
        new(Name, run, [.. _dependsOn], _critical, _layer, _breaker ?? Name, _timing)
        {
            AttemptTimeout = _attemptTimeout,
            Attempts = _attempts,
            Budget = _budget,
            BaseDelay = _baseDelay,
            MaxDelay = _maxDelay,
            SlowShare = _slowShare,
        };
}

/// <summary>The kinds of work a phase does, each with its own per-profile timeout.</summary>
public enum PhaseTiming
{
    /// <summary>Reading options and secrets, wiring services.</summary>
    Init,

    /// <summary>Connecting to a dependency (database, cache) with retries.</summary>
    Connection,

    /// <summary>Creating or checking a schema.</summary>
    Schema,

    /// <summary>Startup health checks.</summary>
    HealthCheck,
}

internal sealed record PhaseDefinition(
    string Name,
    Func<PhaseContext, CancellationToken, Task> Run,
    IReadOnlyList<string> DependsOn,
    bool Critical,
    Layer Layer,
    string Breaker,
    PhaseTiming Timing)
{
    public TimeSpan? AttemptTimeout { get; init; }

    public int? Attempts { get; init; }

    public TimeSpan? Budget { get; init; }

    public TimeSpan? BaseDelay { get; init; }

    public TimeSpan? MaxDelay { get; init; }

    public double? SlowShare { get; init; }
}
