using Faultline.AspNetCore.Options;
using Faultline.AspNetCore.Pools;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Faultline.AspNetCore.Postgres;

/// <summary>
/// At start, reports a pool setting that <c>Faultline:Pools:&lt;name&gt;</c> and the connection string both set to
/// different values (a configuration error, exit code 3). A missing or unusable connection string is left to the
/// dependency's check and the phases, which report it typed (secret-missing, config-invalid).
/// </summary>
internal sealed class PostgresPoolValidator(IEnumerable<PostgresRegistration> registrations, IHostEnvironment environment) : IValidateOptions<FaultlineOptions>
{
    public ValidateOptionsResult Validate(string? name, FaultlineOptions options)
    {
        var profile = FaultlineOptionsReader.ProfileOf(options, environment);
        var errors = new List<string>();
        foreach (var registration in registrations)
        {
            if (!PostgresPoolSettingsReader.TryParse(registration, out var connection, out _))
            {
                continue;
            }

            var resolver = new PoolSettingsResolver(registration.Name);
            PostgresPoolSettingsReader.Resolve(registration.Name, options.Pools.GetValueOrDefault(registration.Name), connection, PoolDefaults.Postgres(profile), resolver);
            errors.AddRange(resolver.Conflicts);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
