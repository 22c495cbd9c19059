using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Faultline.Core.Model;

namespace Faultline.Monitor.Metrics;

/// <summary>
/// The monitor's metrics, on the <see cref="MeterName"/> meter, named in the spirit of blackbox_exporter
/// (docs/monitor.md has the table). Gauges hold the last value per target; counters and histograms accumulate.
/// Thread-safe: the engine records from many probes at once.
/// </summary>
public sealed class MonitorMetrics : IDisposable
{
    /// <summary>The <see cref="System.Diagnostics.Metrics.Meter"/> name; an OpenTelemetry <c>MeterProvider</c> subscribes with <c>AddMeter(MeterName)</c>.</summary>
    public const string MeterName = "Faultline.Monitor";

    /// <summary>The phase label values of <c>faultline_probe_duration_seconds</c>.</summary>
    public static IReadOnlyList<string> Phases { get; } = ["dns", "connect", "tls", "first_byte", "transfer", "total"];

    private static readonly double[] LatencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
    private static readonly double[] LagBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private Func<int> inFlight = () => 0;

    private readonly ConcurrentDictionary<string, ProbeFacts> probes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StateFacts> states = new(StringComparer.Ordinal);
    private readonly Counter<long> probesTotal;
    private readonly Counter<long> failuresTotal;
    private readonly Counter<long> alertsTotal;
    private readonly Counter<long> stateChangesTotal;
    private readonly Counter<long> targetErrorsTotal;
    private readonly Histogram<double> latency;
    private readonly Histogram<double> scheduleLag;

    public MonitorMetrics()
    {
        Meter = new Meter(MeterName);
        Meter.CreateObservableGauge("faultline_probe_success", ObserveSuccess, unit: null, description: "1 when the target's last probe passed (pass or warn), 0 when it failed");
        Meter.CreateObservableGauge("faultline_probe_duration_seconds", ObserveDurations, unit: "s", description: "Duration of the target's last probe by phase (dns, connect, tls, first_byte, transfer, total)");
        Meter.CreateObservableGauge("faultline_probe_http_status_code", ObserveStatusCodes, unit: null, description: "HTTP status code of the target's last answer");
        Meter.CreateObservableGauge("faultline_cert_expiry_timestamp_seconds", ObserveCertificates, unit: "s", description: "Unix time when the earliest-expiring certificate the target presented expires");
        Meter.CreateObservableGauge("faultline_target_state", ObserveStates, unit: null, description: "1 for the target's current monitor state (pending, up, degraded, down, flapping, error), 0 for the others");
        Meter.CreateObservableGauge("faultline_incidents_open", ObserveIncidents, unit: null, description: "Incidents currently open");
        Meter.CreateObservableGauge("faultline_probes_in_flight", () => inFlight(), unit: null, description: "Probes whose work has not ended yet, including any the runner stopped waiting for at their deadline; back to 0 between probes");
        probesTotal = Meter.CreateCounter<long>("faultline_probes_total", unit: null, description: "Probes run, by target, kind and status (pass, warn, fail)");
        failuresTotal = Meter.CreateCounter<long>("faultline_probe_failures_total", unit: null, description: "Failed probes by target, attributed layer, side and error kind");
        alertsTotal = Meter.CreateCounter<long>("faultline_alerts_total", unit: null, description: "Alerts raised, by channel and event (open, resolve, reminder)");
        stateChangesTotal = Meter.CreateCounter<long>("faultline_state_changes_total", unit: null, description: "Target state changes, by target and the state entered");
        targetErrorsTotal = Meter.CreateCounter<long>("faultline_target_errors_total", unit: null, description: "Attempts to probe the target that failed in the monitor itself (its probe or its schedule threw), by target");
        latency = Meter.CreateHistogram("faultline_probe_latency_seconds", unit: "s", description: "Distribution of total probe durations by target and kind", tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        scheduleLag = Meter.CreateHistogram("faultline_schedule_lag_seconds", unit: "s", description: "How late probes started relative to their due time (after jitter)", tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LagBuckets });
    }

    /// <summary>The meter every instrument above lives on.</summary>
    public Meter Meter { get; }

    /// <summary>Records one probe result: success, durations, status code, certificate expiry, failures, the schedule lag.</summary>
    public void RecordResult(ResultEvent result, TimeSpan scheduleLag)
    {
        ArgumentNullException.ThrowIfNull(result);
        var r = result.Result;
        var target = result.Target;
        var facts = new ProbeFacts(
            r.Kind,
            r.Status != ResultStatus.Fail,
            r.DurationMs / 1000,
            r.Phases,
            r.Observation?.Http?.StatusCode,
            EarliestExpiry(r.Observation?.Tls));
        probes[target] = facts;

        probesTotal.Add(1, new("target", target), new("kind", r.Kind), new("status", r.Status.Wire()));
        latency.Record(facts.TotalSeconds, new("target", target), new("kind", r.Kind));
        this.scheduleLag.Record(Math.Max(0, scheduleLag.TotalSeconds));
        if (r.Status == ResultStatus.Fail)
        {
            failuresTotal.Add(
                1,
                new("target", target),
                new("layer", (r.Layer ?? Layer.Unknown).Wire()),
                new("side", r.Side?.Wire() ?? "unknown"),
                new("error_kind", r.Error?.Kind ?? ConditionFailed));
        }
    }

    /// <summary>The <c>error_kind</c> label of a failure no probe error explains (a condition did not hold).</summary>
    public const string ConditionFailed = "condition-failed";

    /// <summary>Records a state change: the target's current state and its open incident.</summary>
    public void RecordState(StateEvent state)
    {
        ArgumentNullException.ThrowIfNull(state);
        states[state.Target] = new StateFacts(state.To, state.To == TargetState.Up || state.To == TargetState.Pending ? null : state.IncidentId);
        stateChangesTotal.Add(1, new("target", state.Target), new("state", StateName(state.To)));
    }

    /// <summary>Counts one failed attempt to probe a target (the monitor's own failure, not the target's).</summary>
    /// <summary>Where <c>faultline_probes_in_flight</c> reads its value (the runner's <c>InFlightProbes</c>).</summary>
    public void ObserveProbesInFlight(Func<int> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        inFlight = source;
    }

    public void RecordTargetError(TargetErrorEvent error)
    {
        ArgumentNullException.ThrowIfNull(error);
        targetErrorsTotal.Add(1, new KeyValuePair<string, object?>("target", error.Target));
    }

    /// <summary>Counts an alert once per channel it names.</summary>
    public void RecordAlert(AlertEvent alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var eventName = Alerts.AlertPayloads.EventName(alert.Event);
        foreach (var channel in alert.Channels)
        {
            alertsTotal.Add(1, new("channel", channel), new("event", eventName));
        }
    }

    /// <summary>Forgets a target that left the configuration, so its gauges stop being reported.</summary>
    public void RemoveTarget(string target)
    {
        probes.TryRemove(target, out _);
        states.TryRemove(target, out _);
    }

    public void Dispose() => Meter.Dispose();

    internal static string StateName(TargetState state) => state.ToString().ToLowerInvariant();

    private static double? EarliestExpiry(TlsObservation? tls)
    {
        if (tls is null)
        {
            return null;
        }

        DateTimeOffset? earliest = tls.Leaf?.NotAfter;
        foreach (var certificate in tls.Chain)
        {
            if (earliest is null || certificate.NotAfter < earliest)
            {
                earliest = certificate.NotAfter;
            }
        }

        return earliest?.ToUnixTimeSeconds();
    }

    private IEnumerable<Measurement<int>> ObserveSuccess()
    {
        foreach (var (target, facts) in probes)
        {
            yield return new(facts.Success ? 1 : 0, new("target", target), new("kind", facts.Kind));
        }
    }

    private IEnumerable<Measurement<double>> ObserveDurations()
    {
        foreach (var (target, facts) in probes)
        {
            var phases = facts.Phases;
            foreach (var (phase, ms) in new[]
            {
                ("dns", phases.DnsMs), ("connect", phases.ConnectMs), ("tls", phases.TlsMs),
                ("first_byte", phases.FirstByteMs), ("transfer", phases.TransferMs),
            })
            {
                if (ms is { } value)
                {
                    yield return new(value / 1000, new("target", target), new("kind", facts.Kind), new("phase", phase));
                }
            }

            yield return new(facts.TotalSeconds, new("target", target), new("kind", facts.Kind), new("phase", "total"));
        }
    }

    private IEnumerable<Measurement<int>> ObserveStatusCodes()
    {
        foreach (var (target, facts) in probes)
        {
            if (facts.StatusCode is { } code)
            {
                yield return new(code, new KeyValuePair<string, object?>("target", target));
            }
        }
    }

    private IEnumerable<Measurement<double>> ObserveCertificates()
    {
        foreach (var (target, facts) in probes)
        {
            if (facts.CertificateExpiry is { } expiry)
            {
                yield return new(expiry, new KeyValuePair<string, object?>("target", target));
            }
        }
    }

    private IEnumerable<Measurement<int>> ObserveStates()
    {
        foreach (var (target, facts) in states)
        {
            foreach (var state in Enum.GetValues<TargetState>())
            {
                yield return new(state == facts.State ? 1 : 0, new("target", target), new("state", StateName(state)));
            }
        }
    }

    private int ObserveIncidents() =>
        states.Values.Select(s => s.IncidentId).OfType<long>().Distinct().Count();

    private sealed record ProbeFacts(string Kind, bool Success, double TotalSeconds, PhaseTimings Phases, int? StatusCode, double? CertificateExpiry);

    private sealed record StateFacts(TargetState State, long? IncidentId);
}
