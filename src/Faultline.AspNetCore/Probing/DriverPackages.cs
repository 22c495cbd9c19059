using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;

namespace Faultline.AspNetCore.Probing;

/// <summary>
/// The probe kinds whose driver lives in a package of its own, so that an application without a database or a cache
/// does not carry Npgsql or StackExchange.Redis: <c>postgres</c> in Faultline.AspNetCore.Postgres (<c>AddPostgres</c>),
/// <c>redis</c> in Faultline.AspNetCore.Redis (<c>AddRedis</c>).
/// </summary>
internal static class DriverPackages
{
    private static readonly Dictionary<string, (string Package, string Call)> ByKind = new(StringComparer.Ordinal)
    {
        [TargetKinds.Postgres] = ("Faultline.AspNetCore.Postgres", "AddPostgres"),
        [TargetKinds.Redis] = ("Faultline.AspNetCore.Redis", "AddRedis"),
    };

    /// <summary>Stand-ins that answer a target of a driver kind whose package's probe is not registered.</summary>
    public static IEnumerable<IProbe> Placeholders() => ByKind.Keys.Select(kind => new MissingDriverProbe(kind));

    /// <summary>What to do to probe <paramref name="kind"/>: the package to add and the call to make; null for kinds without a driver package.</summary>
    public static string? Advice(string kind, string name) =>
        ByKind.TryGetValue(kind, out var package)
            ? $"needs the {package.Package} package: add it and call faultline.{package.Call}(\"{name}\", connectionString)"
            : null;

    /// <summary>True for the stand-in of a missing driver package.</summary>
    public static bool IsPlaceholder(IProbe probe) => probe is MissingDriverProbe;

    /// <summary>Answers every target with config-invalid naming the package and the call that registers the real probe.</summary>
    private sealed class MissingDriverProbe(string kind) : IProbe
    {
        public string Kind { get; } = kind;

        /// <summary>Both driver kinds (postgres, redis) count their attempts as connects.</summary>
        public string AttemptNoun => "connects";

        public Task<Observation> ProbeAsync(TargetSpec target, ProbeContext context, CancellationToken cancellationToken) =>
            Task.FromResult(new Observation
            {
                Target = $"{Kind} target {target.Name}",
                Error = new ProbeError(ErrorKind.ConfigInvalid, $"no {Kind} probe is registered for '{target.Name}': kind {Kind} {Advice(Kind, target.Name)}") { Phase = "config" },
            });
    }
}
