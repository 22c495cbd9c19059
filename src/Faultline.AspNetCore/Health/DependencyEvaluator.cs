using Faultline.AspNetCore.Options;
using Faultline.AspNetCore.Probing;
using Faultline.AspNetCore.Resilience;
using Faultline.Core.Classification;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;

namespace Faultline.AspNetCore.Health;

/// <summary>
/// Evaluates every dependency on <see cref="HealthOptions.Interval"/>, in the background: the Faultline
/// targets added with <c>AddDependency</c> (each through its circuit breaker) and the application's
/// <see cref="IHealthCheck"/> registrations. Endpoints serve the latest snapshot, so request load
/// never turns into dependency load.
/// </summary>
internal sealed partial class DependencyEvaluator(
    FaultlineBuilder builder,
    IOptions<FaultlineOptions> options,
    IHostEnvironment environment,
    ProbeRunner runner,
    BreakerRegistry breakers,
    HealthState health,
    IServiceProvider services,
    TimeProvider time,
    ILogger<DependencyEvaluator> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Settings are read before the first yield, while the host is still starting: a failure here fails the start, not a later round.
        var value = options.Value;
        var timeout = value.Health.CheckTimeout ?? Startup.ProfileDefaults.HealthCheckTimeout(FaultlineOptionsReader.ProfileOf(value, environment));
        await Task.Yield();
        var initial = builder.Dependencies.ToDictionary(
            d => d.Name,
            d => new ComponentState { Name = d.Name, Status = ComponentStatus.Unknown, Layer = LayerOf(d.Kind), Critical = d.Critical, Breaker = d.Name },
            StringComparer.Ordinal);
        health.Publish(initial, roundCompleted: false);
        var healthChecks = services.GetService(typeof(HealthCheckService)) as HealthCheckService;
        if (builder.Dependencies.Count == 0 && healthChecks is null)
        {
            return;
        }

        using var timer = new PeriodicTimer(value.Health.Interval, time);
        do
        {
            try
            {
                await EvaluateOnceAsync(timeout, healthChecks, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A round that crashes must not end background evaluation; the next round runs on schedule.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogRoundFailed(logger, ex);
            }
        }
        while (await WaitAsync(timer, stoppingToken).ConfigureAwait(false));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken token)
    {
        try
        {
            return await timer.WaitForNextTickAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    internal async Task EvaluateOnceAsync(TimeSpan timeout, HealthCheckService? healthChecks, CancellationToken cancellationToken)
    {
        var previous = health.Components;
        var checks = builder.Dependencies.Select(d => CheckAsync(d, timeout, previous.GetValueOrDefault(d.Name), cancellationToken)).ToList();
        var fromHealthChecks = healthChecks is null ? Task.FromResult<IReadOnlyList<ComponentState>>([]) : HealthChecksAsync(healthChecks, cancellationToken);
        var results = await Task.WhenAll(checks).ConfigureAwait(false);
        var components = new Dictionary<string, ComponentState>(StringComparer.Ordinal);
        foreach (var component in results)
        {
            components[component.Name] = component;
        }

        foreach (var component in await fromHealthChecks.ConfigureAwait(false))
        {
            var key = components.ContainsKey(component.Name) ? $"{component.Name} (health check)" : component.Name;
            components[key] = component with { Name = key };
        }

        health.Publish(components, roundCompleted: true);
    }

    private async Task<ComponentState> CheckAsync(TargetSpec target, TimeSpan timeout, ComponentState? previous, CancellationToken cancellationToken)
    {
        var breaker = breakers.Get(target.Name);
        TargetResult? result = null;
        try
        {
            await breaker.ExecuteAsync(
                async token =>
                {
                    result = await runner.RunAsync(target, target.Timeout ?? timeout, token).ConfigureAwait(false);
                    if (result.Status == ResultStatus.Fail && !token.IsCancellationRequested)
                    {
                        breaker.LastError = ProbeRunner.ErrorOf(result);
                        throw new DependencyFailedException();
                    }
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (DependencyFailedException)
        {
            LogDependencyFailed(logger, target.Name, result?.Error?.Kind ?? "condition-failed");
        }
        catch (BrokenCircuitException)
        {
            // Open circuit: the dependency is not asked; report the failure that opened it.
            return Rejected(target, breaker.LastError, previous);
        }

        if (result is null)
        {
            return Rejected(target, breaker.LastError, previous);
        }

        var status = result.Status switch
        {
            ResultStatus.Pass => ComponentStatus.Healthy,
            ResultStatus.Warn => ComponentStatus.Degraded,
            _ => ComponentStatus.Unhealthy,
        };
        return new ComponentState
        {
            Name = target.Name,
            Status = status,
            Layer = result.Layer ?? LayerOf(target.Kind),
            Side = status == ComponentStatus.Healthy ? null : result.Side,
            Critical = target.Critical,
            LatencyMs = result.DurationMs,
            LastCheckedAt = time.GetUtcNow(),
            ErrorKind = result.Error?.Kind,
            Remedy = status == ComponentStatus.Healthy ? null : result.Remedy,
            Breaker = target.Name,
        };
    }

    private ComponentState Rejected(TargetSpec target, ProbeError? last, ComponentState? previous)
    {
        var layer = LayerOf(target.Kind);
        Side? side = Classifier.SideOf(layer);
        string? remedy = null;
        if (last is not null)
        {
            var classification = Classifier.Classify(target, new Observation { Target = target.Name, Error = last }, []);
            layer = classification.Layer == Layer.Unknown ? layer : classification.Layer;
            side = classification.Side;
            remedy = classification.Remedy;
        }

        return new ComponentState
        {
            Name = target.Name,
            Status = ComponentStatus.Unhealthy,
            Layer = layer,
            Side = side,
            Critical = target.Critical,
            LatencyMs = previous?.LatencyMs,
            LastCheckedAt = previous?.LastCheckedAt,
            ErrorKind = last is null || ProbeRunner.IsCondition(last) ? previous?.ErrorKind : last.Kind.Wire(),
            Remedy = remedy ?? previous?.Remedy,
            Breaker = target.Name,
        };
    }

    private async Task<IReadOnlyList<ComponentState>> HealthChecksAsync(HealthCheckService healthChecks, CancellationToken cancellationToken)
    {
        var report = await healthChecks.CheckHealthAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var list = new List<ComponentState>();
        foreach (var (name, entry) in report.Entries)
        {
            var layer = entry.Data.TryGetValue(HealthCheckData.Layer, out var l) && l is string lw && TryLayer(lw, out var dataLayer) ? dataLayer
                : entry.Tags.Select(t => TryLayer(t, out var tagLayer) ? tagLayer : (Layer?)null).FirstOrDefault(t => t is not null) ?? Layer.Application;
            var status = entry.Status switch
            {
                HealthStatus.Healthy => ComponentStatus.Healthy,
                HealthStatus.Degraded => ComponentStatus.Degraded,
                _ => ComponentStatus.Unhealthy,
            };
            Side? side = status == ComponentStatus.Healthy ? null
                : entry.Data.TryGetValue(HealthCheckData.Side, out var s) && s is string sw && Enum.TryParse<Side>(sw, ignoreCase: true, out var dataSide) ? dataSide
                : entry.Tags.Contains("infrastructure", StringComparer.OrdinalIgnoreCase) ? Side.Infrastructure
                : entry.Tags.Contains("application", StringComparer.OrdinalIgnoreCase) ? Side.Application
                : Classifier.SideOf(layer, ErrorKindOf(entry));
            var critical = entry.Data.TryGetValue(HealthCheckData.Critical, out var c) && c is bool dataCritical
                ? dataCritical
                : !entry.Tags.Contains("optional", StringComparer.OrdinalIgnoreCase);
            list.Add(new ComponentState
            {
                Name = name,
                Status = status,
                Layer = layer,
                Side = side,
                Critical = critical,
                LatencyMs = Math.Round(entry.Duration.TotalMilliseconds, 1),
                LastCheckedAt = now,
                ErrorKind = status == ComponentStatus.Healthy ? null : entry.Data.TryGetValue(HealthCheckData.ErrorKind, out var k) ? k as string : null,
                Remedy = status == ComponentStatus.Healthy ? null : entry.Data.TryGetValue(HealthCheckData.Remedy, out var r) ? r as string : null,
                Breaker = breakers.Find(name) is null ? null : name,
            });
        }

        return list;
    }

    private static bool TryLayer(string text, out Layer layer)
    {
        foreach (var candidate in Enum.GetValues<Layer>())
        {
            if (string.Equals(candidate.Wire(), text, StringComparison.OrdinalIgnoreCase))
            {
                layer = candidate;
                return true;
            }
        }

        layer = Layer.Unknown;
        return false;
    }

    internal static Layer LayerOf(string kind) => kind switch
    {
        TargetKinds.Postgres => Layer.Database,
        TargetKinds.Redis => Layer.Cache,
        TargetKinds.Dns => Layer.Dns,
        TargetKinds.Tcp => Layer.Network,
        TargetKinds.Tls => Layer.Tls,
        TargetKinds.Secret => Layer.Configuration,
        _ => Layer.Application,
    };

    /// <summary>The error kind a health check put in its data (<see cref="HealthCheckData.ErrorKind"/>), when it is one Faultline knows.</summary>
    private static ErrorKind? ErrorKindOf(HealthReportEntry entry) =>
        entry.Data.TryGetValue(HealthCheckData.ErrorKind, out var value) && value is string wire && ErrorKinds.TryParseWire(wire, out var kind) ? kind : null;

    [LoggerMessage(EventId = 3030, Level = LogLevel.Warning, Message = "dependency {Dependency} check failed: {ErrorKind}")]
    private static partial void LogDependencyFailed(ILogger logger, string dependency, string errorKind);

    [LoggerMessage(EventId = 3031, Level = LogLevel.Error, Message = "a background evaluation round failed; the next round runs on schedule")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception);
}

/// <summary>Marks a dependency check that ran and failed, so its circuit breaker counts it.</summary>
internal sealed class DependencyFailedException : Exception
{
    public DependencyFailedException()
        : base("the dependency check failed")
    {
    }

    public DependencyFailedException(string message)
        : base(message)
    {
    }

    public DependencyFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Keys of <see cref="HealthCheckResult.Data"/> that Faultline reads and writes (health checks made by <c>AddFaultlineProbe</c> set them).</summary>
internal static class HealthCheckData
{
    public const string Layer = "layer";
    public const string Side = "side";
    public const string ErrorKind = "errorKind";
    public const string Critical = "critical";
    public const string Remedy = "remedy";
}
