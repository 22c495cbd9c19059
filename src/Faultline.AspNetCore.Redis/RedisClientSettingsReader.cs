using Faultline.AspNetCore.Options;
using Faultline.AspNetCore.Pools;
using Faultline.Core.Running;
using Faultline.Probes.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Faultline.AspNetCore.Redis;

/// <summary>
/// The client timeouts of one redis dependency: the connection string's own values, else
/// <c>Faultline:Pools:&lt;name&gt;</c>, else the profile (<see cref="PoolDefaults.Redis"/>); both of the first two set
/// and different is a conflict. One place for the validator (at start) and the options (on use).
/// </summary>
internal static class RedisClientSettingsReader
{
    // StackExchange.Redis's option keys, as ConfigurationOptions.ToString writes a value set explicitly.
    private const string ConnectKeyword = "connectTimeout";
    private const string SyncKeyword = "syncTimeout";
    private const string AsyncKeyword = "asyncTimeout";

    /// <summary>Parses the connection string as the redis probe does; false with what is wrong (redacted) when it is missing or unusable.</summary>
    public static bool TryParse(RedisRegistration registration, out ConfigurationOptions options, out string problem)
    {
        options = new ConfigurationOptions();
        if (string.IsNullOrWhiteSpace(registration.ConnectionString))
        {
            problem = $"the connection string of redis dependency '{registration.Name}' is missing or empty";
            return false;
        }

        if (!RedisConnectionStrings.TryParse(registration.ConnectionString, new SecretRedactor(), out var parsed, out var reason))
        {
            problem = $"the connection string of redis dependency '{registration.Name}' is unusable: {reason}";
            return false;
        }

        options = parsed;
        problem = string.Empty;
        return true;
    }

    public static RedisClientSettings Resolve(PoolOptions? configured, ConfigurationOptions options, RedisClientSettings defaults, PoolSettingsResolver resolver)
    {
        // Only a value the string set explicitly appears in ToString (the getters answer defaults for the rest).
        var set = options.ToString(includePassword: false).Split(',')
            .Select(part => part.Split('=', 2)[0].Trim())
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        TimeSpan? Milliseconds(string keyword, int value) => set.Contains(keyword) ? TimeSpan.FromMilliseconds(value) : null;

        return new RedisClientSettings(
            resolver.Pick(nameof(PoolOptions.ConnectTimeout), configured?.ConnectTimeout, Milliseconds(ConnectKeyword, options.ConnectTimeout), ConnectKeyword, defaults.ConnectTimeout),
            resolver.Pick(nameof(PoolOptions.SyncTimeout), configured?.SyncTimeout, Milliseconds(SyncKeyword, options.SyncTimeout), SyncKeyword, defaults.SyncTimeout),
            resolver.Pick(nameof(PoolOptions.AsyncTimeout), configured?.AsyncTimeout, Milliseconds(AsyncKeyword, options.AsyncTimeout), AsyncKeyword, defaults.AsyncTimeout));
    }

    /// <summary>A new <see cref="ConfigurationOptions"/> for <paramref name="registration"/> with the settings in effect; throws <see cref="InvalidOperationException"/> when the connection string is missing, unusable or disagrees with the configuration.</summary>
    public static ConfigurationOptions CreateConfiguration(RedisRegistration registration, IServiceProvider services)
    {
        if (!TryParse(registration, out var options, out var problem))
        {
            throw new InvalidOperationException(problem);
        }

        var value = services.GetRequiredService<IOptions<FaultlineOptions>>().Value;
        var profile = FaultlineOptionsReader.ProfileOf(value, services.GetRequiredService<IHostEnvironment>());
        var resolver = new PoolSettingsResolver(registration.Name);
        var settings = Resolve(value.Pools.GetValueOrDefault(registration.Name), options, PoolDefaults.Redis(profile), resolver);
        if (resolver.Conflicts.Count > 0)
        {
            throw new InvalidOperationException(string.Join("; ", resolver.Conflicts));
        }

        options.ConnectTimeout = Milliseconds(settings.ConnectTimeout);
        options.SyncTimeout = Milliseconds(settings.SyncTimeout);
        options.AsyncTimeout = Milliseconds(settings.AsyncTimeout);

        // A Redis that is down when the service starts is retried in the background, not a crash.
        options.AbortOnConnectFail = false;
        registration.ConfigureClient?.Invoke(options);
        return options;
    }

    private static int Milliseconds(TimeSpan value) => (int)Math.Ceiling(value.TotalMilliseconds);
}
