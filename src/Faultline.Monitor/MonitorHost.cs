using System.Data.Common;
using System.Net;
using Faultline.Core.Config;
using Faultline.Core.Running;
using Faultline.Monitor.Alerts;
using Faultline.Monitor.Engine;
using Faultline.Monitor.Metrics;
using Faultline.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Faultline.Monitor;

/// <summary>What a <see cref="MonitorHost"/> runs: the config, where it came from, the history store, metrics and the probes.</summary>
public sealed record MonitorHostOptions
{
    /// <summary>The config to monitor (already loaded and validated).</summary>
    public required FaultlineConfig Config { get; init; }

    /// <summary>The file <see cref="Config"/> came from: when set, it is watched and every valid change is applied.</summary>
    public string? ConfigPath { get; init; }

    /// <summary><c>sqlite:PATH</c>, <c>postgres:CONNSTRING</c> or <c>none</c>; null = the config's <c>monitor.store</c>, else <see cref="MonitorSpec.DefaultStore"/>.</summary>
    public string? Store { get; init; }

    /// <summary>Where to serve Prometheus metrics (<c>/metrics</c>); null = not served (the metrics are still kept).</summary>
    public IPEndPoint? Metrics { get; init; }

    /// <summary>The probes, one per target kind (e.g. <c>BuiltInProbes.Create().With(PostgresProbes.Create())</c>).</summary>
    public required ProbeCatalog Probes { get; init; }

    /// <summary>The host resolver for a target's <c>resolver:</c> setting (null = the system's).</summary>
    public required Func<string?, IHostResolver> Resolver { get; init; }

    /// <summary>Wraps the probe function built from the check runner (tests put a probe that fails in the monitor itself in front of it).</summary>
    public Func<ProbeFunction, ProbeFunction>? WrapProbe { get; init; }

    /// <summary>The clock.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>What stopped a <see cref="MonitorHost"/> from starting: a store that cannot be opened, a metrics address that cannot be bound.</summary>
public sealed class MonitorHostException : Exception
{
    public MonitorHostException()
    {
    }

    public MonitorHostException(string message)
        : base(message)
    {
    }

    public MonitorHostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Which setting was at fault: <c>store</c> or <c>metrics</c>.</summary>
    public string? Setting { get; init; }
}

/// <summary>
/// The running monitor: composes the history store, the engine, the alert channels and the metrics, applies config
/// changes, and lets front ends (the command line's view, a web page) read the current state and subscribe to what
/// happens. Everything a subscriber receives is what the engine produced, in order per target.
/// </summary>
public sealed partial class MonitorHost : IAsyncDisposable
{
    /// <summary>The store setting that keeps no history (incident ids count from 1 in this process; alerts are not deduplicated across replicas).</summary>
    public const string NoStore = "none";

    /// <summary>How long stopping waits for queued alerts to be delivered.</summary>
    public static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(5);

    private readonly MonitorHostOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly IHistoryStore? _store;
    private readonly MonitorMetrics _metrics;
    private readonly MetricsEndpoint? _endpoint;
    private readonly HttpClient _http;
    private readonly AlertDispatcher _dispatcher;
    private readonly HostSink _sink;
    private readonly MonitorEngine _engine;

    private MonitorHost(MonitorHostOptions options, ILoggerFactory loggerFactory, IHistoryStore? store, MonitorMetrics metrics, MetricsEndpoint? endpoint)
    {
        _options = options;
        _loggerFactory = loggerFactory;
        _store = store;
        _metrics = metrics;
        _endpoint = endpoint;
        var config = options.Config;
        _http = AlertHttp.CreateClient();
        _dispatcher = new AlertDispatcher(config.Alerts, _http, options.Time, loggerFactory, config.Secrets);
        _sink = new HostSink(metrics, _dispatcher, loggerFactory.CreateLogger("Faultline.Monitor"));
        var runner = new CheckRunner(options.Probes, options.Resolver, options.Time, loggerFactory);
        metrics.ObserveProbesInFlight(() => runner.InFlightProbes);
        var probe = MonitorProbes.FromRunner(runner);
        _engine = new MonitorEngine(config, options.WrapProbe is null ? probe : options.WrapProbe(probe), store, _sink, options.Time, loggerFactory);
    }

    /// <summary>The config currently applied.</summary>
    public FaultlineConfig Config => _engine.Config;

    /// <summary>The history store in words (never its password); null when no history is kept.</summary>
    public string? StoreDescription => _store?.Description;

    /// <summary>Where the metrics are served; null when not.</summary>
    public Uri? MetricsUrl => _endpoint?.Url;

    /// <summary>The monitor's metrics (what <c>/metrics</c> serves).</summary>
    public MonitorMetrics Metrics => _metrics;

    /// <summary>
    /// Opens (and migrates) the history store and binds the metrics endpoint; nothing is probed until
    /// <see cref="RunAsync"/>. Throws <see cref="MonitorHostException"/> with a message for the user (the store's
    /// password never in it) when either cannot be done.
    /// </summary>
    public static async Task<MonitorHost> CreateAsync(MonitorHostOptions options, ILoggerFactory? loggerFactory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        loggerFactory ??= NullLoggerFactory.Instance;
        var store = await OpenStoreAsync(options.Store ?? options.Config.Monitor.Store ?? MonitorSpec.DefaultStore, options.Time, loggerFactory, cancellationToken).ConfigureAwait(false);
        var metrics = new MonitorMetrics();
        MetricsEndpoint? endpoint = null;
        try
        {
            if (options.Metrics is { } at)
            {
                endpoint = await MetricsEndpoint.StartAsync(at, metrics, cancellationToken).ConfigureAwait(false);
            }

            return new MonitorHost(options, loggerFactory, store, metrics, endpoint);
        }
        catch (Exception ex)
        {
            if (endpoint is not null)
            {
                await endpoint.DisposeAsync().ConfigureAwait(false);
            }

            metrics.Dispose();
            if (store is not null)
            {
                await store.DisposeAsync().ConfigureAwait(false);
            }

            if (ex is IOException)
            {
                throw new MonitorHostException(ex.Message, ex) { Setting = "metrics" };
            }

            throw;
        }
    }

    /// <summary>Every entity's current state, targets in config order, each followed by its inside components.</summary>
    public Task<IReadOnlyList<TargetStatus>> SnapshotAsync(CancellationToken cancellationToken = default) => _engine.SnapshotAsync(cancellationToken);

    /// <summary>
    /// Receives every result, state change and alert from now on (and held alerts, failed attempts and config
    /// reloads when it also implements <see cref="IMonitorHeldAlertSink"/>, <see cref="IMonitorErrorSink"/>,
    /// <see cref="IMonitorReloadSink"/>). A subscriber that throws is logged and kept; it never stops the monitor.
    /// Dispose the returned handle to unsubscribe.
    /// </summary>
    public IDisposable Subscribe(IMonitorSink subscriber) => _sink.Add(subscriber);

    /// <summary>
    /// Monitors until <paramref name="cancellationToken"/> is cancelled (applying config changes as they are saved),
    /// then stops the schedules, writes what is queued and waits up to <see cref="FlushTimeout"/> for alerts in delivery.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var watcher = _options.ConfigPath is null ? null : new ConfigWatcher(_options.ConfigPath, ReloadAsync, _options.Time, _loggerFactory);
        try
        {
            await _engine.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (watcher is not null)
            {
                await watcher.DisposeAsync().ConfigureAwait(false);
            }

            await _dispatcher.FlushAsync(FlushTimeout).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _engine.DisposeAsync().ConfigureAwait(false);
        await _dispatcher.DisposeAsync().ConfigureAwait(false);
        _http.Dispose();
        if (_endpoint is not null)
        {
            await _endpoint.DisposeAsync().ConfigureAwait(false);
        }

        _metrics.Dispose();
        if (_store is not null)
        {
            await _store.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Opens and migrates the store; on failure a message that names the store but never its password.</summary>
    private static async Task<IHistoryStore?> OpenStoreAsync(string spec, TimeProvider time, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        if (string.Equals(spec.Trim(), NoStore, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        IHistoryStore store;
        try
        {
            store = HistoryStores.Open(spec, time, loggerFactory);
        }
        catch (HistoryStoreException ex)
        {
            throw new MonitorHostException(ex.Message, ex) { Setting = "store" };
        }

        try
        {
            await store.MigrateAsync(cancellationToken).ConfigureAwait(false);
            return store;
        }
        catch (Exception ex) when (ex is HistoryStoreException or DbException or IOException or UnauthorizedAccessException or TimeoutException or InvalidOperationException)
        {
            await store.DisposeAsync().ConfigureAwait(false);
            var redactor = HistoryStores.Redactor(spec);
            var reason = ex is HistoryStoreException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}";
            throw new MonitorHostException($"cannot open the history store {store.Description}: {redactor.Redact(reason)}") { Setting = "store" };
        }
    }
}
