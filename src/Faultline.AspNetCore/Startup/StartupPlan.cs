using System.Globalization;

namespace Faultline.AspNetCore.Startup;

/// <summary>One phase with every setting decided: configuration, then the registration, then the profile.</summary>
internal sealed record ResolvedPhase(
    PhaseDefinition Definition,
    bool Critical,
    TimeSpan AttemptTimeout,
    int Attempts,
    TimeSpan Budget,
    TimeSpan BaseDelay,
    TimeSpan MaxDelay)
{
    public string Name => Definition.Name;

    /// <summary>Share of <see cref="Budget"/> after which the phase is slow (greater than 0, at most 1).</summary>
    public double SlowShare { get; init; } = ProfileDefaults.SlowShare;
}

/// <summary>The startup phases as a validated DAG, in a dependency-respecting order, with their settings.</summary>
internal sealed class StartupPlan
{
    /// <summary>Polly's smallest timeout; anything shorter is a configuration error.</summary>
    public static readonly TimeSpan MinimumTimeout = TimeSpan.FromMilliseconds(10);

    public static readonly TimeSpan MaximumTimeout = TimeSpan.FromHours(24);

    public const int MaximumAttempts = 100;

    private StartupPlan(FaultlineProfile profile, IReadOnlyList<ResolvedPhase> phases)
    {
        Profile = profile;
        Phases = phases;
    }

    public FaultlineProfile Profile { get; }

    /// <summary>Every phase, each after the phases it depends on (declaration order between independent ones).</summary>
    public IReadOnlyList<ResolvedPhase> Phases { get; }

    /// <summary>Builds the plan; call <see cref="Validate"/> first (options validation does).</summary>
    /// <exception cref="InvalidOperationException">The phases do not form a valid DAG or a setting is out of range.</exception>
    public static StartupPlan Create(IReadOnlyList<PhaseDefinition> phases, FaultlineOptions options, FaultlineProfile profile)
    {
        var errors = Validate(phases, options, profile);
        if (errors.Count > 0)
        {
            throw new InvalidOperationException(string.Join("; ", errors));
        }

        var resolved = Order(phases).Select(p => Resolve(p, options, profile)).ToList();
        return new StartupPlan(profile, resolved);
    }

    /// <summary>Every problem with the phases and their settings, as messages naming the phase and the key.</summary>
    public static List<string> Validate(IReadOnlyList<PhaseDefinition> phases, FaultlineOptions options, FaultlineProfile profile)
    {
        var errors = new List<string>();
        CheckShare(errors, "Faultline:Startup:SlowShare", options.Startup.SlowShare);
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var phase in phases)
        {
            if (!names.Add(phase.Name))
            {
                errors.Add($"startup phase '{phase.Name}' is declared more than once");
            }
        }

        var known = string.Join(", ", phases.Select(p => p.Name));
        foreach (var phase in phases)
        {
            foreach (var dependency in phase.DependsOn)
            {
                if (string.Equals(dependency, phase.Name, StringComparison.OrdinalIgnoreCase))
                {
                    errors.Add($"startup phase '{phase.Name}' depends on itself");
                }
                else if (!names.Contains(dependency))
                {
                    errors.Add($"startup phase '{phase.Name}' depends on '{dependency}', which is not a phase (phases: {known})");
                }
            }
        }

        if (errors.Count == 0 && FindCycle(phases) is { } cycle)
        {
            errors.Add($"startup phases form a cycle (each depends on the next): {string.Join(" → ", cycle)}");
        }

        foreach (var name in options.Startup.Phases.Keys)
        {
            if (!names.Contains(name))
            {
                errors.Add($"Faultline:Startup:Phases:{name} names no startup phase (phases: {(known.Length == 0 ? "none" : known)})");
            }
        }

        if (errors.Count > 0)
        {
            return errors;
        }

        foreach (var phase in phases)
        {
            var r = Resolve(phase, options, profile);
            var key = $"Faultline:Startup:Phases:{phase.Name}";
            CheckTimeout(errors, $"{key}:AttemptTimeout", r.AttemptTimeout);
            CheckTimeout(errors, $"{key}:Budget", r.Budget);
            if (r.Attempts is < 1 or > MaximumAttempts)
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"{key}:Attempts must be between 1 and {MaximumAttempts}, not {r.Attempts}"));
            }

            if (r.BaseDelay < TimeSpan.Zero || r.BaseDelay > MaximumTimeout)
            {
                errors.Add($"{key}:BaseDelay must be between 0 and 24 hours");
            }

            if (r.MaxDelay < r.BaseDelay || r.MaxDelay > MaximumTimeout)
            {
                errors.Add($"{key}:MaxDelay must be at least BaseDelay and at most 24 hours");
            }

            // The global share is checked once, above; only a phase's own setting is checked here.
            if ((options.Startup.Phases.GetValueOrDefault(phase.Name)?.SlowShare ?? phase.SlowShare) is { } share)
            {
                CheckShare(errors, $"{key}:SlowShare", share);
            }
        }

        return errors;
    }

    private static void CheckTimeout(List<string> errors, string key, TimeSpan value)
    {
        if (value < MinimumTimeout || value > MaximumTimeout)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{key} must be between 10 ms and 24 hours, not {value}"));
        }
    }

    private static void CheckShare(List<string> errors, string key, double value)
    {
        // Written so that NaN fails too.
        if (!(value > 0 && value <= 1))
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{key} must be greater than 0 and at most 1 (a share of the phase's budget, e.g. 0.75), not {value}"));
        }
    }

    private static ResolvedPhase Resolve(PhaseDefinition phase, FaultlineOptions options, FaultlineProfile profile)
    {
        options.Startup.Phases.TryGetValue(phase.Name, out var configured);
        var attemptTimeout = configured?.AttemptTimeout ?? phase.AttemptTimeout ?? ProfileDefaults.AttemptTimeout(profile, phase.Timing);
        var attempts = configured?.Attempts ?? phase.Attempts ?? ProfileDefaults.Attempts(profile, phase.Timing);
        var baseDelay = configured?.BaseDelay ?? phase.BaseDelay ?? ProfileDefaults.BaseDelay(profile);
        var maxDelay = configured?.MaxDelay ?? phase.MaxDelay ?? ProfileDefaults.MaxDelay(profile);
        if (maxDelay < baseDelay && configured?.MaxDelay is null && phase.MaxDelay is null)
        {
            maxDelay = baseDelay;
        }

        var budget = configured?.Budget ?? phase.Budget ?? ProfileDefaults.Budget(attemptTimeout, Math.Clamp(attempts, 1, MaximumAttempts), maxDelay);
        var critical = configured?.Critical ?? phase.Critical;
        var slowShare = configured?.SlowShare ?? phase.SlowShare ?? options.Startup.SlowShare;
        return new ResolvedPhase(phase, critical, attemptTimeout, attempts, budget, baseDelay, maxDelay) { SlowShare = slowShare };
    }

    /// <summary>A cycle as a list of names (first repeated at the end), or null.</summary>
    private static List<string>? FindCycle(IReadOnlyList<PhaseDefinition> phases)
    {
        var byName = phases.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        var state = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var stack = new List<string>();

        List<string>? Visit(PhaseDefinition phase)
        {
            state[phase.Name] = 1;
            stack.Add(phase.Name);
            foreach (var dependency in phase.DependsOn)
            {
                var next = byName[dependency];
                var mark = state.GetValueOrDefault(next.Name);
                if (mark == 1)
                {
                    var start = stack.FindIndex(n => string.Equals(n, next.Name, StringComparison.OrdinalIgnoreCase));
                    var cycle = stack.Skip(start).ToList();
                    cycle.Add(next.Name);
                    return cycle;
                }

                if (mark == 0 && Visit(next) is { } found)
                {
                    return found;
                }
            }

            stack.RemoveAt(stack.Count - 1);
            state[phase.Name] = 2;
            return null;
        }

        foreach (var phase in phases)
        {
            if (state.GetValueOrDefault(phase.Name) == 0 && Visit(phase) is { } cycle)
            {
                return cycle;
            }
        }

        return null;
    }

    private static List<PhaseDefinition> Order(IReadOnlyList<PhaseDefinition> phases)
    {
        var done = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var ordered = new List<PhaseDefinition>();
        var remaining = phases.ToList();
        while (remaining.Count > 0)
        {
            var next = remaining.First(p => p.DependsOn.All(done.Contains));
            ordered.Add(next);
            done.Add(next.Name);
            remaining.Remove(next);
        }

        return ordered;
    }
}
