using System.Text.Json;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Faultline.Probes.Net;

namespace Faultline.Probes.Tests;

/// <summary>Runs a probe the way the runner does: a deadline token linked with a caller token.</summary>
internal static class ProbeHarness
{
    /// <summary>Deadline for tests where a timeout is not the point.</summary>
    public static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);

    /// <summary>Deadline for tests where a timeout is the point.</summary>
    public static readonly TimeSpan Short = TimeSpan.FromSeconds(2);

    public static IProbe Probe(string kind) => BuiltInProbes.Create().Single(p => p.Kind == kind);

    public static ProbeContext Context(
        TimeSpan? timeout = null,
        IHostResolver? resolver = null,
        TimeProvider? time = null,
        Func<string, string?>? environment = null,
        CancellationToken callerToken = default) => new()
        {
            Time = time ?? TimeProvider.System,
            Timeout = timeout ?? Generous,
            Resolver = resolver ?? HostResolvers.System,
            Redactor = new SecretRedactor(),
            GetEnvironmentVariable = environment ?? (_ => null),
            CallerToken = callerToken,
        };

    public static async Task<Observation> RunAsync(TargetSpec target, ProbeContext context)
    {
        using var deadline = new CancellationTokenSource(context.Timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, context.CallerToken);
        return await Probe(target.Kind).ProbeAsync(target, context, linked.Token);
    }

    public static Task<Observation> RunAsync(TargetSpec target, TimeSpan? timeout = null, IHostResolver? resolver = null, TimeProvider? time = null) =>
        RunAsync(target, Context(timeout, resolver, time));

    public static ProbeError AssertError(Observation observation, ErrorKind kind, string phase)
    {
        Assert.True(observation.Error is not null, $"expected {kind.Wire()} but the probe reported no error");
        Assert.True(kind == observation.Error.Kind, $"expected {kind.Wire()} but got {observation.Error.Kind.Wire()}: {observation.Error.Message}");
        Assert.Equal(phase, observation.Error.Phase);
        return observation.Error;
    }

    /// <summary><see cref="AssertError(Observation, ErrorKind, string)"/> by the kind's wire value (<c>error.kind</c> in the reports).</summary>
    public static ProbeError AssertError(Observation observation, string kind, string phase)
    {
        Assert.True(observation.Error is not null, $"expected {kind} but the probe reported no error");
        Assert.True(kind == observation.Error.Kind.Wire(), $"expected {kind} but got {observation.Error.Kind.Wire()}: {observation.Error.Message}");
        Assert.Equal(phase, observation.Error.Phase);
        return observation.Error;
    }

    public static string Json(Observation observation) => JsonSerializer.Serialize(observation);
}
