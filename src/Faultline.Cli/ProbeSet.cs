using Faultline.Core.Running;
using Faultline.Probes;
using Faultline.Probes.Net;
using Faultline.Probes.Postgres;
using Faultline.Probes.Redis;

namespace Faultline.Cli;

/// <summary>The probes and resolvers the command line composes.</summary>
internal static class ProbeSet
{
    public static IReadOnlyList<IProbe> Create() => [.. BuiltInProbes.Create(), PostgresProbes.Create(), RedisProbes.Create()];

    public static IHostResolver Resolver(string? server) => HostResolvers.For(server);
}
