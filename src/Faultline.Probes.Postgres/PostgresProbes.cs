using Faultline.Core.Running;

namespace Faultline.Probes.Postgres;

/// <summary>The <c>postgres</c> probe kind: layered DNS → TCP → TLS → startup/auth → query → headroom.</summary>
public static class PostgresProbes
{
    /// <summary>A probe for <c>kind: postgres</c> targets. Stateless; one instance may serve every target.</summary>
    public static IProbe Create() => new PostgresProbe();
}
