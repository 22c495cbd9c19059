using System.CommandLine;
using System.Globalization;
using System.Net;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Reporting;
using Faultline.Monitor;
using Faultline.Monitor.Engine;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Faultline.Cli.Commands;

/// <summary><c>faultline monitor</c>: the check probes on intervals, with state, incidents, alerts, history and metrics.</summary>
internal static class MonitorCommand
{
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
        MonitorHost host;
        try
        {
            host = await MonitorHost.CreateAsync(
                new MonitorHostOptions
                {
                    Config = config,
                    ConfigPath = request.ConfigPath,
                    Store = request.Store,
                    Metrics = metricsAt,
                    Probes = ProbeSet.Create(),
                    Resolver = ProbeSet.Resolver,
                    WrapProbe = probes,
                },
                loggerFactory,
                cancellationToken).ConfigureAwait(false);
        }
        catch (MonitorHostException ex)
        {
            await error.WriteLineAsync(ex.Setting == "metrics" ? $"faultline: --metrics: {ex.Message}" : $"faultline: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        await using var hostLease = host;
        var view = new ConsoleView(output, request);
        using var subscription = host.Subscribe(new ViewSink(view, error));
        await error.WriteLineAsync(
            $"faultline monitor: {config.Targets.Count} target{(config.Targets.Count == 1 ? string.Empty : "s")}, history {host.StoreDescription ?? "off (--store none)"}"
            + (host.MetricsUrl is { } url ? $", metrics at {url}" : string.Empty) + "; Ctrl-C to stop").ConfigureAwait(false);

        var live = request.Live && request.Format == "table" && !request.Quiet
            ? Task.Run(() => view.RunLiveAsync(host, cancellationToken), CancellationToken.None)
            : Task.CompletedTask;

        await host.RunAsync(cancellationToken).ConfigureAwait(false);
        await live.ConfigureAwait(false);
        await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        await error.WriteLineAsync("faultline monitor: stopped").ConfigureAwait(false);
        return ExitCodes.Ok;
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

    /// <summary>Shows what the monitor produces: results, states and alerts through the view; config reloads on stderr.</summary>
    private sealed class ViewSink(ConsoleView view, TextWriter error) : IMonitorSink, IMonitorHeldAlertSink, IMonitorReloadSink
    {
        public async ValueTask OnResultAsync(ResultEvent result, CancellationToken cancellationToken) => await view.ResultAsync(result).ConfigureAwait(false);

        public async ValueTask OnStateAsync(StateEvent state, CancellationToken cancellationToken) => await view.StateAsync(state).ConfigureAwait(false);

        public async ValueTask OnAlertAsync(AlertEvent alert, CancellationToken cancellationToken) => await view.AlertAsync(alert, held: null).ConfigureAwait(false);

        public async ValueTask OnAlertHeldAsync(AlertEvent alert, string reason, CancellationToken cancellationToken) =>
            await view.AlertAsync(alert, reason).ConfigureAwait(false);

        public async ValueTask OnConfigReloadAsync(ConfigReload reload, CancellationToken cancellationToken)
        {
            if (reload.Errors is { } errors)
            {
                await CommandSupport.WriteConfigErrorsAsync(error, errors, "still running the previous config").ConfigureAwait(false);
                return;
            }

            await error.WriteLineAsync(reload.Outcome == ConfigReloadOutcome.Applied ? $"faultline monitor: {reload.Message}" : $"faultline: {reload.Message}").ConfigureAwait(false);
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
        public async Task RunLiveAsync(MonitorHost host, CancellationToken cancellationToken)
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
                        context.UpdateTarget(Render(await host.SnapshotAsync(cancellationToken).ConfigureAwait(false), now.GetUtcNow()));
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
