using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Faultline.Monitor.Metrics;

/// <summary>
/// Serves the Prometheus text exposition of one <see cref="MonitorMetrics"/> at <c>GET /metrics</c>
/// (OpenTelemetry <c>MeterProvider</c> + Prometheus exporter on a Kestrel listener of its own).
/// </summary>
public sealed class MetricsEndpoint : IAsyncDisposable
{
    /// <summary>The scrape path.</summary>
    public const string Path = "/metrics";

    // A series per target and phase or state: 1,000 targets × 6 phases needs more than the SDK's default of 2,000.
    private const int CardinalityLimit = 100_000;

    private readonly WebApplication app;
    private readonly MeterProvider meterProvider;

    private MetricsEndpoint(WebApplication app, MeterProvider meterProvider, IPEndPoint localEndPoint)
    {
        this.app = app;
        this.meterProvider = meterProvider;
        LocalEndPoint = localEndPoint;
    }

    /// <summary>The address it listens on (the real port when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary><c>http://host:port/metrics</c>.</summary>
    public Uri Url => new($"http://{LocalEndPoint}{Path}");

    /// <summary>Starts listening on <paramref name="endpoint"/> (port 0 picks a free one).</summary>
    /// <exception cref="IOException">The address is in use or cannot be bound; the message says which and is fit to print.</exception>
    public static async Task<MetricsEndpoint> StartAsync(IPEndPoint endpoint, MonitorMetrics metrics, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(metrics);

        // Only this instance's instruments: another MonitorMetrics in the process has a meter of the same name.
        var meter = metrics.Meter;
        var meterProvider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(MonitorMetrics.MeterName)
            .AddView(instrument => ReferenceEquals(instrument.Meter, meter)
                ? new MetricStreamConfiguration { CardinalityLimit = CardinalityLimit }
                : MetricStreamConfiguration.Drop)
            .AddPrometheusExporter(options =>
            {
                options.ScrapeResponseCacheDurationMilliseconds = 0;
                options.TargetInfoEnabled = false;
                options.ScopeInfoEnabled = false;
            })
            .Build();

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(endpoint);
        });
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        app.UseOpenTelemetryPrometheusScrapingEndpoint(
            meterProvider,
            predicate: context => context.Request.Path == Path && HttpMethods.IsGet(context.Request.Method),
            path: null,
            configureBranchedPipeline: null,
            optionsName: null);
        app.Run(context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return context.Response.WriteAsync($"Faultline monitor metrics are at {Path}\n", context.RequestAborted);
        });

        try
        {
            await app.StartAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsBindFailure(ex))
        {
            await app.DisposeAsync().ConfigureAwait(false);
            meterProvider.Dispose();
            var reason = ex is AddressInUseException || ex.InnerException is AddressInUseException
                ? "the address is already in use (another process listens there); pick another port"
                : "the address cannot be bound (is it an address of this machine? ports below 1024 need privileges)";
            throw new IOException($"metrics endpoint {endpoint}: {reason}", ex);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            meterProvider.Dispose();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        var bound = address is not null && Uri.TryCreate(address, UriKind.Absolute, out var uri)
            ? new IPEndPoint(endpoint.Address, uri.Port)
            : endpoint;
        return new MetricsEndpoint(app, meterProvider, bound);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
        meterProvider.Dispose();
    }

    private static bool IsBindFailure(Exception ex) =>
        ex is AddressInUseException
        || (ex is IOException && ex.InnerException is AddressInUseException or SocketException)
        || ex is SocketException;
}
