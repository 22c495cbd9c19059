using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;

namespace Faultline.Probes.Probes;

/// <summary>
/// A built-in probe that times its phases: checks its arguments, starts the run's clock (<see cref="ProbeRun"/>), then
/// observes. Subclasses only observe — what failed is a typed error in the observation; the classifier decides the rest.
/// </summary>
internal abstract class TimedProbe(string kind, string attemptNoun) : IProbe
{
    public string Kind { get; } = kind;

    public string AttemptNoun { get; } = attemptNoun;

    public Task<Observation> ProbeAsync(TargetSpec target, ProbeContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(context);
        return ObserveAsync(target, context, new ProbeRun(context), cancellationToken);
    }

    /// <summary>Probes <paramref name="target"/>, timing its phases on <paramref name="run"/> (see <see cref="IProbe.ProbeAsync"/>).</summary>
    protected abstract Task<Observation> ObserveAsync(TargetSpec target, ProbeContext context, ProbeRun run, CancellationToken cancellationToken);
}
