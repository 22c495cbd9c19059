using Faultline.AspNetCore.Probing;
using Faultline.Core.Model;
using Faultline.Probes.Postgres;
using Npgsql;

namespace Faultline.AspNetCore.Postgres;

/// <summary>Types an Npgsql exception thrown by a phase's own code as the postgres probe would (SQLSTATE 28P01 → database-auth-failed, ...).</summary>
internal sealed class PostgresExceptionDescriber : IExceptionDescriber
{
    public ProbeError? Describe(Exception exception, string dependency) =>
        ExceptionChain.Find<NpgsqlException>(exception) is not null ? PostgresErrors.Describe(exception, dependency) : null;
}
