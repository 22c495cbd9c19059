using Faultline.AspNetCore.Options;
using Faultline.AspNetCore.Probing;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Faultline.AspNetCore.Health;

/// <summary>A Faultline probe as an <see cref="IHealthCheck"/>: probe, conditions and classification, with typed data.</summary>
internal sealed class FaultlineProbeHealthCheck(TargetSpec target, ProbeRunner runner, IOptions<FaultlineOptions> options, IHostEnvironment environment) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var value = options.Value;
        var timeout = target.Timeout ?? value.Health.CheckTimeout ?? Startup.ProfileDefaults.HealthCheckTimeout(FaultlineOptionsReader.ProfileOf(value, environment));
        var result = await runner.RunAsync(target, timeout, cancellationToken).ConfigureAwait(false);
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [HealthCheckData.Layer] = (result.Layer ?? DependencyEvaluator.LayerOf(target.Kind)).Wire(),
            [HealthCheckData.Critical] = target.Critical,
            ["latencyMs"] = result.DurationMs,
        };
        if (result.Status == ResultStatus.Pass)
        {
            return HealthCheckResult.Healthy($"{target.Kind} {result.Target}", data);
        }

        if (result.Side is { } side)
        {
            data[HealthCheckData.Side] = side.Wire();
        }

        if (result.Error is { } error)
        {
            data[HealthCheckData.ErrorKind] = error.Kind;
        }

        if (result.Remedy is { } remedy)
        {
            data[HealthCheckData.Remedy] = remedy;
        }

        var description = result.Error?.Message ?? ProbeRunner.ErrorOf(result).Message;
        if (result.Status == ResultStatus.Warn)
        {
            return HealthCheckResult.Degraded(description, data: data);
        }

        var status = target.Critical ? context.Registration.FailureStatus : HealthStatus.Degraded;
        return new HealthCheckResult(status, description, data: data);
    }
}
