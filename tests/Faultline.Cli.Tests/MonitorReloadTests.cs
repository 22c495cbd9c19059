using System.Diagnostics;
using Faultline.Cli.Commands;
using Faultline.TestSupport;
using static Faultline.Cli.Tests.MonitorHarness;

namespace Faultline.Cli.Tests;

/// <summary>
/// <c>faultline monitor</c> (in-process, real file watcher) keeps running the previous config whatever a saved file
/// does to a reload, says so in one line, and applies the next valid edit.
/// </summary>
public sealed class MonitorReloadTests
{
    private const string StillRunning = "still running the previous config";

    [Fact]
    public async Task Monitor_ConfigNestedTooDeepForTheParser_ReportedAndNextValidEditApplied()
    {
        await using var monitor = await RunningMonitor.StartAsync();

        File.WriteAllText(monitor.File, "targets: " + new string('[', 100_000) + "\n");
        await monitor.WaitForStillRunningAsync(1);
        Assert.Contains("nests mappings and lists more than 64 levels", monitor.Error.Text, StringComparison.Ordinal);

        await monitor.AppliesAnotherEditAsync();
    }

    [Fact]
    public async Task Monitor_ConfigReplacedByFifo_ReportedWithoutReadingItAndNextValidEditApplied()
    {
        await using var monitor = await RunningMonitor.StartAsync();

        File.Delete(monitor.File);
        using (var mkfifo = Process.Start("mkfifo", monitor.File))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        await monitor.WaitForStillRunningAsync(1);
        Assert.Contains("not a regular file", monitor.Error.Text, StringComparison.Ordinal);

        File.Delete(monitor.File);
        await monitor.AppliesAnotherEditAsync();
    }

    [Fact]
    public async Task Monitor_ConfigReplacedByADirectoryThenBrokenThenDeleted_EachReportedAndNextValidEditApplied()
    {
        await using var monitor = await RunningMonitor.StartAsync();

        File.Delete(monitor.File);
        Directory.CreateDirectory(monitor.File);
        await monitor.WaitForStillRunningAsync(1);
        Assert.Contains("is now a directory", monitor.Error.Text, StringComparison.Ordinal);

        Directory.Delete(monitor.File);
        File.WriteAllText(monitor.File, "targets:\n  - name: [unclosed\n");
        await monitor.WaitForStillRunningAsync(2);

        File.Delete(monitor.File);
        await monitor.WaitForStillRunningAsync(3);
        Assert.Contains("config file not found", monitor.Error.Text, StringComparison.Ordinal);

        await monitor.AppliesAnotherEditAsync();
    }

    private static string Config(string url, string name) => $"""
        targets:
          - name: {name}
            kind: http
            url: {url}
            interval: 1s
            successThreshold: 1

        """;

    /// <summary>A monitor running a one-target config from a temporary directory, with --store none and JSON lines.</summary>
    private sealed class RunningMonitor : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly RawHttpServer _server;
        private Task<int> _run = null!;

        private RunningMonitor(RawHttpServer server) => _server = server;

        public CliHarness.TempDir Directory { get; } = new();

        public string File => System.IO.Path.Combine(Directory.Path, "m.yaml");

        public Captured Output { get; } = new();

        public Captured Error { get; } = new();

        public static async Task<RunningMonitor> StartAsync()
        {
            var monitor = new RunningMonitor(TestServers.Http(TestServers.RawResponse(200, "OK", "ok")));
            System.IO.File.WriteAllText(monitor.File, Config(monitor._server.BaseUrl + "/a", "first"));
            var request = new MonitorCommand.MonitorRequest(monitor.File, "none", "json", Quiet: false, Metrics: null, Color: false, Live: false, Verbose: false);
            monitor._run = MonitorCommand.RunAsync(request, monitor.Output.Writer, monitor.Error.Writer, monitor._stop.Token);
            await WaitForAsync(() => Lines(monitor.Output).Any(l => l.Contains("\"target\":\"first\"", StringComparison.Ordinal)), monitor._run, monitor.Error);
            return monitor;
        }

        public Task WaitForStillRunningAsync(int count) =>
            WaitForAsync(() => Error.Text.Split(StillRunning).Length - 1 >= count, _run, Error);

        /// <summary>A valid edit is applied (a new target is probed), the monitor stops cleanly, and nothing printed a stack trace.</summary>
        public async Task AppliesAnotherEditAsync()
        {
            System.IO.File.WriteAllText(File, Config(_server.BaseUrl + "/b", "second"));
            await WaitForAsync(() => Lines(Output).Any(l => l.Contains("\"target\":\"second\"", StringComparison.Ordinal)), _run, Error);
            await _stop.CancelAsync();

            Assert.Equal(0, await _run);
            Assert.Contains("config reloaded (1 targets)", Error.Text, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", Error.Text, StringComparison.Ordinal);
            Assert.DoesNotContain("Exception", Error.Text, StringComparison.Ordinal);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            if (_run.IsCompleted)
            {
                await _run;
            }

            await _server.DisposeAsync();
            _stop.Dispose();
            Output.Dispose();
            Error.Dispose();
            try
            {
                Directory.Dispose();
            }
            catch (IOException)
            {
                // A reload still blocked on a FIFO (only without the fix) holds nothing the test needs.
            }
        }
    }
}
