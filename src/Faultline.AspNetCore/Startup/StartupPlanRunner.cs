using Faultline.AspNetCore.Options;
using Faultline.Core.Classification;
using Faultline.Core.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Faultline.AspNetCore.Startup;

/// <summary>
/// Runs the startup plan in the background, so the host (and Kestrel) start at once and the health
/// endpoints answer while phases run. Phases start as soon as the phases they depend on are done
/// (independent ones concurrently). A critical failure cancels what still runs, is reported (stderr,
/// timeline, termination file) and stops the host, and <c>RunFaultlineAsync</c> returns 3.
/// </summary>
internal sealed partial class StartupPlanRunner(
    FaultlineBuilder builder,
    IOptions<FaultlineOptions> options,
    IHostEnvironment environment,
    StartupState state,
    PhaseExecutor executor,
    FailureReporter reporter,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<StartupPlanRunner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            await RunPlanAsync(stoppingToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The plan's own boundary: a fault in Faultline must still end in exit code 3 with a report, not a silent stop with 0.
        catch (Exception ex) when (!state.Done.IsCompleted)
#pragma warning restore CA1031
        {
            LogPlanCrashed(logger, ex);
            Fail(new StartupFailure("plan", Layer.Unknown, Side.Application, ErrorKind.Internal, $"the startup plan failed unexpectedly ({ex.GetType().Name})", 0, 0), options.Value);
        }
    }

    private async Task RunPlanAsync(CancellationToken stoppingToken)
    {
        var value = options.Value;
        var profile = FaultlineOptionsReader.ProfileOf(value, environment);
        var startedAt = time.GetUtcNow();
        var started = time.GetTimestamp();
        StartupPlan plan;
        try
        {
            plan = StartupPlan.Create(builder.Phases, value, profile);
        }
        catch (InvalidOperationException ex)
        {
            // Validation at start reports these first; this only guards a plan changed after validation.
            Fail(new StartupFailure("plan", Layer.Configuration, Classifier.SideOf(Layer.Configuration, ErrorKind.ConfigInvalid), ErrorKind.ConfigInvalid, ex.Message, 0, 0), value);
            return;
        }

        state.Begin(profile, startedAt, plan.Phases.Select(p => new PhaseEntry
        {
            Name = p.Name,
            DependsOn = p.Definition.DependsOn,
            Critical = p.Critical,
            Status = PhaseStatus.Pending,
        }));
        LogPlanStarted(logger, plan.Phases.Count, profile.ToString());

        using var abort = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        StartupFailure? fatal = null;
        var gate = new Lock();
        var tasks = new Dictionary<string, Task<PhaseOutcome>>(StringComparer.OrdinalIgnoreCase);
        foreach (var phase in plan.Phases)
        {
            var dependencies = phase.Definition.DependsOn.Select(d => tasks[d]).ToArray();
            tasks[phase.Name] = RunWhenReadyAsync(phase, dependencies);
        }

        async Task<PhaseOutcome> RunWhenReadyAsync(ResolvedPhase phase, Task<PhaseOutcome>[] dependencies)
        {
            var before = await Task.WhenAll(dependencies).ConfigureAwait(false);
            if (abort.IsCancellationRequested || before.Any(o => o.Status is PhaseStatus.Skipped or PhaseStatus.Cancelled))
            {
                var skipped = new PhaseOutcome(PhaseStatus.Skipped, 0, TimeSpan.Zero, null);
                state.UpdatePhase(phase.Name, p => p with { Status = PhaseStatus.Skipped });
                return skipped;
            }

            var outcome = await executor.RunAsync(phase, abort.Token).ConfigureAwait(false);
            if (outcome.Status == PhaseStatus.Failed && phase.Critical && outcome.Failure is { } failure)
            {
                lock (gate)
                {
                    fatal ??= new StartupFailure(phase.Name, failure.Layer, failure.Side, failure.Kind, failure.Message, outcome.Attempts, outcome.Elapsed.TotalMilliseconds);
                }

                await abort.CancelAsync().ConfigureAwait(false);
                return outcome;
            }

            return outcome;
        }

        await Task.WhenAll(tasks.Values).ConfigureAwait(false);
        if (fatal is { } failure)
        {
            Fail(failure, value);
            return;
        }

        if (stoppingToken.IsCancellationRequested)
        {
            LogPlanInterrupted(logger);
            state.Finish(StartupStatus.Failed, time.GetUtcNow(), null);
            return;
        }

        var degraded = tasks.Values.Any(t => t.Result.Status == PhaseStatus.Failed);
        state.Finish(degraded ? StartupStatus.Degraded : StartupStatus.Completed, time.GetUtcNow(), null);
        LogPlanCompleted(logger, degraded ? "degraded" : "completed", time.GetElapsedTime(started).TotalMilliseconds);
    }

    private void Fail(StartupFailure failure, FaultlineOptions value)
    {
        reporter.Report(failure, value.TerminationMessagePath);
        state.Finish(StartupStatus.Failed, time.GetUtcNow(), failure);
        lifetime.StopApplication();
    }

    [LoggerMessage(EventId = 3020, Level = LogLevel.Information, Message = "startup plan of {Count} phase(s) started (profile {Profile})")]
    private static partial void LogPlanStarted(ILogger logger, int count, string profile);

    [LoggerMessage(EventId = 3021, Level = LogLevel.Information, Message = "startup plan {Outcome} in {ElapsedMs} ms")]
    private static partial void LogPlanCompleted(ILogger logger, string outcome, double elapsedMs);

    [LoggerMessage(EventId = 3023, Level = LogLevel.Critical, Message = "the startup plan failed unexpectedly")]
    private static partial void LogPlanCrashed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3022, Level = LogLevel.Warning, Message = "startup plan interrupted: the host is stopping")]
    private static partial void LogPlanInterrupted(ILogger logger);
}
