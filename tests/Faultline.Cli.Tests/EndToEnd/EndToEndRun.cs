using System.Globalization;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;

namespace Faultline.Cli.Tests.EndToEnd;

/// <summary>
/// Runs a YAML config, written as a user writes it, through the whole pipeline the command uses:
/// the real probes of <see cref="ProbeSet"/>, conditions, classifier and report (<see cref="CheckRunner"/>, real time).
/// </summary>
internal static class EndToEndRun
{
    /// <summary>Loads <paramref name="yaml"/> and runs it; <paramref name="environment"/> serves both <c>${VAR}</c> interpolation and the secret probe.</summary>
    public static async Task<Report> RunAsync(string yaml, IReadOnlyDictionary<string, string>? environment = null)
    {
        var env = environment ?? new Dictionary<string, string>();
        string? GetEnv(string name) => env.TryGetValue(name, out var value) ? value : null;

        var config = ConfigLoader.LoadText(yaml, "end-to-end.yaml", Path.GetTempPath(), GetEnv);
        var runner = new CheckRunner(ProbeSet.Create(), ProbeSet.Resolver, TimeProvider.System);
        return await runner.RunAsync(config, new CheckOptions { GetEnvironmentVariable = GetEnv });
    }

    /// <summary>Runs a config with one target and returns its result.</summary>
    public static async Task<TargetResult> RunOneAsync(string yaml, IReadOnlyDictionary<string, string>? environment = null)
    {
        var report = await RunAsync(yaml, environment);
        return Assert.Single(report.Results);
    }

    /// <summary>Asserts a failed result attributed to <paramref name="layer"/> and <paramref name="side"/>, with the given error kind (or none).</summary>
    public static void AssertFailure(TargetResult result, Layer layer, Side side, ErrorKind? errorKind)
    {
        var description = Describe(result);
        Assert.True(result.Status == ResultStatus.Fail, $"expected fail, got {result.Status.Wire()}: {description}");
        Assert.True(result.Layer == layer, $"expected layer {layer.Wire()}, got {result.Layer?.Wire() ?? "none"}: {description}");
        Assert.True(result.Side == side, $"expected side {side.Wire()}, got {result.Side?.Wire() ?? "none"}: {description}");
        if (errorKind is { } kind)
        {
            Assert.True(result.Error?.Kind == kind.Wire(), $"expected error kind {kind.Wire()}, got {result.Error?.Kind ?? "none"}: {description}");
        }
        else
        {
            Assert.True(result.Error is null, $"expected no probe error (the conditions decide), got {result.Error?.Kind}: {description}");
        }

        Assert.False(string.IsNullOrWhiteSpace(result.Remedy), $"no remedy: {description}");
    }

    /// <summary>Asserts that one evidence line holds every fragment (case-insensitive).</summary>
    public static void AssertEvidence(TargetResult result, params string[] fragments)
    {
        Assert.True(
            result.Evidence.Any(line => fragments.All(f => line.Contains(f, StringComparison.OrdinalIgnoreCase))),
            $"no evidence line holds all of [{string.Join(" | ", fragments)}]: {Describe(result)}");
    }

    /// <summary>Asserts the result's duration lies within [<paramref name="minMs"/>, <paramref name="maxMs"/>].</summary>
    public static void AssertDuration(TargetResult result, double minMs, double maxMs) =>
        Assert.True(
            result.DurationMs >= minMs && result.DurationMs <= maxMs,
            string.Create(CultureInfo.InvariantCulture, $"expected {minMs}-{maxMs} ms, took {result.DurationMs} ms: {Describe(result)}"));

    /// <summary>Asserts a passing result, showing what failed when it did not pass.</summary>
    public static void AssertPass(TargetResult result) =>
        Assert.True(result.Status == ResultStatus.Pass, $"expected pass: {Describe(result)}");

    public static string Describe(TargetResult result) =>
        $"{result.Name} ({result.Kind} {result.Target}) status={result.Status.Wire()} layer={result.Layer?.Wire() ?? "-"} side={result.Side?.Wire() ?? "-"} "
        + $"error={result.Error?.Kind ?? "-"}: {result.Error?.Message ?? "-"}; conditions=[{string.Join("; ", result.Conditions.Select(c => $"{c.Expr} ok={c.Ok} actual={c.Actual}"))}]; "
        + $"warnings=[{string.Join("; ", result.Observation?.Warnings ?? [])}]; evidence=[{string.Join(" | ", result.Evidence)}]";
}
