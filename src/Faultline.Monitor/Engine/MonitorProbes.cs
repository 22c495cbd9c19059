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
    /// Runs one target through the check pipeline (probe → conditions → classifier → redaction) under its own deadline
    /// (<see cref="CheckRunner.RunTargetAsync"/>; a <c>concurrency</c> target finds the target it runs in the config).
    /// </summary>
    public static ProbeFunction FromRunner(CheckRunner runner)
    {
        ArgumentNullException.ThrowIfNull(runner);
        return (config, target, cancellationToken) => runner.RunTargetAsync(config, target, null, cancellationToken);
    }
}
