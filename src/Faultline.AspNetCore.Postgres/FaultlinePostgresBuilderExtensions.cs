using Faultline.AspNetCore.Postgres;
using Faultline.AspNetCore.Probing;
using Faultline.Core.Config;
using Faultline.Probes.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Faultline.AspNetCore;

/// <summary>Adds a PostgreSQL dependency to Faultline: probe, background check, and the application's data source.</summary>
public static class FaultlinePostgresBuilderExtensions
{
    /// <summary>
    /// Adds the postgres dependency <paramref name="name"/>: the postgres probe, a background check of kind postgres
    /// (category <c>database</c>, critical unless <paramref name="configure"/> says otherwise) shown under that name in
    /// <c>/health/infrastructure</c> with its pool's use, typing of Npgsql exceptions thrown inside startup phases, and
    /// the application's <see cref="NpgsqlDataSource"/> — keyed by <paramref name="name"/>, and unkeyed unless one is
    /// registered already — built on first use from <paramref name="connectionString"/> (an Npgsql key=value string or
    /// a <c>postgres://</c> URL, unix socket directories included) with the profile's pool settings, overridden by
    /// <c>Faultline:Pools:&lt;name&gt;</c> and by values the connection string sets itself.
    /// </summary>
    /// <param name="connectionString">May be null or empty at registration: the check then reports the missing secret, and resolving the data source throws.</param>
    public static FaultlineBuilder AddPostgres(this FaultlineBuilder faultline, string name, string? connectionString, Action<FaultlinePostgresOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(faultline);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var options = new FaultlinePostgresOptions();
        configure?.Invoke(options);

        faultline.AddDriverDependency(
            new TargetSpec
            {
                Name = name,
                Kind = TargetKinds.Postgres,
                Category = options.Category,
                Critical = options.Critical,
                ConnectionString = connectionString,
                Timeout = options.CheckTimeout,
            },
            PostgresProbes.Create,
            PostgresFailures.IsDependencyFailure);

        var services = faultline.Services;
        var registration = new PostgresRegistration(name, connectionString, options.ConfigureDataSource);
        services.AddSingleton(registration);
        services.AddKeyedSingleton(name, (sp, _) => ActivatorUtilities.CreateInstance<PostgresPool>(sp, registration));
        services.AddSingleton<Pools.IPoolUsageReader>(sp => sp.GetRequiredKeyedService<PostgresPool>(name));
        services.AddKeyedSingleton(name, (sp, _) => sp.GetRequiredKeyedService<PostgresPool>(name).DataSource);
        services.TryAddSingleton(sp => sp.GetRequiredKeyedService<NpgsqlDataSource>(name));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IExceptionDescriber, PostgresExceptionDescriber>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FaultlineOptions>, PostgresPoolValidator>());
        return faultline;
    }
}
