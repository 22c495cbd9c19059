using System.Net;
using Faultline.Monitor.Engine;
using Faultline.Monitor.Metrics;
using Faultline.Monitor.Tests.Engine;

namespace Faultline.Monitor.Tests.Metrics;

/// <summary>A target the monitor fails to probe: counted in <c>faultline_target_errors_total</c>, shown as <c>error</c> in <c>faultline_target_state</c>.</summary>
public sealed class TargetErrorMetricsTests : IDisposable
{
    private readonly HttpClient http = new();
    private readonly MonitorMetrics metrics = new();

    public void Dispose()
    {
        http.Dispose();
        metrics.Dispose();
    }

    [Fact]
    public async Task Scrape_ProbeFunctionThrowsTwiceThenWorks_ErrorsCountedAndStateFollows()
    {
        await using var endpoint = await MetricsEndpoint.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), metrics, CancellationToken.None);
        var target = EngineHarness.Target("api", failureThreshold: 5, successThreshold: 1);
        await using var h = new EngineHarness(EngineHarness.Config(target, EngineHarness.Target("web", successThreshold: 1)), sink: recording => new MetricsSink(recording, metrics));
        h.Probe.Throw("api", new InvalidOperationException("broken"));

        await h.ProbesAsync("api", 2);
        var (samples, types) = await ScrapeAsync(endpoint);

        Assert.Equal(2, samples.Single("faultline_target_errors_total", ("target", "api")));
        Assert.Equal("counter", types["faultline_target_errors_total"]);
        Assert.Empty(samples.Named("faultline_target_errors_total", ("target", "web")));
        Assert.Equal(1, samples.Single("faultline_target_state", ("target", "api"), ("state", "error")));
        Assert.Equal(0, samples.Single("faultline_target_state", ("target", "api"), ("state", "pending")));
        Assert.Equal(1, samples.Single("faultline_state_changes_total", ("target", "api"), ("state", "error")));

        h.Probe.StopThrowing("api");
        await h.ProbesAsync("api");
        (samples, _) = await ScrapeAsync(endpoint);

        Assert.Equal(2, samples.Single("faultline_target_errors_total", ("target", "api")));
        Assert.Equal(0, samples.Single("faultline_target_state", ("target", "api"), ("state", "error")));
        Assert.Equal(1, samples.Single("faultline_target_state", ("target", "api"), ("state", "up")));
    }

    private async Task<(IReadOnlyList<Sample> Samples, IReadOnlyDictionary<string, string> Types)> ScrapeAsync(MetricsEndpoint endpoint) =>
        PrometheusText.Parse(await http.GetStringAsync(endpoint.Url));

    /// <summary>Records everything and feeds the metrics as the CLI does.</summary>
    private sealed class MetricsSink(RecordingSink recording, MonitorMetrics metrics) : IMonitorSink, IMonitorErrorSink
    {
        public ValueTask OnResultAsync(ResultEvent result, CancellationToken cancellationToken)
        {
            metrics.RecordResult(result, result.StartedAt - result.ScheduledAt);
            return recording.OnResultAsync(result, cancellationToken);
        }

        public ValueTask OnStateAsync(StateEvent state, CancellationToken cancellationToken)
        {
            metrics.RecordState(state);
            return recording.OnStateAsync(state, cancellationToken);
        }

        public ValueTask OnAlertAsync(AlertEvent alert, CancellationToken cancellationToken)
        {
            metrics.RecordAlert(alert);
            return recording.OnAlertAsync(alert, cancellationToken);
        }

        public ValueTask OnTargetErrorAsync(TargetErrorEvent error, CancellationToken cancellationToken)
        {
            metrics.RecordTargetError(error);
            return ValueTask.CompletedTask;
        }
    }
}
