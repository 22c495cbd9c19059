using Faultline.AspNetCore.Probing;
using Faultline.AspNetCore.Redis;
using Faultline.Core.Config;
using Faultline.Probes.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Faultline.AspNetCore;

/// <summary>Adds a Redis dependency to Faultline: probe, background check, client options and a shared connection.</summary>
public static class FaultlineRedisBuilderExtensions
{
    /// <summary>
    /// Adds the redis dependency <paramref name="name"/>: the redis probe, a background check of kind redis (category
    /// <c>cache</c>, optional unless <paramref name="configure"/> says otherwise) shown under that name in
    /// <c>/health/infrastructure</c>, typing of StackExchange.Redis exceptions thrown inside startup phases, and for the
    /// application — keyed by <paramref name="name"/>, and unkeyed unless registered already:
    /// <list type="bullet">
    /// <item>a <see cref="ConfigurationOptions"/>, a new copy on every resolution, read from
    /// <paramref name="connectionString"/> (a <c>redis://</c> / <c>rediss://</c> URL or a StackExchange.Redis options
    /// string) with the profile's connect, sync and async timeouts (overridden by <c>Faultline:Pools:&lt;name&gt;</c> and by
    /// values the connection string sets itself) and <c>AbortOnConnectFail</c> false;</item>
    /// <item>an <see cref="IConnectionMultiplexer"/> made from it on first resolution: when Redis is unreachable that
    /// resolution waits at most the connect timeout, then the connection keeps retrying in the background.</item>
    /// </list>
    /// </summary>
    /// <param name="connectionString">May be null or empty at registration: the check then reports it, and resolving the options throws.</param>
    public static FaultlineBuilder AddRedis(this FaultlineBuilder faultline, string name, string? connectionString, Action<FaultlineRedisOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(faultline);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var options = new FaultlineRedisOptions();
        configure?.Invoke(options);

        faultline.AddDriverDependency(
            new TargetSpec
            {
                Name = name,
                Kind = TargetKinds.Redis,
                Category = options.Category,
                Critical = options.Critical,
                ConnectionString = connectionString,
                Timeout = options.CheckTimeout,
            },
            RedisProbes.Create,
            RedisFailures.IsDependencyFailure);

        var services = faultline.Services;
        var registration = new RedisRegistration(name, connectionString, options.ConfigureClient);
        services.AddSingleton(registration);
        services.AddKeyedTransient(name, (sp, _) => RedisClientSettingsReader.CreateConfiguration(registration, sp));
        services.TryAddTransient(sp => sp.GetRequiredKeyedService<ConfigurationOptions>(name));
        services.AddKeyedSingleton<IConnectionMultiplexer>(name, (sp, _) => ConnectionMultiplexer.Connect(sp.GetRequiredKeyedService<ConfigurationOptions>(name)));
        services.TryAddSingleton(sp => sp.GetRequiredKeyedService<IConnectionMultiplexer>(name));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IExceptionDescriber, RedisExceptionDescriber>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FaultlineOptions>, RedisClientValidator>());
        return faultline;
    }
}
