using Faultline.Core.Running;

namespace Faultline.Probes.Redis;

/// <summary>The <c>redis</c> probe kind: layered DNS → TCP → TLS → AUTH → PING → INFO (→ SET with expiry).</summary>
public static class RedisProbes
{
    /// <summary>A probe for <c>kind: redis</c> targets. Stateless; each run owns and disposes its own connection.</summary>
    public static IProbe Create() => new RedisProbe();
}
