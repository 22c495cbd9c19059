using System.Collections.Concurrent;
using Faultline.AspNetCore.Options;
using Faultline.Core.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Faultline.AspNetCore.Resilience;

/// <summary>
/// The one registry of circuit breakers, one per dependency name. Startup phases (through
/// <c>PhaseBuilder.Breaker</c>) and the background dependency checks take their breaker from here, and
/// <c>/health/infrastructure</c> reads the states from here: one instance per name, never a second registry.
/// </summary>
internal sealed partial class BreakerRegistry(
    IOptions<FaultlineOptions> options,
    IHostEnvironment environment,
    TimeProvider time,
    ILogger<BreakerRegistry> logger,
    FaultlineBuilder? builder = null)
{
    /// <summary>
    /// Set on the executions of startup attempts and background checks: every failure of theirs counts
    /// (they already decided it is the dependency's). Request-path calls (without it) count only what the
    /// dependency's classifier (<c>FaultlineBuilder.ClassifyFailures</c>) calls a failure of the dependency.
    /// </summary>
    internal static readonly ResiliencePropertyKey<bool> CountsEveryFailure = new("faultline.counts-every-failure");

    private readonly ConcurrentDictionary<string, Lazy<Breaker>> _breakers = new(StringComparer.OrdinalIgnoreCase);

    public Breaker Get(string name) => _breakers.GetOrAdd(name, n => new Lazy<Breaker>(() => Create(n))).Value;

    /// <summary>Breakers created so far (a breaker exists once something used it), by name.</summary>
    public IReadOnlyDictionary<string, Breaker> All =>
        _breakers.Where(kv => kv.Value.IsValueCreated).ToDictionary(kv => kv.Key, kv => kv.Value.Value, StringComparer.OrdinalIgnoreCase);

    public Breaker? Find(string name) => _breakers.TryGetValue(name, out var lazy) && lazy.IsValueCreated ? lazy.Value : null;

    private Breaker Create(string name)
    {
        var value = options.Value;
        var profile = FaultlineOptionsReader.ProfileOf(value, environment);
        value.Breakers.TryGetValue(name, out var configured);
        var threshold = configured?.FailureThreshold ?? Startup.ProfileDefaults.BreakerFailureThreshold;
        var state = new CircuitBreakerStateProvider();
        var breaker = new Breaker(name, state);
        var pipeline = new ResiliencePipelineBuilder { TimeProvider = time, Name = $"faultline-breaker-{name}" }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = 1.0,
                MinimumThroughput = threshold,
                SamplingDuration = configured?.SamplingDuration ?? Startup.ProfileDefaults.SamplingDuration(profile, value.Health.Interval, threshold),
                BreakDuration = configured?.BreakDuration ?? Startup.ProfileDefaults.BreakDuration(profile),
                StateProvider = state,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } ex && IsFailure(name, ex, args.Context)),
                OnOpened = args =>
                {
                    LogOpened(logger, name, args.BreakDuration.TotalSeconds);
                    return ValueTask.CompletedTask;
                },
                OnHalfOpened = _ =>
                {
                    LogHalfOpened(logger, name);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    LogClosed(logger, name);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
        breaker.Pipeline = pipeline;
        return breaker;
    }

    /// <summary>
    /// Whether <paramref name="exception"/> counts against <paramref name="name"/>'s breaker: a shutdown or a
    /// caller's cancellation never does; a request-path timeout always does; a startup attempt's or a
    /// background check's failure always does; anything else as the dependency's classifier says (every
    /// exception when it has none).
    /// </summary>
    public bool IsFailure(string name, Exception exception, ResilienceContext context)
    {
        if (exception is OperationCanceledException && context.CancellationToken.IsCancellationRequested)
        {
            return false;
        }

        if (exception is TimeoutRejectedException || context.Properties.GetValue(CountsEveryFailure, false))
        {
            return true;
        }

        return builder?.FailureClassifier(name) is not { } classify || classify(exception);
    }

    [LoggerMessage(EventId = 3040, Level = LogLevel.Warning, Message = "circuit breaker {Breaker} opened for {Seconds} s")]
    private static partial void LogOpened(ILogger logger, string breaker, double seconds);

    [LoggerMessage(EventId = 3041, Level = LogLevel.Information, Message = "circuit breaker {Breaker} is half-open: the next call is a trial")]
    private static partial void LogHalfOpened(ILogger logger, string breaker);

    [LoggerMessage(EventId = 3042, Level = LogLevel.Information, Message = "circuit breaker {Breaker} closed")]
    private static partial void LogClosed(ILogger logger, string breaker);
}

/// <summary>One dependency's circuit breaker: the pipeline that guards calls, its state, and the last failure it counted.</summary>
internal sealed class Breaker(string name, CircuitBreakerStateProvider state)
{
    private ProbeError? _lastError;

    public string Name { get; } = name;

    public ResiliencePipeline Pipeline { get; set; } = ResiliencePipeline.Empty;

    /// <summary>Runs a startup attempt or a background check through the breaker: every failure of <paramref name="callback"/> counts.</summary>
    public async ValueTask ExecuteAsync(Func<CancellationToken, ValueTask> callback, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(BreakerRegistry.CountsEveryFailure, true);
        try
        {
            await Pipeline.ExecuteAsync(static (context, callback) => callback(context.CancellationToken), context, callback).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>closed, open or half-open (an isolated circuit reads open).</summary>
    public string State => state.CircuitState switch
    {
        CircuitState.Closed => "closed",
        CircuitState.HalfOpen => "half-open",
        _ => "open",
    };

    public bool IsOpen => state.CircuitState is CircuitState.Open or CircuitState.Isolated;

    /// <summary>The typed error of the last failure that went through this breaker, to explain a rejection while it is open.</summary>
    public ProbeError? LastError
    {
        get => Volatile.Read(ref _lastError);
        set => Volatile.Write(ref _lastError, value);
    }
}
