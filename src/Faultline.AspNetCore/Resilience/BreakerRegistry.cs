using System.Collections.Concurrent;
using Faultline.AspNetCore.Options;
using Faultline.Core.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;

namespace Faultline.AspNetCore.Resilience;

/// <summary>
/// The one registry of circuit breakers, one per dependency name. Startup phases (through
/// <c>PhaseBuilder.Breaker</c>) and the background dependency checks take their breaker from here, and
/// <c>/health/infrastructure</c> reads the states from here: one instance per name, never a second registry.
/// </summary>
internal sealed partial class BreakerRegistry(IOptions<FaultlineOptions> options, IHostEnvironment environment, TimeProvider time, ILogger<BreakerRegistry> logger)
{
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
        var state = new CircuitBreakerStateProvider();
        var breaker = new Breaker(name, state);
        var pipeline = new ResiliencePipelineBuilder { TimeProvider = time, Name = $"faultline-breaker-{name}" }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = 1.0,
                MinimumThroughput = configured?.FailureThreshold ?? Startup.ProfileDefaults.BreakerFailureThreshold,
                SamplingDuration = configured?.SamplingDuration ?? Startup.ProfileDefaults.SamplingDuration,
                BreakDuration = configured?.BreakDuration ?? Startup.ProfileDefaults.BreakDuration(profile),
                StateProvider = state,
                // A shutdown or a spent budget is not a failure of the dependency; everything else (timeouts included) is.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } ex && !(ex is OperationCanceledException && args.Context.CancellationToken.IsCancellationRequested)),
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
