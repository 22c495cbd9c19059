using Faultline.AspNetCore.Health;
using Faultline.AspNetCore.Options;
using Faultline.AspNetCore.Probing;
using Faultline.AspNetCore.Resilience;
using Faultline.AspNetCore.Startup;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Faultline: the startup plan, background dependency evaluation and what the health endpoints read.</summary>
public static class FaultlineServiceCollectionExtensions
{
    /// <summary>
    /// Adds Faultline with options bound from the <c>Faultline</c> section of <paramref name="configuration"/>
    /// (the root configuration), validated when the host starts: unknown keys, unconvertible values,
    /// bad phase settings and an invalid phase graph make <c>RunFaultlineAsync</c> return 3.
    /// </summary>
    public static Faultline.AspNetCore.FaultlineBuilder AddFaultline(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = AddCore(services);
        services.AddSingleton<IConfigureOptions<Faultline.AspNetCore.FaultlineOptions>>(new FaultlineOptionsSetup(configuration.GetSection(Faultline.AspNetCore.FaultlineOptions.SectionName)));
        return builder;
    }

    /// <summary>Adds Faultline with options set by <paramref name="configure"/>, validated when the host starts.</summary>
    public static Faultline.AspNetCore.FaultlineBuilder AddFaultline(this IServiceCollection services, Action<Faultline.AspNetCore.FaultlineOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var builder = AddCore(services);
        services.Configure(configure);
        return builder;
    }

    private static Faultline.AspNetCore.FaultlineBuilder AddCore(IServiceCollection services)
    {
        if (services.FirstOrDefault(d => d.ServiceType == typeof(Faultline.AspNetCore.FaultlineBuilder))?.ImplementationInstance is Faultline.AspNetCore.FaultlineBuilder existing)
        {
            return existing;
        }

        var builder = new Faultline.AspNetCore.FaultlineBuilder(services);
        services.AddSingleton(builder);
        services.AddOptionsWithValidateOnStart<Faultline.AspNetCore.FaultlineOptions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<Faultline.AspNetCore.FaultlineOptions>, FaultlineOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp =>
        {
            var scrubber = new SecretScrubber(sp.GetService<IConfiguration>());
            scrubber.Add(FaultlineOptionsReader.ReadUnvalidated(sp).ApiKey);
            return scrubber;
        });
        services.TryAddSingleton(sp => new ProbeRunner(
            ProbeRunner.Catalog(builder.Probes),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<SecretScrubber>()));
        services.TryAddSingleton<BreakerRegistry>();
        services.TryAddSingleton<DependencyPipelines>();
        services.TryAddSingleton<StartupState>();
        services.TryAddSingleton<HealthState>();
        services.TryAddSingleton<InfrastructureDocument>();
        services.TryAddSingleton<StandardError>();
        services.TryAddSingleton<FailureReporter>();
        services.TryAddSingleton<PhaseExecutor>();
        services.AddHostedService<StartupPlanRunner>();
        services.AddHostedService<DependencyEvaluator>();
        services.AddTransient<IStartupFilter, StartupGateFilter>();
        return builder;
    }
}
