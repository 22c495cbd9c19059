using System.CommandLine;
using System.Data.Common;
using System.Globalization;
using System.Net;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Reporting;
using Faultline.Core.Running;
using Faultline.Monitor;
using Faultline.Monitor.Alerts;
using Faultline.Monitor.Engine;
using Faultline.Monitor.Metrics;
using Faultline.Store;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Faultline.Cli.Commands;

/// <summary><c>faultline monitor</c>: the check probes on intervals, with state, incidents, alerts, history and metrics.</summary>
internal static class MonitorCommand
{
    /// <summary><c>--store none</c>: keep no history (incident ids count from 1 in this process; alerts are not deduplicated across replicas).</summary>
    public const string NoStore = "none";

    /// <summary>How long Ctrl-C waits for queued alerts to be delivered.</summary>
    private static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(5);

    public static Command Create(TextWriter output, TextWriter error)
    {
        var config = new Option<FileInfo?>("--config", "-c") { Description = "The config file (YAML): targets with interval, thresholds, dependsOn and alerts; monitor: and alerts: sections. Reloaded when it changes." };
        var store = new Option<string?>("--store") { Description = "History store: sqlite:PATH, postgres:CONNSTRING, or none. Default: monitor.store in the config, else sqlite:./faultline.db." };
        var format = new Option<string>("--format", "-f")
        {
            Description = "Output: table (live table on a terminal; state changes as lines when redirected) or json (one event per line).",
            DefaultValueFactory = _ => "table",
        };
        format.AcceptOnlyFromAmong("table", "json");
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only state changes and alerts (no results, no live table)." };
        var metrics = new Option<string?>("--metrics") { Description = "Serve Prometheus metrics at http://ADDRESS:PORT/metrics, e.g. 127.0.0.1:9464." };
        var noColor = new Option<bool>("--no-color") { Description = "Plain output without colours (also when NO_COLOR is set or output is redirected)." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log scheduling, incidents and alert delivery to stderr." };

        var command = new Command("monitor", "Probe every target on its interval (with jitter, bounded concurrency, a deadline per probe); track each target's state (pending, up, degraded, down, flapping, error when the monitor itself cannot probe it); open and resolve incidents with failureThreshold/successThreshold; attribute a dependent's failure to its failing dependency (dependsOn) and announce only the root cause; send alerts; keep a history. Runs until Ctrl-C or SIGTERM (exit 0). Exit 2: invalid config, usage, or a store that cannot be opened; 130/143: Ctrl-C/SIGTERM before monitoring started.")
        {
            config, store, format, quiet, metrics, noColor, verbose,
        };

        command.SetAction(async (parse, cancellationToken) =>
        {
            var redirected = Console.IsOutputRedirected || !ReferenceEquals(output, Console.Out);
            var request = new MonitorRequest(
                parse.GetValue(config)?.FullName,
                parse.GetValue(store),
                parse.GetValue(format) ?? "table",
                parse.GetValue(quiet),
                parse.GetValue(metrics),
                Color: !parse.GetValue(noColor) && !redirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR")),
                Live: !redirected,
                Verbose: parse.GetValue(verbose));
            return await RunAsync(request, output, error, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    internal sealed record MonitorRequest(
        string? ConfigPath,
        string? Store,
        string Format,
        bool Quiet,
        string? Metrics,
        bool Color,
        bool Live,
        bool Verbose);

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled; 0 then, 2 for usage, config or store errors.</summary>
    internal static Task<int> RunAsync(MonitorRequest request, TextWriter output, TextWriter error, CancellationToken cancellationToken) =>
        RunAsync(request, output, error, probes: null, cancellationToken);

    /// <summary>
    /// As above; <paramref name="probes"/>, when given, wraps the probe function built from the check runner (tests put a
    /// probe that fails in the monitor itself in front of the real one).
    /// </summary>
    internal static async Task<int> RunAsync(MonitorRequest request, TextWriter output, TextWriter error, Func<ProbeFunction, ProbeFunction>? probes, CancellationToken cancellationToken)
    {
        FaultlineConfig config;
        IPEndPoint? metricsAt;
        try
        {
            metricsAt = ParseMetrics(request.Metrics);
            config = LoadConfig(request.ConfigPath, cancellationToken);
        }
        catch (UsageException ex)
        {
            await error.WriteLineAsync($"faultline: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        catch (ConfigException ex)
        {
            await CommandSupport.WriteConfigErrorsAsync(error, ex, "nothing is monitored").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        using var loggerFactory = CommandSupport.CreateLoggerFactory(request.Verbose);
        var time = TimeProvider.System;

        var spec = request.Store ?? config.Monitor.Store ?? MonitorSpec.DefaultStore;
        var (store, storeError) = await OpenStoreAsync(spec, time, loggerFactory, cancellationToken).ConfigureAwait(false);
        if (storeError is not null)
        {
            await error.WriteLineAsync($"faultline: {storeError}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        await using var storeLease = store;
        using var monitorMetrics = new MonitorMetrics();
        MetricsEndpoint? endpoint = null;
        if (metricsAt is not null)
        {
            try
            {
                endpoint = await MetricsEndpoint.StartAsync(metricsAt, monitorMetrics, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                await error.WriteLineAsync($"faultline: --metrics: {ex.Message}").ConfigureAwait(false);
                return ExitCodes.Usage;
            }
        }

        await using var endpointLease = endpoint;
        using var http = AlertHttp.CreateClient();
        var dispatcher = new AlertDispatcher(config.Alerts, http, time, loggerFactory, config.Secrets);
        await using var dispatcherLease = dispatcher;
        var view = new ConsoleView(output, request);
        var sink = new CommandSink(view, monitorMetrics, dispatcher);
        var runner = new CheckRunner(ProbeSet.Create(), ProbeSet.Resolver, time, loggerFactory);
        monitorMetrics.ObserveProbesInFlight(() => runner.InFlightProbes);
        var probe = MonitorProbes.FromRunner(runner);
        var engine = new MonitorEngine(config, probes is null ? probe : probes(probe), store, sink, time, loggerFactory);
        await using var engineLease = engine;

        await error.WriteLineAsync(
            $"faultline monitor: {config.Targets.Count} target{(config.Targets.Count == 1 ? string.Empty : "s")}, history {store?.Description ?? "off (--store none)"}"
            + (endpoint is not null ? $", metrics at {endpoint.Url}" : string.Empty) + "; Ctrl-C to stop").ConfigureAwait(false);

        await using var watcher = new ConfigWatcher(request.ConfigPath!, ct => ReloadAsync(request.ConfigPath!, engine, dispatcher, monitorMetrics, error, ct), time, loggerFactory);
        var live = request.Live && request.Format == "table" && !request.Quiet
            ? Task.Run(() => view.RunLiveAsync(engine, cancellationToken), CancellationToken.None)
            : Task.CompletedTask;

        await engine.RunAsync(cancellationToken).ConfigureAwait(false);
        await live.ConfigureAwait(false);
        await dispatcher.FlushAsync(FlushTimeout).ConfigureAwait(false);
        await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        await error.WriteLineAsync("faultline monitor: stopped").ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Reads the changed config and applies it. Whatever goes wrong — an invalid config, a file that is gone, a
    /// directory, a FIFO or a device, an unexpected exception — is one line on stderr ending in "still running the
    /// previous config" (never a stack trace), the running config stays, and the watcher applies the next valid edit.
    /// </summary>
    private static async Task ReloadAsync(string path, MonitorEngine engine, AlertDispatcher dispatcher, MonitorMetrics metrics, TextWriter error, CancellationToken cancellationToken)
    {
        var applied = false;
        try
        {
            FaultlineConfig next;
            try
            {
                next = LoadChanged(path);
            }
            catch (ConfigException ex)
            {
                await CommandSupport.WriteConfigErrorsAsync(error, ex, "still running the previous config").ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is UsageException or IOException or UnauthorizedAccessException)
            {
                await error.WriteLineAsync($"faultline: {SafeText.OneLine(ex.Message)}; still running the previous config").ConfigureAwait(false);
                return;
            }

            var removed = engine.Config.Targets.Select(t => t.Name).Except(next.Targets.Select(t => t.Name), StringComparer.Ordinal).ToList();
            try
            {
                await engine.ApplyConfigAsync(next, cancellationToken).ConfigureAwait(false);
            }
            catch (ArgumentException ex)
            {
                await error.WriteLineAsync($"faultline: {path}: {SafeText.OneLine(ex.Message)}; still running the previous config").ConfigureAwait(false);
                return;
            }

            applied = true;
            dispatcher.Reconfigure(next.Alerts, next.Secrets);
            foreach (var name in removed)
            {
                metrics.RemoveTarget(name);
            }

            await error.WriteLineAsync($"faultline monitor: config reloaded ({next.Targets.Count} targets)").ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
#pragma warning disable CA1031 // The boundary of a reload: any failure is reported in one line and the monitor keeps running (the watcher waits for the next edit).
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var what = $"{ex.GetType().Name}: {SafeText.OneLine(ex.Message)}";
            await error.WriteLineAsync(applied
                ? $"faultline: {path}: the targets were reloaded, but updating the alert channels failed ({what}); restart the monitor to apply them"
                : $"faultline: {path}: reloading the config failed ({what}); still running the previous config").ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Loads the config file after a change. Only a regular file with content is read: a FIFO would block the read until
    /// something writes into it, and a device never ends (both report length 0, like an empty file, which has no targets).
    /// </summary>
    private static FaultlineConfig LoadChanged(string path)
    {
        if (Directory.Exists(path))
        {
            throw new UsageException($"{path} is now a directory, not a config file");
        }

        var file = new FileInfo(path);
        if (file.Exists && file.Length == 0)
        {
            throw new UsageException($"{path} is empty (or not a regular file)");
        }

        var next = ConfigLoader.LoadFile(path);
        if (next.Targets.Count == 0)
        {
            throw new UsageException("the changed config has no targets");
        }

        return next;
    }

    private static FaultlineConfig LoadConfig(string? path, CancellationToken cancellationToken)
    {
        if (path is null)
        {
            throw new UsageException("nothing to monitor: give --config FILE (see examples/)");
        }

        var config = CommandSupport.LoadConfigFile(path, cancellationToken);
        if (config.Targets.Count == 0)
        {
            throw new UsageException($"{path}: no targets to monitor");
        }

        return config;
    }

    private static IPEndPoint? ParseMetrics(string? text)
    {
        if (text is null)
        {
            return null;
        }

        if (!IPEndPoint.TryParse(text, out var endpoint) || endpoint.Port == 0 && !text.EndsWith(":0", StringComparison.Ordinal) || !text.Contains(':', StringComparison.Ordinal))
        {
            throw new UsageException($"--metrics: \"{text}\" is not ADDRESS:PORT, e.g. 127.0.0.1:9464");
        }

        return endpoint;
    }

    /// <summary>Opens and migrates the store; on failure a message that names the store but never its password.</summary>
    private static async Task<(IHistoryStore? Store, string? Error)> OpenStoreAsync(string spec, TimeProvider time, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        if (string.Equals(spec.Trim(), NoStore, StringComparison.OrdinalIgnoreCase))
        {
            return (null, null);
        }

        IHistoryStore store;
        try
        {
            store = HistoryStores.Open(spec, time, loggerFactory);
        }
        catch (HistoryStoreException ex)
        {
            return (null, ex.Message);
        }

        try
        {
            await store.MigrateAsync(cancellationToken).ConfigureAwait(false);
            return (store, null);
        }
        catch (Exception ex) when (ex is HistoryStoreException or DbException or IOException or UnauthorizedAccessException or TimeoutException or InvalidOperationException)
        {
            await store.DisposeAsync().ConfigureAwait(false);
            var redactor = HistoryStores.Redactor(spec);
            var reason = ex is HistoryStoreException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}";
            return (null, $"cannot open the history store {store.Description}: {redactor.Redact(reason)}");
        }
    }

    /// <summary>Feeds the console view, the metrics and the alert dispatcher.</summary>
    private sealed class CommandSink(ConsoleView view, MonitorMetrics metrics, AlertDispatcher dispatcher) : IMonitorSink, IMonitorHeldAlertSink, IMonitorErrorSink
    {
        public async ValueTask OnResultAsync(ResultEvent result, CancellationToken cancellationToken)
        {
            metrics.RecordResult(result, result.StartedAt - result.ScheduledAt);
            await view.ResultAsync(result).ConfigureAwait(false);
        }

        public async ValueTask OnStateAsync(StateEvent state, CancellationToken cancellationToken)
        {
            metrics.RecordState(state);
            await view.StateAsync(state).ConfigureAwait(false);
        }

        public async ValueTask OnAlertAsync(AlertEvent alert, CancellationToken cancellationToken)
        {
            dispatcher.Enqueue(alert);
            metrics.RecordAlert(alert);
            await view.AlertAsync(alert, held: null).ConfigureAwait(false);
        }

        public async ValueTask OnAlertHeldAsync(AlertEvent alert, string reason, CancellationToken cancellationToken) =>
            await view.AlertAsync(alert, reason).ConfigureAwait(false);

        public ValueTask OnTargetErrorAsync(TargetErrorEvent error, CancellationToken cancellationToken)
        {
            metrics.RecordTargetError(error);
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>
    /// JSON lines, plain lines, or the live table (with the latest state changes and alerts under it). Names,
    /// signatures, summaries and reasons can come from a probed server (a remote target's components and error kinds,
    /// a reason phrase or body in a summary): lines and table cells show them through <see cref="SafeText.OneLine"/>,
    /// table cells also through <see cref="Markup.Escape"/>. JSON lines keep the exact text.
    /// </summary>
    internal sealed class ConsoleView(TextWriter output, MonitorRequest request)
    {
        private const int RecentLines = 8;

        /// <summary>How much of a probe error's reason the table's state cell shows (the state line and JSON carry all of it).</summary>
        private const int ReasonWidth = 60;
        private readonly Lock _lock = new();
        private readonly Queue<string> _recent = new();

        private bool Json => request.Format == "json";

        private bool LiveTable => request.Live && !Json && !request.Quiet;

        public async Task ResultAsync(ResultEvent result)
        {
            if (Json && !request.Quiet)
            {
                await WriteLineAsync(MonitorJson.Result(result)).ConfigureAwait(false);
            }
        }

        public async Task StateAsync(StateEvent state)
        {
            if (Json)
            {
                await WriteLineAsync(MonitorJson.State(state)).ConfigureAwait(false);
                return;
            }

            var line = $"{Stamp(state.At)}  state  {SafeText.OneLine(state.Target)}: {state.From.Wire()} -> {state.To.Wire()}"
                + (state.Signature is { } s ? $"  {SafeText.OneLine(s)}" : string.Empty)
                + (state.IncidentId is { } id ? $"  incident {id}" : string.Empty)
                + (state.SuppressedBy is { } parent ? $" (attributed to {SafeText.OneLine(parent)})" : string.Empty)
                + (state.Reason is { } reason ? $"  ({SafeText.OneLine(reason)})" : string.Empty);
            await LineAsync(line).ConfigureAwait(false);
        }

        public async Task AlertAsync(AlertEvent alert, string? held)
        {
            if (Json)
            {
                await WriteLineAsync(MonitorJson.Alert(alert, held)).ConfigureAwait(false);
                return;
            }

            var what = alert.Event == AlertEventKind.Reminder ? $"reminder {alert.Sequence}" : alert.Event.Wire();
            var line = $"{Stamp(alert.At)}  alert  {what} incident {alert.Incident.Id}{(held is null ? string.Empty : $" (held: {SafeText.OneLine(held)})")}  {SafeText.OneLine(alert.Summary)}";
            await LineAsync(line).ConfigureAwait(false);
        }

        private async Task LineAsync(string line)
        {
            if (LiveTable)
            {
                lock (_lock)
                {
                    _recent.Enqueue(line);
                    while (_recent.Count > RecentLines)
                    {
                        _recent.Dequeue();
                    }
                }

                return;
            }

            await WriteLineAsync(line).ConfigureAwait(false);
        }

        private async Task WriteLineAsync(string line)
        {
            await output.WriteLineAsync(line).ConfigureAwait(false);
            await output.FlushAsync().ConfigureAwait(false);
        }

        private static string Stamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

        /// <summary>Redraws the table in place once a second until cancelled.</summary>
        public async Task RunLiveAsync(MonitorEngine engine, CancellationToken cancellationToken)
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(output),
                ColorSystem = request.Color ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            });
            var now = TimeProvider.System;
            try
            {
                await console.Live(new Text("starting...")).AutoClear(false).StartAsync(async context =>
                {
                    while (!cancellationToken.IsCancellationRequested)
                    {
                        context.UpdateTarget(Render(await engine.SnapshotAsync(cancellationToken).ConfigureAwait(false), now.GetUtcNow()));
                        context.Refresh();
                        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                    }
                }).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl-C: the last frame stays on screen.
            }
        }

        /// <summary>One frame: the table, then the recent lines (already escaped, shown as plain text, not markup).</summary>
        internal IRenderable Render(IReadOnlyList<TargetStatus> statuses, DateTimeOffset now)
        {
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumn("target").AddColumn("state").AddColumn("layer")
                .AddColumn(new TableColumn("p50").RightAligned()).AddColumn(new TableColumn("p95").RightAligned())
                .AddColumn("last change").AddColumn("signatures");
            foreach (var s in statuses)
            {
                var name = SafeText.OneLine(s.Name);
                name = s.Name == s.Owner ? name : "  " + name;
                var state = s.State.Wire() + (s.SuppressedBy is { } parent ? $" (by {SafeText.OneLine(parent)})" : string.Empty)
                    + (s.State == TargetState.Error && s.ProbeError is { } reason ? ": " + Cut(SafeText.OneLine(reason), ReasonWidth) : string.Empty);
                var colour = s.State switch
                {
                    TargetState.Up => "green",
                    TargetState.Degraded => "yellow",
                    TargetState.Down => "red",
                    TargetState.Flapping => "magenta",
                    TargetState.Error => "darkorange",
                    _ => "grey",
                };
                table.AddRow(
                    Markup.Escape(name),
                    $"[{colour}]{Markup.Escape(state)}[/]",
                    Markup.Escape(s.Layer is { } layer ? $"{layer.Wire()} ({(s.Side == Side.Application ? "app" : "infra")})" : "-"),
                    Ms(s.P50Ms),
                    Ms(s.P95Ms),
                    s.LastChange is { } changed ? Markup.Escape(Ago(now - changed)) : "-",
                    Markup.Escape(string.Join(", ", s.Signatures.OrderByDescending(kv => kv.Value).Select(kv => $"{SafeText.OneLine(kv.Key)} x{kv.Value}"))));
            }

            string[] recent;
            lock (_lock)
            {
                recent = [.. _recent];
            }

            return new Rows([table, .. recent.Select(r => new Text(r))]);
        }

        private static string Cut(string text, int width) => text.Length <= width ? text : string.Concat(text.AsSpan(0, width - 1), "…");

        private static string Ms(double? value) => value is { } v ? v.ToString("0", CultureInfo.InvariantCulture) + " ms" : "-";

        private static string Ago(TimeSpan span) =>
            span < TimeSpan.Zero ? "now"
            : span.TotalMinutes < 1 ? $"{(int)span.TotalSeconds}s ago"
            : span.TotalHours < 1 ? $"{(int)span.TotalMinutes}m ago"
            : span.TotalDays < 1 ? $"{(int)span.TotalHours}h ago"
            : $"{(int)span.TotalDays}d ago";
    }
}
