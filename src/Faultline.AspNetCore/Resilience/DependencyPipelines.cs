using Faultline.AspNetCore.Options;
using Faultline.AspNetCore.Startup;
using Faultline.Core.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Telemetry;
using Polly.Timeout;

namespace Faultline.AspNetCore.Resilience;

/// <summary>
/// Builds the request-path pipelines of a dependency, outermost first: the translation of Polly's
/// rejections into <see cref="DependencyUnavailableException"/>; retries (idempotent pipeline only);
/// the dependency's circuit breaker from <see cref="BreakerRegistry"/> — the same instance the startup
/// phase and the background check go through, so <c>/health/infrastructure</c> shows the state the
/// request path sees; the request timeout.
/// </summary>
internal sealed class DependencyPipelines(
    FaultlineBuilder builder,
    BreakerRegistry breakers,
    IOptions<FaultlineOptions> options,
    IHostEnvironment environment,
    TimeProvider time,
    IOptions<TelemetryOptions> telemetry)
{
    /// <summary>Registers both pipelines of <paramref name="dependency"/> in Polly's registry (built on first use).</summary>
    public static void Register(IServiceCollection services, string dependency)
    {
        services.AddResiliencePipeline(dependency, static (pipeline, context) =>
            context.ServiceProvider.GetRequiredService<DependencyPipelines>().Configure(pipeline, context.PipelineKey, idempotent: false));
        services.AddResiliencePipeline(FaultlinePipelines.Idempotent(dependency), static (pipeline, context) =>
            context.ServiceProvider.GetRequiredService<DependencyPipelines>().Configure(
                pipeline, context.PipelineKey[..^FaultlinePipelines.IdempotentSuffix.Length], idempotent: true));
    }

    /// <summary>The request timeout of <paramref name="dependency"/>: configured, else by profile and layer.</summary>
    public TimeSpan Timeout(string dependency)
    {
        var value = options.Value;
        if (value.Requests.TryGetValue(dependency, out var configured) && configured.Timeout is { } timeout)
        {
            return timeout;
        }

        var target = builder.Dependencies.FirstOrDefault(d => string.Equals(d.Name, dependency, StringComparison.OrdinalIgnoreCase));
        var layer = target is null ? Layer.Application : LayerOf(target);
        return ProfileDefaults.RequestTimeout(FaultlineOptionsReader.ProfileOf(value, environment), layer);
    }

    /// <summary>Retries of the idempotent pipeline: configured, else by profile.</summary>
    public int Retries(string dependency)
    {
        var value = options.Value;
        return value.Requests.TryGetValue(dependency, out var configured) && configured.Retries is { } retries
            ? retries
            : ProfileDefaults.RequestRetries(FaultlineOptionsReader.ProfileOf(value, environment));
    }

    public void Configure(ResiliencePipelineBuilder pipeline, string dependency, bool idempotent)
    {
        var timeout = Timeout(dependency);
        var breaker = breakers.Get(dependency);
        pipeline.TimeProvider = time;

        if (options.Value.PollyTelemetry)
        {
            // Polly's metrics and listeners as the app configured them, but no Polly log lines: they would write
            // one line (with the exception's stack) per call and per rejection, and results are the app's data (a
            // user record, a password hash) that logs must not carry.
            pipeline.ConfigureTelemetry(new TelemetryOptions(telemetry.Value)
            {
                LoggerFactory = NullLoggerFactory.Instance,
                ResultFormatter = static (_, result) => result is null ? null : "(withheld)",
            });
        }
        else
        {
            // No Polly telemetry by default: it costs about half a microsecond and a boxed result per call (bench/
            // RESULTS-aspnetcore.md), and what it would tell — the breaker's state and transitions, timeouts —
            // Faultline reports itself (/health/infrastructure, log events 3040–3042).
            pipeline.TelemetryListener = null;
        }

        pipeline.AddStrategy(_ => new UnavailableStrategy(dependency, timeout), new UnavailableStrategyOptions());
        var retries = idempotent ? Retries(dependency) : 0;
        if (retries > 0)
        {
            pipeline.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = retries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = ProfileDefaults.RequestRetryDelay,
                MaxDelay = TimeSpan.FromSeconds(1),

                // An open circuit is not retried (that is what makes a call fail fast); a failure the breaker would not count is not the dependency's.
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is { } ex and not BrokenCircuitException && breakers.IsFailure(dependency, ex, args.Context)),
            });
        }

        pipeline.AddPipeline(breaker.Pipeline);
        pipeline.AddTimeout(timeout);
    }

    /// <summary>The layer a dependency's request timeout is chosen by: its category when it names one, else its kind.</summary>
    internal static Layer LayerOf(Core.Config.TargetSpec target) =>
        target.Category?.ToUpperInvariant() switch
        {
            "CACHE" => Layer.Cache,
            "DATABASE" => Layer.Database,
            _ => Health.DependencyEvaluator.LayerOf(target.Kind),
        };
}

/// <summary>Turns the breaker's and the timeout's rejections into <see cref="DependencyUnavailableException"/>; passes everything else through.</summary>
internal sealed class UnavailableStrategy(string dependency, TimeSpan timeout) : ResilienceStrategy
{
    protected override ValueTask<Outcome<TResult>> ExecuteCore<TResult, TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback,
        ResilienceContext context,
        TState state)
    {
        var pending = callback(context, state);
        if (!pending.IsCompletedSuccessfully)
        {
            return AwaitAsync(pending);
        }

        var outcome = pending.Result;
        return outcome.Exception is null ? pending : new ValueTask<Outcome<TResult>>(Translate(outcome));
    }

    private async ValueTask<Outcome<TResult>> AwaitAsync<TResult>(ValueTask<Outcome<TResult>> pending) =>
        Translate(await pending.ConfigureAwait(false));

    private Outcome<TResult> Translate<TResult>(Outcome<TResult> outcome) => outcome.Exception switch
    {
        BrokenCircuitException open => Outcome.FromException<TResult>(
            new DependencyUnavailableException(dependency, DependencyUnavailableReason.CircuitOpen, open.RetryAfter, null, open)),
        TimeoutRejectedException timedOut => Outcome.FromException<TResult>(
            new DependencyUnavailableException(dependency, DependencyUnavailableReason.TimedOut, null, timeout, timedOut)),
        _ => outcome,
    };
}

internal sealed class UnavailableStrategyOptions : ResilienceStrategyOptions
{
    public UnavailableStrategyOptions() => Name = "faultline-unavailable";
}
