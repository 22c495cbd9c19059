using System.Collections;
using Faultline.Core.Config;

namespace Faultline.Core.Running;

/// <summary>
/// The probes a runner can use, one per kind, and what each kind contributes besides its probe: the conditions a
/// target of that kind is judged by when it lists none, and its deadline when it sets none. Immutable:
/// <see cref="With(IProbe)"/> returns a new catalog in which the probe's kind is added or replaced. The
/// <c>concurrency</c> kind is the runner's own (it runs another target's probe) and needs no entry.
/// </summary>
/// <remarks>
/// Faultline.Probes gives the built-in catalog (<c>BuiltInProbes.Create()</c>); the command line and the lab add the
/// postgres and redis probes of their driver packages, the library adds what <c>AddPostgres</c>, <c>AddRedis</c> and
/// <c>AddProbe</c> register.
/// </remarks>
public sealed class ProbeCatalog : IReadOnlyCollection<IProbe>
{
    private readonly IReadOnlyList<IProbe> _probes;
    private readonly Dictionary<string, IProbe> _byKind;

    private ProbeCatalog(IReadOnlyList<IProbe> probes)
    {
        _probes = probes;
        _byKind = probes.ToDictionary(p => p.Kind, StringComparer.Ordinal);
    }

    /// <summary>A catalog without probes: every target but a concurrency one fails with config-invalid.</summary>
    public static ProbeCatalog Empty { get; } = new([]);

    /// <summary>How many kinds have a probe.</summary>
    public int Count => _probes.Count;

    /// <summary>The kinds that have a probe, in the order they were added.</summary>
    public IEnumerable<string> Kinds => _probes.Select(p => p.Kind);

    /// <summary><paramref name="probes"/> in order, a later probe of a kind replacing an earlier one; a catalog is returned as it is.</summary>
    public static ProbeCatalog Of(IEnumerable<IProbe> probes)
    {
        ArgumentNullException.ThrowIfNull(probes);
        return probes as ProbeCatalog ?? Empty.With(probes);
    }

    /// <summary>This catalog with <paramref name="probe"/> serving its kind: in the place of the kind's probe, or added at the end.</summary>
    public ProbeCatalog With(IProbe probe)
    {
        ArgumentNullException.ThrowIfNull(probe);
        var probes = _probes.ToList();
        var index = probes.FindIndex(p => string.Equals(p.Kind, probe.Kind, StringComparison.Ordinal));
        if (index >= 0)
        {
            probes[index] = probe;
        }
        else
        {
            probes.Add(probe);
        }

        return new ProbeCatalog(probes);
    }

    /// <summary>This catalog with each of <paramref name="probes"/> in turn (see <see cref="With(IProbe)"/>).</summary>
    public ProbeCatalog With(IEnumerable<IProbe> probes)
    {
        ArgumentNullException.ThrowIfNull(probes);
        return probes.Aggregate(this, (catalog, probe) => catalog.With(probe));
    }

    /// <summary>The probe of <paramref name="kind"/>; null when the catalog has none.</summary>
    public IProbe? Find(string kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        return _byKind.GetValueOrDefault(kind);
    }

    /// <summary>
    /// The conditions <paramref name="target"/> is judged by: its own, or else its kind's default
    /// (<see cref="IProbe.DefaultConditions"/>; for a concurrency target <see cref="LoadChecks.DefaultCondition"/>).
    /// </summary>
    public IReadOnlyList<string> EffectiveConditions(TargetSpec target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Conditions.Count > 0)
        {
            return target.Conditions;
        }

        return ConcurrencyRun.Runs(target) ? ConcurrencyRun.DefaultConditions : Find(target.Kind)?.DefaultConditions ?? [];
    }

    /// <summary>
    /// <paramref name="target"/>'s hard deadline: its <c>timeout</c>, else its kind's own default
    /// (<see cref="IProbe.DefaultTimeout"/>), else <c>defaults.timeout</c>.
    /// </summary>
    public TimeSpan TimeoutOf(TargetSpec target, DefaultsSpec defaults)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(defaults);
        return target.Timeout ?? Find(target.Kind)?.DefaultTimeout(target) ?? defaults.Timeout;
    }

    /// <summary>What one attempt of <paramref name="kind"/> is called in a load check's evidence (<see cref="IProbe.AttemptNoun"/>).</summary>
    public string AttemptNoun(string kind) => Find(kind)?.AttemptNoun ?? LoadChecks.DefaultAttemptNoun;

    /// <inheritdoc/>
    public IEnumerator<IProbe> GetEnumerator() => _probes.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
