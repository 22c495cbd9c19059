using Faultline.Core.Running;
using Faultline.Probes;
using Faultline.Probes.Net;
using Faultline.Probes.Postgres;
using Faultline.Probes.Redis;

namespace Faultline.Cli;

/// <summary>The probes and resolvers the command line composes.</summary>
internal static class ProbeSet
{
    /// <summary>The built-in probes with the postgres and redis ones: every kind check, validate and monitor run.</summary>
    public static ProbeCatalog Create() => BuiltInProbes.Create().With(PostgresProbes.Create()).With(RedisProbes.Create());

    public static IHostResolver Resolver(string? server) => HostResolvers.For(server);
}
