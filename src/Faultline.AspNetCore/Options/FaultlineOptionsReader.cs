using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Faultline.AspNetCore.Options;

internal static class FaultlineOptionsReader
{
    /// <summary>The configured profile, else the one named by the ASP.NET Core environment, else Production.</summary>
    public static FaultlineProfile ProfileOf(FaultlineOptions options, IHostEnvironment environment) =>
        options.Profile is { } profile && Enum.IsDefined(profile) ? profile : Startup.ProfileDefaults.FromEnvironment(environment.EnvironmentName);

    /// <summary>
    /// The options as configured, without validation: for the places that must work even when
    /// validation fails (mapping endpoint paths, writing the termination message of a configuration failure).
    /// </summary>
    public static FaultlineOptions ReadUnvalidated(IServiceProvider services)
    {
        var options = new FaultlineOptions();
        foreach (var setup in services.GetServices<IConfigureOptions<FaultlineOptions>>())
        {
            try
            {
                setup.Configure(options);
            }
            catch (InvalidOperationException ex)
            {
                options.BindingErrors.Add(FaultlineOptionsSetup.Describe(ex));
            }
        }

        return options;
    }
}
