using System.Net;
using System.Net.Sockets;
using Faultline.Core.Model;
using Faultline.Monitor.Metrics;

namespace Faultline.Monitor.Tests.Metrics;

public sealed class MetricsEndpointTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 11, 26, 3, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset CertificateExpiry = new(2027, 2, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly HttpClient http = new();
    private readonly MonitorMetrics metrics = new();

    public void Dispose()
    {
        http.Dispose();
        metrics.Dispose();
    }

    [Fact]
    public async Task Scrape_AfterPassingHttpResult_ExposesSuccessPhasesStatusAndCertificate()
    {
        await using var endpoint = await StartAsync();

        metrics.RecordResult(Result("web", Passing()), TimeSpan.FromMilliseconds(12));
        var (samples, types) = await ScrapeAsync(endpoint);

        Assert.Equal(1, samples.Single("faultline_probe_success", ("target", "web"), ("kind", "http")));
        Assert.Equal("gauge", types["faultline_probe_success"]);
        Assert.Equal(0.002, samples.Single("faultline_probe_duration_seconds", ("target", "web"), ("phase", "dns")), 6);
        Assert.Equal(0.003, samples.Single("faultline_probe_duration_seconds", ("target", "web"), ("phase", "connect")), 6);
        Assert.Equal(0.010, samples.Single("faultline_probe_duration_seconds", ("target", "web"), ("phase", "tls")), 6);
        Assert.Equal(0.020, samples.Single("faultline_probe_duration_seconds", ("target", "web"), ("phase", "first_byte")), 6);
        Assert.Equal(0.001, samples.Single("faultline_probe_duration_seconds", ("target", "web"), ("phase", "transfer")), 6);
        Assert.Equal(0.036, samples.Single("faultline_probe_duration_seconds", ("target", "web"), ("phase", "total")), 6);
        Assert.Equal("gauge", types["faultline_probe_duration_seconds"]);
        Assert.Equal(200, samples.Single("faultline_probe_http_status_code", ("target", "web")));
        Assert.Equal(CertificateExpiry.ToUnixTimeSeconds(), samples.Single("faultline_cert_expiry_timestamp_seconds", ("target", "web")));
        Assert.Equal(1, samples.Single("faultline_probes_total", ("target", "web"), ("kind", "http"), ("status", "pass")));
        Assert.Equal("counter", types["faultline_probes_total"]);
        Assert.Equal(1, samples.Single("faultline_probe_latency_seconds_count", ("target", "web"), ("kind", "http")));
        Assert.Equal(1, samples.Single("faultline_probe_latency_seconds_bucket", ("target", "web"), ("le", "0.05")));
        Assert.Equal(0, samples.Single("faultline_probe_latency_seconds_bucket", ("target", "web"), ("le", "0.025")));
        Assert.Equal("histogram", types["faultline_probe_latency_seconds"]);
        Assert.Empty(samples.Named("faultline_probe_failures_total"));
    }

    [Fact]
    public async Task Scrape_AfterFailures_CountsThemByLayerSideAndErrorKind()
    {
        await using var endpoint = await StartAsync();

        var refused = Failing(Layer.Database, Side.Infrastructure, new ResultError(ErrorKind.ConnectionRefused.Wire(), "connect refused"));
        metrics.RecordResult(Result("db", refused with { Kind = "postgres" }), TimeSpan.Zero);
        metrics.RecordResult(Result("db", refused with { Kind = "postgres" }), TimeSpan.Zero);
        metrics.RecordResult(Result("api", Failing(Layer.Application, Side.Application, error: null)), TimeSpan.Zero);
        var (samples, types) = await ScrapeAsync(endpoint);

        Assert.Equal(0, samples.Single("faultline_probe_success", ("target", "db"), ("kind", "postgres")));
        Assert.Equal(2, samples.Single("faultline_probe_failures_total", ("target", "db"), ("layer", "database"), ("side", "infrastructure"), ("error_kind", "connection-refused")));
        Assert.Equal(1, samples.Single("faultline_probe_failures_total", ("target", "api"), ("layer", "application"), ("side", "application"), ("error_kind", MonitorMetrics.ConditionFailed)));
        Assert.Equal("counter", types["faultline_probe_failures_total"]);
        Assert.Equal(2, samples.Single("faultline_probes_total", ("target", "db"), ("status", "fail")));
        Assert.Empty(samples.Named("faultline_cert_expiry_timestamp_seconds", ("target", "db")));
    }

    [Fact]
    public async Task Scrape_AfterStateChanges_ShowsCurrentStateAndOpenIncidents()
    {
        await using var endpoint = await StartAsync();

        metrics.RecordState(State("db", TargetState.Pending, TargetState.Down, incident: 7));
        metrics.RecordState(State("api", TargetState.Up, TargetState.Down, incident: 7));
        metrics.RecordState(State("cache", TargetState.Up, TargetState.Down, incident: 8));
        metrics.RecordState(State("web", TargetState.Pending, TargetState.Up, incident: null));
        var (first, types) = await ScrapeAsync(endpoint);
        metrics.RecordState(State("cache", TargetState.Down, TargetState.Up, incident: null));
        var (second, _) = await ScrapeAsync(endpoint);

        Assert.Equal(1, first.Single("faultline_target_state", ("target", "db"), ("state", "down")));
        Assert.Equal(0, first.Single("faultline_target_state", ("target", "db"), ("state", "up")));
        Assert.Equal(["degraded", "down", "error", "flapping", "pending", "up"], first.Named("faultline_target_state", ("target", "db")).Select(s => s.Labels["state"]).Order());
        Assert.Equal(1, first.Single("faultline_target_state", ("target", "web"), ("state", "up")));
        Assert.Equal(2, first.Single("faultline_incidents_open"));
        Assert.Equal("gauge", types["faultline_incidents_open"]);
        Assert.Equal(1, second.Single("faultline_incidents_open"));
        Assert.Equal(1, second.Single("faultline_target_state", ("target", "cache"), ("state", "up")));
        Assert.Equal(1, second.Single("faultline_state_changes_total", ("target", "cache"), ("state", "down")));
        Assert.Equal(1, second.Single("faultline_state_changes_total", ("target", "cache"), ("state", "up")));
    }

    [Fact]
    public async Task Scrape_AfterAlertsAndLag_CountsAlertsPerChannelAndLagHistogram()
    {
        await using var endpoint = await StartAsync();

        metrics.RecordAlert(Alert(AlertEventKind.Open, "ops", "pager"));
        metrics.RecordAlert(Alert(AlertEventKind.Resolve, "ops"));
        metrics.RecordResult(Result("web", Passing()), TimeSpan.FromMilliseconds(3));
        metrics.RecordResult(Result("web", Passing()), TimeSpan.FromMilliseconds(300));
        var (samples, types) = await ScrapeAsync(endpoint);

        Assert.Equal(1, samples.Single("faultline_alerts_total", ("channel", "ops"), ("event", "open")));
        Assert.Equal(1, samples.Single("faultline_alerts_total", ("channel", "pager"), ("event", "open")));
        Assert.Equal(1, samples.Single("faultline_alerts_total", ("channel", "ops"), ("event", "resolve")));
        Assert.Equal("histogram", types["faultline_schedule_lag_seconds"]);
        Assert.Equal(2, samples.Single("faultline_schedule_lag_seconds_count"));
        Assert.Equal(0.303, samples.Single("faultline_schedule_lag_seconds_sum"), 6);
        Assert.Equal(1, samples.Single("faultline_schedule_lag_seconds_bucket", ("le", "0.005")));
        Assert.Equal(2, samples.Single("faultline_schedule_lag_seconds_bucket", ("le", "0.5")));
    }

    [Fact]
    public async Task Scrape_TargetRemoved_StopsReportingItsGauges()
    {
        await using var endpoint = await StartAsync();

        metrics.RecordResult(Result("old", Passing()), TimeSpan.Zero);
        metrics.RecordState(State("old", TargetState.Pending, TargetState.Up, incident: null));
        var (before, _) = await ScrapeAsync(endpoint);
        metrics.RemoveTarget("old");
        var (samples, _) = await ScrapeAsync(endpoint);

        Assert.Single(before.Named("faultline_probe_success", ("target", "old")));

        Assert.Empty(samples.Named("faultline_probe_success", ("target", "old")));
        Assert.Empty(samples.Named("faultline_target_state", ("target", "old")));
    }

    [Fact]
    public async Task Scrape_AnotherMonitorMetricsInTheProcess_IsNotMixedIn()
    {
        await using var endpoint = await StartAsync();
        using var other = new MonitorMetrics();

        other.RecordResult(Result("elsewhere", Passing()), TimeSpan.Zero);
        metrics.RecordResult(Result("mine", Passing()), TimeSpan.Zero);
        var (samples, _) = await ScrapeAsync(endpoint);

        Assert.Single(samples.Named("faultline_probe_success", ("target", "mine")));
        Assert.DoesNotContain(samples, s => s.Labels.Values.Contains("elsewhere"));
    }

    [Fact]
    public async Task Get_OtherPath_IsNotFound()
    {
        await using var endpoint = await StartAsync();

        using var response = await http.GetAsync(new Uri($"http://{endpoint.LocalEndPoint}/"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("/metrics", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_PortInUse_ThrowsAPrintableIOException()
    {
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var taken = (IPEndPoint)occupant.LocalEndpoint;

        var error = await Assert.ThrowsAsync<IOException>(() => MetricsEndpoint.StartAsync(taken, metrics, CancellationToken.None));

        Assert.Equal($"metrics endpoint {taken}: the address is already in use (another process listens there); pick another port", error.Message);
    }

    private Task<MetricsEndpoint> StartAsync() =>
        MetricsEndpoint.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), metrics, CancellationToken.None);

    private async Task<(IReadOnlyList<Sample> Samples, IReadOnlyDictionary<string, string> Types)> ScrapeAsync(MetricsEndpoint endpoint)
    {
        Assert.NotEqual(0, endpoint.LocalEndPoint.Port);
        using var response = await http.GetAsync(endpoint.Url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    private static ResultEvent Result(string target, TargetResult result) => new()
    {
        Target = target,
        ScheduledAt = At,
        StartedAt = At,
        Result = result with { Name = target },
    };

    private static TargetResult Passing() => new()
    {
        Name = "web",
        Kind = "http",
        Target = "https://127.0.0.1:8443/health",
        Status = ResultStatus.Pass,
        DurationMs = 36,
        Phases = new PhaseTimings { DnsMs = 2, ConnectMs = 3, TlsMs = 10, FirstByteMs = 20, TransferMs = 1 },
        Observation = new Observation
        {
            Target = "https://127.0.0.1:8443/health",
            Connected = true,
            Http = new HttpObservation { StatusCode = 200 },
            Tls = new TlsObservation
            {
                Leaf = new CertificateInfo { Subject = "CN=web", Issuer = "CN=ca", NotAfter = CertificateExpiry.AddDays(300) },
                Chain = [new CertificateInfo { Subject = "CN=ca", Issuer = "CN=ca", NotAfter = CertificateExpiry }],
            },
        },
    };

    private static TargetResult Failing(Layer layer, Side side, ResultError? error) => new()
    {
        Name = "x",
        Kind = "http",
        Target = "http://127.0.0.1:1/",
        Status = ResultStatus.Fail,
        Layer = layer,
        Side = side,
        Error = error,
        DurationMs = 5,
    };

    private static StateEvent State(string target, TargetState from, TargetState to, long? incident) => new()
    {
        Target = target,
        At = At,
        From = from,
        To = to,
        IncidentId = incident,
    };

    private static AlertEvent Alert(AlertEventKind kind, params string[] channels) => new()
    {
        Event = kind,
        At = At,
        Incident = new IncidentInfo { Id = 1, Target = "db", Layer = Layer.Database, Side = Side.Infrastructure, Signature = "database/connection-refused", StartedAt = At },
        Summary = "db down",
        Channels = channels,
    };
}
