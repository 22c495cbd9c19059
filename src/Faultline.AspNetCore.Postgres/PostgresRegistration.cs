using Npgsql;

namespace Faultline.AspNetCore.Postgres;

/// <summary>What <c>AddPostgres</c> was given for one dependency.</summary>
internal sealed record PostgresRegistration(string Name, string? ConnectionString, Action<NpgsqlDataSourceBuilder>? ConfigureDataSource);
