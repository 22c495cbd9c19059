using System.Globalization;
using Faultline.Cli.Commands;
using Faultline.TestSupport;
using static Faultline.Cli.Tests.MonitorHarness;

namespace Faultline.Cli.Tests;

/// <summary>
/// <c>faultline_probes_in_flight</c>: a monitor probing a hung PostgreSQL (it accepts, then never answers)
/// again and again never piles up probes — each ends itself at its 1 s deadline, so the gauge is back to
/// 0 between probes and never above 1.
/// </summary>
public sealed class MonitorInFlightTests
{
    [Fact]
    public async Task Monitor_HungPostgresProbedManyTimes_InFlightReturnsToZeroBetweenProbes()
    {
        await using var hung = TestServers.Hung();
        using var dir = new CliHarness.TempDir();
        var file = dir.Write("m.yaml", $$"""
            targets:
              - name: db
                kind: postgres
                connectionString: "postgres://faultline:x1y2z3w4@127.0.0.1:{{hung.Port}}/faultline"
                timeout: 1s
                interval: 2s
            """);
        using var output = new Captured();
        using var error = new Captured();
        using var cts = new CancellationTokenSource();
        using var http = new HttpClient();
        var request = new MonitorCommand.MonitorRequest(file, "none", "json", Quiet: false, Metrics: "127.0.0.1:0", Color: false, Live: false, Verbose: false);

        var run = MonitorCommand.RunAsync(request, output.Writer, error.Writer, cts.Token);
        await WaitForAsync(() => error.Text.Contains("http://127.0.0.1:", StringComparison.Ordinal), run, error);
        var url = error.Text.Split(' ', '\n', ';', ',').First(w => w.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));

        var samples = new List<double>();
        var zeroAfterFourth = false;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            samples.Add(await InFlightAsync(http, url));
            var probed = Lines(output).Count(l => l.Contains("\"type\":\"result\"", StringComparison.Ordinal));
            if (probed >= 4 && samples[^1] == 0)
            {
                zeroAfterFourth = true;
                break;
            }

            await Task.Delay(50);
        }

        await cts.CancelAsync();
        Assert.Equal(0, await run);
        Assert.True(zeroAfterFourth, $"faultline_probes_in_flight never came back to 0 after 4 probes; samples: {string.Join(' ', samples)}");
        Assert.True(samples.Max() <= 1, $"probes piled up: faultline_probes_in_flight reached {samples.Max()}");
        Assert.Contains("read-timeout", output.Text, StringComparison.Ordinal);
    }

    private static async Task<double> InFlightAsync(HttpClient http, string url)
    {
        var text = await http.GetStringAsync(new Uri(url));
        var line = text.Split('\n').Single(l => l.StartsWith("faultline_probes_in_flight ", StringComparison.Ordinal) || l.StartsWith("faultline_probes_in_flight{", StringComparison.Ordinal));
        return double.Parse(line[(line.LastIndexOf(line.Contains('}', StringComparison.Ordinal) ? '}' : ' ') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
