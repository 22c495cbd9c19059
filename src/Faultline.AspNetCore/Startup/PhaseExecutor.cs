using Faultline.AspNetCore.Probing;
using Faultline.AspNetCore.Resilience;
using Faultline.Core.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Faultline.AspNetCore.Startup;

/// <summary>How one phase ended.</summary>
internal sealed record PhaseOutcome(PhaseStatus Status, int Attempts, TimeSpan Elapsed, PhaseFailure? Failure)
{
    public bool Passed => Status == PhaseStatus.Succeeded;
}

/// <summary>
/// Runs one phase as a Polly pipeline: a whole-phase budget (timeout) around a retry with
/// exponential backoff and jitter, around the dependency's circuit breaker (from the one
/// <see cref="BreakerRegistry"/>), around a per-attempt timeout. Every timeout cancels the token the
/// phase got and awaits the attempt: a timed-out attempt never keeps running behind the next one.
/// A <see cref="SlowPhaseWatch"/> warns, while the phase runs, when it has used its slow share of the budget.
/// </summary>
internal sealed partial class PhaseExecutor(
    BreakerRegistry breakers,
    StartupState state,
    IServiceProvider services,
    TimeProvider time,
    SecretScrubber scrubber,
    ILoggerFactory loggerFactory)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("Faultline.Startup");
    private readonly IExceptionDescriber[] _describers = [.. services.GetServices<IExceptionDescriber>()];

    public async Task<PhaseOutcome> RunAsync(ResolvedPhase phase, CancellationToken stopping)
    {
        var name = phase.Name;
        var breaker = breakers.Get(phase.Definition.Breaker);
        var phaseLogger = loggerFactory.CreateLogger($"Faultline.Startup.{name}");
        var started = time.GetTimestamp();
        state.UpdatePhase(name, p => p with { Status = PhaseStatus.Running, StartedAt = time.GetUtcNow(), Budget = phase.Budget });
        LogPhaseStarted(_logger, name, phase.Attempts, phase.AttemptTimeout.TotalSeconds, phase.Budget.TotalSeconds);
        using var slowWatch = new SlowPhaseWatch(phase, started, state, time, _logger);

        var attempts = 0;
        ProbeError? lastError = null;
        RequirementFailure? lastRequirement = null;
        var budgetSpent = false;

        var outer = new ResiliencePipelineBuilder { TimeProvider = time, Name = $"faultline-phase-{name}" }
            .AddTimeout(new TimeoutStrategyOptions
            {
                Timeout = phase.Budget,
                OnTimeout = _ =>
                {
                    budgetSpent = true;
                    return ValueTask.CompletedTask;
                },
            });
        if (phase.Attempts > 1)
        {
            outer.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = phase.Attempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = phase.BaseDelay,
                MaxDelay = phase.MaxDelay,
                // Retry every failure (an HttpClient timeout included) unless the budget or a shutdown cancelled the attempt.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is not null && !args.Context.CancellationToken.IsCancellationRequested),
                // While the breaker is open, wait until it lets a trial through (the budget still bounds the wait).
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is BrokenCircuitException { RetryAfter: { } after } ? after : (TimeSpan?)null),
                OnRetry = args =>
                {
                    LogRetrying(_logger, name, args.AttemptNumber + 1, lastError?.Kind.Wire() ?? "unknown", args.RetryDelay.TotalMilliseconds);
                    return ValueTask.CompletedTask;
                },
            });
        }

        var pipeline = outer.Build();
        var attemptPipeline = new ResiliencePipelineBuilder { TimeProvider = time }.AddTimeout(phase.AttemptTimeout).Build();

        async ValueTask AttemptAsync(CancellationToken budgetToken)
        {
            var attempt = Interlocked.Increment(ref attempts);
            state.UpdatePhase(name, p => p with { Attempts = attempt });
            PhaseContext? context = null;
            try
            {
                await breaker.ExecuteAsync(
                    async breakerToken => await attemptPipeline.ExecuteAsync(
                        async attemptToken =>
                        {
                            context = new PhaseContext
                            {
                                Phase = name,
                                Attempt = attempt,
                                Services = services,
                                Time = time,
                                Logger = phaseLogger,
                                AttemptDeadline = time.GetTimestamp() + (long)(phase.AttemptTimeout.TotalSeconds * time.TimestampFrequency),
                            };
                            await phase.Definition.Run(context, attemptToken).ConfigureAwait(false);
                        },
                        breakerToken).ConfigureAwait(false),
                    budgetToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested)
            {
                var error = AttemptErrors.Describe(ex, phase, attempt, budgetCut: budgetToken.IsCancellationRequested, breaker.LastError, _describers);
                if (ex is not BrokenCircuitException)
                {
                    breaker.LastError = error;
                }

                lastError = error;
                lastRequirement = context?.LastFailure;
                LogAttemptFailed(_logger, name, attempt, error.Kind.Wire(), scrubber.Scrub(error.Message), ex.GetType().Name);
                if (_logger.IsEnabled(LogLevel.Debug))
                {
                    // The exception in full for whoever debugs the phase, with known secrets and credential shapes masked.
                    LogAttemptException(_logger, name, attempt, scrubber.Scrub(ex.ToString()));
                }
                throw;
            }
        }

        try
        {
            await pipeline.ExecuteAsync(AttemptAsync, stopping).ConfigureAwait(false);
        }
        catch (Exception) when (stopping.IsCancellationRequested)
        {
            var cancelled = new PhaseOutcome(PhaseStatus.Cancelled, attempts, time.GetElapsedTime(started), null);
            Record(name, cancelled, slowWatch);
            return cancelled;
        }
        catch (Exception ex)
        {
            var error = lastError ?? AttemptErrors.Describe(ex, phase, attempts, budgetCut: ex is TimeoutRejectedException, breaker.LastError, _describers);
            if (budgetSpent && !error.Message.Contains("budget", StringComparison.Ordinal))
            {
                error = error with { Message = $"{error.Message}; the phase's budget of {Durations.Describe(phase.Budget)} ran out before another attempt" };
            }

            var failure = AttemptErrors.Attribute(phase, error, lastRequirement, scrubber);
            var failed = new PhaseOutcome(PhaseStatus.Failed, attempts, time.GetElapsedTime(started), failure);
            Record(name, failed, slowWatch);
            LogPhaseFailed(_logger, name, phase.Critical, failure.Layer.Wire(), failure.Side.Wire(), failure.Kind?.Wire() ?? "condition-failed", attempts);
            return failed;
        }

        var passed = new PhaseOutcome(PhaseStatus.Succeeded, attempts, time.GetElapsedTime(started), null);
        Record(name, passed, slowWatch);
        LogPhaseSucceeded(_logger, name, attempts, passed.Elapsed.TotalMilliseconds);
        return passed;
    }

    private void Record(string name, PhaseOutcome outcome, SlowPhaseWatch slowWatch)
    {
        var (slow, budgetShare) = slowWatch.End(outcome.Elapsed);
        state.UpdatePhase(name, p => p with
        {
            Status = outcome.Status,
            EndedAt = time.GetUtcNow(),
            DurationMs = Math.Round(outcome.Elapsed.TotalMilliseconds, 1),
            Attempts = outcome.Attempts,
            Failure = outcome.Failure,
            Slow = slow,
            BudgetShare = budgetShare,
        });
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "phase {Phase} started: up to {Attempts} attempt(s) of {AttemptSeconds} s within {BudgetSeconds} s")]
    private static partial void LogPhaseStarted(ILogger logger, string phase, int attempts, double attemptSeconds, double budgetSeconds);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "phase {Phase} attempt {Attempt} failed: {ErrorKind}: {Reason} ({ExceptionType})")]
    private static partial void LogAttemptFailed(ILogger logger, string phase, int attempt, string errorKind, string reason, string exceptionType);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Debug, Message = "phase {Phase} attempt {Attempt} exception: {Exception}")]
    private static partial void LogAttemptException(ILogger logger, string phase, int attempt, string exception);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "phase {Phase} retrying: attempt {Attempt} after {ErrorKind}, waiting {DelayMs} ms")]
    private static partial void LogRetrying(ILogger logger, string phase, int attempt, string errorKind, double delayMs);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "phase {Phase} succeeded after {Attempts} attempt(s) in {ElapsedMs} ms")]
    private static partial void LogPhaseSucceeded(ILogger logger, string phase, int attempts, double elapsedMs);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Error, Message = "phase {Phase} (critical: {Critical}) failed: layer {Layer}, side {Side}, {ErrorKind} after {Attempts} attempt(s)")]
    private static partial void LogPhaseFailed(ILogger logger, string phase, bool critical, string layer, string side, string errorKind, int attempts);
}
