using Faultline.AspNetCore.Health;
using Faultline.Core.Config;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Faultline probes as ASP.NET Core health checks.</summary>
public static class FaultlineHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a health check named after <paramref name="target"/> that runs its Faultline probe (any kind
    /// AddFaultline knows). A failure is <paramref name="failureStatus"/> (default Unhealthy; Degraded when the
    /// target is not critical); the result's data carries <c>layer</c>, <c>side</c>, <c>errorKind</c>,
    /// <c>critical</c> and <c>remedy</c>, and its description the typed error message (never a secret).
    /// Needs <c>AddFaultline</c> (it uses the same probes and redaction).
    /// </summary>
    public static IHealthChecksBuilder AddFaultlineProbe(this IHealthChecksBuilder builder, TargetSpec target, HealthStatus? failureStatus = null, IEnumerable<string>? tags = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(target);
        return builder.Add(new HealthCheckRegistration(
            target.Name,
            sp => ActivatorUtilities.CreateInstance<FaultlineProbeHealthCheck>(sp, target),
            failureStatus,
            tags,
            timeout));
    }
}
