using Faultline.AspNetCore;
using Faultline.AspNetCore.Health;
using Faultline.AspNetCore.Options;
using Faultline.AspNetCore.Probing;
using Faultline.AspNetCore.Startup;
using Faultline.Core.Classification;
using Faultline.Core.Model;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the health endpoints and runs the application with Faultline's exit codes.</summary>
public static class FaultlineApplicationExtensions
{
    /// <summary>
    /// Maps <c>/health/live</c>, <c>/health/ready</c>, <c>/health/startup</c> and <c>/health/infrastructure</c>
    /// (paths from <c>Faultline:Health</c>). The returned builder applies conventions (authorization,
    /// rate limiting, host filters) to all four.
    /// </summary>
    public static IEndpointConventionBuilder MapFaultlineHealth(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        // Read without validation: a bad configuration must reach RunFaultlineAsync (exit 3), not throw here.
        var health = FaultlineOptionsReader.ReadUnvalidated(endpoints.ServiceProvider).Health;
        return new CompositeConventionBuilder(
        [
            endpoints.MapGet(health.LivePath, HealthEndpoints.LiveAsync).WithDisplayName("Faultline liveness"),
            endpoints.MapGet(health.ReadyPath, HealthEndpoints.ReadyAsync).WithDisplayName("Faultline readiness"),
            endpoints.MapGet(health.StartupPath, HealthEndpoints.StartupAsync).WithDisplayName("Faultline startup timeline"),
            endpoints.MapGet(health.InfrastructurePath, HealthEndpoints.InfrastructureAsync).WithDisplayName("Faultline infrastructure"),
        ]);
    }

    /// <summary>
    /// Runs the application until it stops and returns the process exit code: 0 for a clean stop; 3 when
    /// a critical startup phase failed, the options are invalid or a required secret is missing. Those
    /// failures never escape as exceptions: they are written to stderr (and the termination-message
    /// file) first. End <c>Program.cs</c> with <c>return await app.RunFaultlineAsync();</c>.
    /// </summary>
    public static async Task<int> RunFaultlineAsync(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var state = app.Services.GetService<StartupState>()
            ?? throw new InvalidOperationException("RunFaultlineAsync needs services.AddFaultline(...) first");
        try
        {
            try
            {
                await app.StartAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ConfigurationMessages(ex) is { } messages)
            {
                ReportConfigurationFailure(app.Services, messages);
                return FaultlineExitCodes.StartupFailed;
            }
            catch (OperationCanceledException) when (state.Snapshot is { Status: StartupStatus.Failed, Failure: not null })
            {
                // The plan failed (and stopped the host) before the server finished starting; it is already reported.
                return FaultlineExitCodes.StartupFailed;
            }

            await app.WaitForShutdownAsync().ConfigureAwait(false);
            return state.Snapshot.Status == StartupStatus.Failed && state.Snapshot.Failure is not null
                ? FaultlineExitCodes.StartupFailed
                : FaultlineExitCodes.Clean;
        }
        finally
        {
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static void ReportConfigurationFailure(IServiceProvider services, IReadOnlyList<string> messages)
    {
        var options = FaultlineOptionsReader.ReadUnvalidated(services);
        var message = messages.Count == 1 ? messages[0] : $"{messages.Count} configuration errors: {string.Join("; ", messages)}";
        var failure = new StartupFailure("options", Layer.Configuration, Classifier.SideOf(Layer.Configuration, ErrorKind.ConfigInvalid), ErrorKind.ConfigInvalid, message, 0, 0);
        services.GetRequiredService<FailureReporter>().Report(failure, options.TerminationMessagePath);
        services.GetRequiredService<StartupState>().Finish(StartupStatus.Failed, services.GetRequiredService<TimeProvider>().GetUtcNow(), failure);
    }

    /// <summary>The validation messages when <paramref name="exception"/> is an options validation failure (alone or aggregated); null otherwise.</summary>
    private static List<string>? ConfigurationMessages(Exception exception)
    {
        var failures = exception switch
        {
            OptionsValidationException single => [single],
            AggregateException aggregate when aggregate.InnerExceptions.All(e => e is OptionsValidationException) => aggregate.InnerExceptions.Cast<OptionsValidationException>().ToList(),
            _ => null,
        };
        return failures?.SelectMany(f => f.Failures).Distinct(StringComparer.Ordinal).ToList();
    }

    private sealed class CompositeConventionBuilder(IReadOnlyList<IEndpointConventionBuilder> builders) : IEndpointConventionBuilder
    {
        public void Add(Action<EndpointBuilder> convention)
        {
            foreach (var builder in builders)
            {
                builder.Add(convention);
            }
        }

        public void Finally(Action<EndpointBuilder> finallyConvention)
        {
            foreach (var builder in builders)
            {
                builder.Finally(finallyConvention);
            }
        }
    }
}
