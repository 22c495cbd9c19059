using Npgsql;

namespace Faultline.AspNetCore;

/// <summary>How <c>AddPostgres</c> registers a postgres dependency.</summary>
public sealed class FaultlinePostgresOptions
{
    /// <summary>A critical dependency that is unhealthy makes <c>/health/ready</c> answer 503 and the overall status unhealthy. Default true.</summary>
    public bool Critical { get; set; } = true;

    /// <summary>The dependency's category (as in <c>faultline check</c> configs). Default <c>database</c>.</summary>
    public string Category { get; set; } = "database";

    /// <summary>Deadline of one background check; unset: <c>Faultline:Health:CheckTimeout</c>, else the profile's health-check timeout.</summary>
    public TimeSpan? CheckTimeout { get; set; }

    /// <summary>
    /// Called on the data source builder after Faultline set the pool settings, the logger factory and the pool name
    /// (the dependency name): type mappings, a password provider, another <see cref="NpgsqlDataSourceBuilder.Name"/>.
    /// </summary>
    public Action<NpgsqlDataSourceBuilder>? ConfigureDataSource { get; set; }
}
