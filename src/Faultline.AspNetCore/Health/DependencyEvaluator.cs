using Faultline.AspNetCore.Options;
using Faultline.AspNetCore.Pools;
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
/// never turns into dependency load. A dependency whose pool a driver package built also reports the pool's use,
/// read from the driver's own counters: 80 % busy or more makes it degraded, full with requests waiting unhealthy.
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
    IEnumerable<IPoolUsageReader> pools,
    ILogger<DependencyEvaluator> logger) : BackgroundService
{
    private readonly Dictionary<string, IPoolUsageReader> _pools = pools.ToDictionary(p => p.Dependency, StringComparer.Ordinal);

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
            return WithPool(target, Rejected(target, breaker.LastError, previous), previous);
        }

        if (result is null)
        {
            return WithPool(target, Rejected(target, breaker.LastError, previous), previous);
        }

        var status = result.Status switch
        {
            ResultStatus.Pass => ComponentStatus.Healthy,
            ResultStatus.Warn => ComponentStatus.Degraded,
            _ => ComponentStatus.Unhealthy,
        };
        return WithPool(
            target,
            new ComponentState
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
            },
            previous);
    }

    /// <summary>
    /// Adds the pool's use to <paramref name="component"/> and lets it judge: a failed check says more than the pool
    /// and stands; otherwise a pool full with requests waiting makes the component unhealthy (pool-exhausted: the
    /// check's own unpooled connection got through, so the wait is in the service) and 80 % busy makes it degraded.
    /// Pool saturation never counts against the circuit breaker, which guards the check alone.
    /// </summary>
    private ComponentState WithPool(TargetSpec target, ComponentState component, ComponentState? previous)
    {
        if (!_pools.TryGetValue(target.Name, out var reader) || reader.Read() is not { } usage)
        {
            return component;
        }

        var load = PoolJudge.Judge(usage);
        if (load != (previous?.Pool is { } before ? PoolJudge.Judge(before) : PoolLoad.Normal))
        {
            if (load == PoolLoad.Normal)
            {
                LogPoolNormal(logger, target.Name, usage.Busy, usage.Max);
            }
            else
            {
                LogPoolLoaded(logger, target.Name, load == PoolLoad.Exhausted ? "exhausted" : "above 80 %", usage.Busy, usage.Max, usage.Waiting);
            }
        }

        var withPool = component with { Pool = usage };
        if (load == PoolLoad.Normal || component.Status is ComponentStatus.Unhealthy or ComponentStatus.Unknown)
        {
            return withPool;
        }

        var error = new ProbeError(ErrorKind.PoolExhausted, $"{usage.Busy} of {usage.Max} connections of the pool of '{target.Name}' busy, {usage.Waiting} requests waiting");
        var classification = Classifier.Classify(target, new Observation { Target = target.Name, Error = error }, []);
        if (load == PoolLoad.Exhausted)
        {
            return withPool with
            {
                Status = ComponentStatus.Unhealthy,
                Layer = classification.Layer,
                Side = classification.Side,
                ErrorKind = ErrorKind.PoolExhausted.Wire(),
                Remedy = classification.Remedy,
            };
        }

        return component.Status != ComponentStatus.Healthy
            ? withPool
            : withPool with
            {
                Status = ComponentStatus.Degraded,
                Side = classification.Side,
                Remedy = string.Create(
                    System.Globalization.CultureInfo.InvariantCulture,
                    $"the pool of '{target.Name}' has {usage.Busy} of {usage.Max} connections busy ({usage.Utilization:P0}); before it fills: {classification.Remedy}"),
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

    [LoggerMessage(EventId = 3032, Level = LogLevel.Warning, Message = "dependency {Dependency} connection pool {Load}: {Busy} of {Max} connections busy, {Waiting} requests waiting")]
    private static partial void LogPoolLoaded(ILogger logger, string dependency, string load, int busy, int max, int waiting);

    [LoggerMessage(EventId = 3033, Level = LogLevel.Information, Message = "dependency {Dependency} connection pool back under 80 %: {Busy} of {Max} connections busy")]
    private static partial void LogPoolNormal(ILogger logger, string dependency, int busy, int max);
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
