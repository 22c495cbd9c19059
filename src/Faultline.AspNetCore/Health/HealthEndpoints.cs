using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Faultline.AspNetCore.Resilience;
using Faultline.AspNetCore.Startup;
using Faultline.Core.Model;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Faultline.AspNetCore.Health;

/// <summary>
/// The four endpoints. None of them touches a dependency: they read the startup state and the
/// latest background snapshot. An internal error answers 500, never 200.
/// </summary>
internal static partial class HealthEndpoints
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static Task LiveAsync(HttpContext context) => GuardAsync(context, () => WriteAsync(context, StatusCodes.Status200OK, new { status = "alive" }));

    public static Task ReadyAsync(HttpContext context) => GuardAsync(context, async () =>
    {
        var services = context.RequestServices;
        var startup = services.GetRequiredService<StartupState>().Snapshot;
        var components = services.GetRequiredService<HealthState>().Components;
        var (ready, status, failing) = HealthViews.Readiness(startup, components);
        if (!ready)
        {
            SetRetryAfter(context);
        }

        object body = await DetailAccess.AllowedAsync(context).ConfigureAwait(false)
            ? new { status, startup = startup.Status.Wire(), failing }
            : new { status };
        await WriteAsync(context, ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable, body).ConfigureAwait(false);
    });

    public static Task StartupAsync(HttpContext context) => GuardAsync(context, async () =>
    {
        var services = context.RequestServices;
        var startup = services.GetRequiredService<StartupState>().Snapshot;
        var code = startup.IsComplete ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        if (startup.Status == StartupStatus.Running)
        {
            SetRetryAfter(context);
        }

        object body = await DetailAccess.AllowedAsync(context).ConfigureAwait(false)
            ? HealthViews.Startup(startup, services.GetRequiredService<TimeProvider>().GetUtcNow())
            : new { status = startup.Status.Wire() };
        await WriteAsync(context, code, body).ConfigureAwait(false);
    });

    public static Task InfrastructureAsync(HttpContext context) => GuardAsync(context, async () =>
    {
        var services = context.RequestServices;
        var startup = services.GetRequiredService<StartupState>().Snapshot;
        var components = services.GetRequiredService<HealthState>().Components;
        var overall = HealthViews.Overall(startup, components);
        var code = overall == OverallStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
        if (await DetailAccess.AllowedAsync(context).ConfigureAwait(false))
        {
            var environment = services.GetRequiredService<IHostEnvironment>();
            var options = services.GetRequiredService<IOptions<FaultlineOptions>>().Value;
            var bytes = services.GetRequiredService<InfrastructureDocument>().Get(
                options.ServiceName ?? environment.ApplicationName,
                environment.EnvironmentName,
                startup,
                components,
                services.GetRequiredService<BreakerRegistry>());
            context.Response.StatusCode = code;
            context.Response.Headers.CacheControl = "no-store";
            context.Response.ContentType = "application/json; charset=utf-8";
            context.Response.ContentLength = bytes.Length;
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        await WriteAsync(context, code, new { status = overall.Wire() }).ConfigureAwait(false);
    });

    internal static void SetRetryAfter(HttpContext context)
    {
        var seconds = context.RequestServices.GetRequiredService<IOptions<FaultlineOptions>>().Value.Health.RetryAfterSeconds;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
    }

    internal static async Task WriteAsync(HttpContext context, int statusCode, object body)
    {
        context.Response.StatusCode = statusCode;
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(context.Response.Body, body, body.GetType(), Json, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task GuardAsync(HttpContext context, Func<Task> handle)
    {
        try
        {
            await handle().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The caller went away; nothing to answer.
        }
#pragma warning disable CA1031 // The boundary of a health endpoint: any internal error answers 500 with no exception text, never 200.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogEndpointFailed(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Faultline.Health"), ex, context.Request.Path.Value ?? string.Empty);
            if (!context.Response.HasStarted)
            {
                context.Response.Clear();
                await WriteAsync(context, StatusCodes.Status500InternalServerError, new { status = "error" }).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(EventId = 3050, Level = LogLevel.Error, Message = "health endpoint {Path} failed")]
    private static partial void LogEndpointFailed(ILogger logger, Exception exception, string path);
}
