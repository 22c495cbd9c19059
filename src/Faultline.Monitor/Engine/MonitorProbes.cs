using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;

namespace Faultline.Monitor.Engine;

/// <summary>
/// Probes one target once and returns its result, followed by the results of its inside components
/// (named <c>target/component</c>) when it is a <c>remote</c> target. Results are redacted.
/// </summary>
public delegate Task<IReadOnlyList<TargetResult>> ProbeFunction(FaultlineConfig config, TargetSpec target, CancellationToken cancellationToken);

/// <summary>Builds the monitor's probe function.</summary>
public static class MonitorProbes
{
    /// <summary>
    /// Runs one target through the check pipeline (probe → conditions → classifier → redaction) under
    /// its own deadline: a config holding only that target (and the target a <c>concurrency</c> check runs).
    /// </summary>
    public static ProbeFunction FromRunner(CheckRunner runner)
    {
        ArgumentNullException.ThrowIfNull(runner);
        return async (config, target, cancellationToken) =>
        {
            List<TargetSpec> targets = [target];
            if (target.Of is { } of && config.Targets.FirstOrDefault(t => string.Equals(t.Name, of, StringComparison.Ordinal)) is { } inner)
            {
                targets.Add(inner);
            }

            var report = await runner.RunAsync(config with { Targets = targets }, null, cancellationToken).ConfigureAwait(false);
            var prefix = target.Name + "/";
            return report.Results
                .Where(r => string.Equals(r.Name, target.Name, StringComparison.Ordinal) || r.Name.StartsWith(prefix, StringComparison.Ordinal))
                .ToList();
        };
    }
}
