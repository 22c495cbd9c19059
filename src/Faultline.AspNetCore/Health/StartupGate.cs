using Faultline.AspNetCore.Options;
using Faultline.AspNetCore.Startup;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Faultline.AspNetCore.Health;

/// <summary>
/// First in the pipeline: until the startup plan completes, every request except the liveness,
/// startup and infrastructure endpoints answers 503 with <c>Retry-After</c> and <c>{"status":"starting"}</c>
/// (<c>{"status":"failed"}</c> once a critical phase failed and the host is stopping).
/// </summary>
internal sealed class StartupGateFilter(IServiceProvider services) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        var health = FaultlineOptionsReader.ReadUnvalidated(services).Health;
        string[] open = [health.LivePath, health.StartupPath, health.InfrastructurePath];
        var state = (StartupState)services.GetService(typeof(StartupState))!;
        app.Use(async (context, nextMiddleware) =>
        {
            var snapshot = state.Snapshot;
            if (snapshot.IsComplete || open.Any(p => context.Request.Path.Equals(p, StringComparison.OrdinalIgnoreCase)))
            {
                await nextMiddleware(context).ConfigureAwait(false);
                return;
            }

            HealthEndpoints.SetRetryAfter(context);
            await HealthEndpoints.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, new { status = snapshot.Status == StartupStatus.Failed ? "failed" : "starting" }).ConfigureAwait(false);
        });
        next(app);
    };
}
