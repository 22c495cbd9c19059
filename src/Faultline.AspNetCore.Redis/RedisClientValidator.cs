using Faultline.AspNetCore.Options;
using Faultline.AspNetCore.Pools;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Faultline.AspNetCore.Redis;

/// <summary>
/// At start, reports a timeout that <c>Faultline:Pools:&lt;name&gt;</c> and the connection string both set to different
/// values (a configuration error, exit code 3). A missing or unusable connection string is left to the dependency's
/// check and the phases, which report it typed.
/// </summary>
internal sealed class RedisClientValidator(IEnumerable<RedisRegistration> registrations, IHostEnvironment environment) : IValidateOptions<FaultlineOptions>
{
    public ValidateOptionsResult Validate(string? name, FaultlineOptions options)
    {
        var profile = FaultlineOptionsReader.ProfileOf(options, environment);
        var errors = new List<string>();
        foreach (var registration in registrations)
        {
            if (!RedisClientSettingsReader.TryParse(registration, out var client, out _))
            {
                continue;
            }

            var resolver = new PoolSettingsResolver(registration.Name);
            RedisClientSettingsReader.Resolve(options.Pools.GetValueOrDefault(registration.Name), client, PoolDefaults.Redis(profile), resolver);
            errors.AddRange(resolver.Conflicts);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
