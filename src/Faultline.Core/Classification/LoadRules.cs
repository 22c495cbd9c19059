using System.Globalization;
using Faultline.Core.Model;

namespace Faultline.Core.Classification;

/// <summary>
/// Classifies a failing load check (<c>concurrency</c>, <c>startup</c>). Failures keep their layers: the
/// verdict's layer and side are those of the most frequent failure group, the evidence lists every group
/// ("31 of 50 connects failed: database-too-many-connections — ..."), and the remedy speaks of capacity
/// where the failure is one (no connection slots, timeouts under load). When every attempt succeeded but
/// a latency condition failed, the layer is the one the probed kind belongs to.
/// </summary>
internal static class LoadRules
{
    private static readonly HashSet<string> TimeoutKinds = new(StringComparer.Ordinal)
    {
        ErrorKind.ConnectTimeout.Wire(), ErrorKind.ReadTimeout.Wire(), ErrorKind.Timeout.Wire(), ErrorKind.TlsTimeout.Wire(), ErrorKind.DnsTimeout.Wire(),
    };

    public static Model.Classification Classify(LoadObservation load, IReadOnlyList<ConditionResult> failed)
    {
        var lines = new List<string?> { Summary(load) };
        foreach (var group in load.FailureGroups)
        {
            lines.Add(GroupLine(load, group));
        }

        lines.AddRange(failed.Select(c => $"condition {c.Expr} failed (actual: {c.Actual ?? "none"})"));
        foreach (var instance in load.Instances.Where(i => !i.Ready).Take(2))
        {
            lines.Add(InstanceLine(instance));
        }

        if (load.FailureGroups.Count > 0)
        {
            var dominant = load.FailureGroups[0];
            return new Model.Classification(dominant.Layer, dominant.Side, Evidence.Clean(lines), Remedy(load, dominant));
        }

        var layer = load.AttemptKind == Config.TargetKinds.Startup ? Layer.Application : ConditionRules.KindLayer(load.AttemptKind);
        var side = layer is Layer.Application or Layer.Configuration or Layer.Unknown ? Side.Application : Side.Infrastructure;
        var remedy = string.Create(CultureInfo.InvariantCulture,
            $"every one of the {load.Attempts} {load.AttemptNoun} succeeded, but not as fast as the conditions ask under this load: add capacity where the time goes ({layer.Wire()}), or relax the conditions if the numbers are acceptable");
        return new Model.Classification(layer, side, Evidence.Clean(lines), remedy);
    }

    /// <summary>"50 connects at once: 19 succeeded (success rate 0.38); p50 510ms, p95 540ms, max 560ms".</summary>
    public static string Summary(LoadObservation load)
    {
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{load.Attempts} {load.AttemptNoun} at once: {load.Successes} succeeded (success rate {Math.Round(load.SuccessRate, 2)})");
        return load.P95Ms is null
            ? text
            : text + string.Create(CultureInfo.InvariantCulture, $"; p50 {Facts.Ms(load.P50Ms ?? 0)}, p95 {Facts.Ms(load.P95Ms.Value)}, max {Facts.Ms(load.MaxMs ?? 0)}");
    }

    private static string GroupLine(LoadObservation load, LoadFailureGroup group) => string.Create(CultureInfo.InvariantCulture,
        $"{group.Count} of {load.Attempts} {load.AttemptNoun} failed: {group.ErrorKind} ({group.Layer.Wire()}, {group.Side.Wire()}) — {Facts.OneLine(group.Example, 200)}");

    private static string InstanceLine(StartupInstance instance)
    {
        var exit = instance.ExitCode is { } code ? string.Create(CultureInfo.InvariantCulture, $"exited with code {code}") : "did not become ready";
        var why = instance.Termination is { } t
            ? $"termination message: phase {t.Phase ?? "?"}, {t.ErrorKind ?? "no error kind"}"
            : instance.StderrTail is { } tail ? "stderr: " + Facts.OneLine(tail, 160) : instance.Problem;
        return string.Create(CultureInfo.InvariantCulture, $"instance {instance.Instance} (port {instance.Port}) {exit}") + (why is null ? string.Empty : "; " + why);
    }

    private static string Remedy(LoadObservation load, LoadFailureGroup dominant)
    {
        var under = string.Create(CultureInfo.InvariantCulture, $"{load.Attempts} {load.AttemptNoun} at once");
        if (dominant.ErrorKind == ErrorKind.DatabaseTooManyConnections.Wire())
        {
            return $"the database ran out of connection slots under {under}: raise max_connections, size the pools so that instances × Maximum Pool Size fits under it (minus reserved slots), or put a connection pooler (PgBouncer) in front";
        }

        if (dominant.ErrorKind == ErrorKind.CacheError.Wire() && dominant.Example.Contains("max number of clients", StringComparison.OrdinalIgnoreCase))
        {
            return $"Redis ran out of client slots under {under}: raise maxclients or share connections (one multiplexer per process)";
        }

        var remedy = dominant.Remedy ?? "fix the failure above";
        return TimeoutKinds.Contains(dominant.ErrorKind)
            ? $"{remedy}; it happened under {under}: look for capacity limits on the path (connection queues, listen backlog, pool waits, autoscaling delays)"
            : remedy;
    }
}
