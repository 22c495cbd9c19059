using StackExchange.Redis;

namespace Faultline.AspNetCore;

/// <summary>How <c>AddRedis</c> registers a redis dependency.</summary>
public sealed class FaultlineRedisOptions
{
    /// <summary>A critical dependency that is unhealthy makes <c>/health/ready</c> answer 503. Default false: a cache is optional, the service degrades.</summary>
    public bool Critical { get; set; }

    /// <summary>The dependency's category (as in <c>faultline check</c> configs). Default <c>cache</c>.</summary>
    public string Category { get; set; } = "cache";

    /// <summary>Deadline of one background check; unset: <c>Faultline:Health:CheckTimeout</c>, else the profile's health-check timeout.</summary>
    public TimeSpan? CheckTimeout { get; set; }

    /// <summary>Called on every <see cref="ConfigurationOptions"/> made for this dependency, after Faultline applied the timeouts (client name, retry policy, TLS callbacks).</summary>
    public Action<ConfigurationOptions>? ConfigureClient { get; set; }
}
