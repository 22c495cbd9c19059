using System.Text.Json.Serialization;

namespace Faultline.Core.Model;

/// <summary>
/// What a load check saw: many attempts run at once (the probes of a <c>concurrency</c> target, the
/// instances of a <c>startup</c> target), aggregated. Build it with <see cref="LoadObservation.From"/>.
/// </summary>
public sealed record LoadObservation
{
    /// <summary>The probe kind each attempt ran: the <c>of</c> target's kind, or <c>startup</c>.</summary>
    public required string AttemptKind { get; init; }

    /// <summary>What one attempt is called in words: <c>connects</c>, <c>requests</c>, <c>instances</c>.</summary>
    public required string AttemptNoun { get; init; }

    public int Attempts { get; init; }

    public int Successes { get; init; }

    [JsonIgnore]
    public int Failures => Attempts - Successes;

    /// <summary>Successes / attempts, 0..1; 0 when nothing ran.</summary>
    public double SuccessRate { get; init; }

    /// <summary>Latency percentiles (nearest rank) over the successful attempts; null when none succeeded.</summary>
    public double? P50Ms { get; init; }

    public double? P95Ms { get; init; }

    public double? MaxMs { get; init; }

    /// <summary>Failed attempts grouped by (layer, side, error kind), most frequent first.</summary>
    public IReadOnlyList<LoadFailureGroup> FailureGroups { get; init; } = [];

    /// <summary>
    /// startup: one entry per instance, in instance order. The startup probe reports only these; the attempts, counts and
    /// failure groups are derived from them (<see cref="Classification.Classifier.Interpret"/>).
    /// </summary>
    public IReadOnlyList<StartupInstance> Instances { get; init; } = [];

    /// <summary>
    /// Aggregates attempts: counts, success rate, nearest-rank p50/p95/max of the successful attempts'
    /// latencies, and the failures grouped by (layer, side, error kind) with a count and the first message.
    /// </summary>
    public static LoadObservation From(string attemptKind, string attemptNoun, IReadOnlyList<LoadAttempt> attempts)
    {
        ArgumentNullException.ThrowIfNull(attemptKind);
        ArgumentNullException.ThrowIfNull(attemptNoun);
        ArgumentNullException.ThrowIfNull(attempts);
        var latencies = attempts.Where(a => a.Succeeded).Select(a => a.Latency.TotalMilliseconds).Order().ToList();
        var groups = attempts
            .Where(a => !a.Succeeded)
            .GroupBy(a => (Layer: a.Layer ?? Layer.Unknown, Side: a.Side ?? Side.Application, Kind: a.ErrorKind ?? LoadAttempt.ConditionFailed))
            .Select(g => new LoadFailureGroup(g.Key.Layer, g.Key.Side, g.Key.Kind, g.Count(), g.First().Message ?? g.Key.Kind) { Remedy = g.First().Remedy })
            .OrderByDescending(g => g.Count)
            .ThenBy(g => g.Layer)
            .ThenBy(g => g.ErrorKind, StringComparer.Ordinal)
            .ToList();
        return new LoadObservation
        {
            AttemptKind = attemptKind,
            AttemptNoun = attemptNoun,
            Attempts = attempts.Count,
            Successes = latencies.Count,
            SuccessRate = attempts.Count == 0 ? 0 : (double)latencies.Count / attempts.Count,
            P50Ms = Percentile(latencies, 0.50),
            P95Ms = Percentile(latencies, 0.95),
            MaxMs = latencies.Count == 0 ? null : Math.Round(latencies[^1], 1),
            FailureGroups = groups,
        };
    }

    /// <summary>Nearest rank: the smallest value with at least <paramref name="quantile"/> of the values at or below it.</summary>
    public static double? Percentile(IReadOnlyList<double> sorted, double quantile)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0)
        {
            return null;
        }

        var rank = (int)Math.Ceiling(quantile * sorted.Count);
        return Math.Round(sorted[Math.Clamp(rank, 1, sorted.Count) - 1], 1);
    }
}

/// <summary>
/// One attempt of a load check. A failed attempt carries where it failed (the classification of the
/// probe it ran, or what a service instance reported in its termination message).
/// </summary>
public sealed record LoadAttempt
{
    /// <summary>The error-kind label of a failure that had no probe error (a condition did not hold).</summary>
    public const string ConditionFailed = "condition-failed";

    public bool Succeeded { get; init; }

    /// <summary>Time to the answer (concurrency) or to ready (startup).</summary>
    public TimeSpan Latency { get; init; }

    public Layer? Layer { get; init; }

    public Side? Side { get; init; }

    /// <summary>The error kind's wire name; null = <see cref="ConditionFailed"/>.</summary>
    public string? ErrorKind { get; init; }

    /// <summary>One line saying what went wrong, secrets removed.</summary>
    public string? Message { get; init; }

    /// <summary>The remedy for this attempt's failure, as the classifier gave it.</summary>
    public string? Remedy { get; init; }
}

/// <summary>Failed attempts of one kind: <see cref="Count"/> of them, with the first one's message as <see cref="Example"/>.</summary>
public sealed record LoadFailureGroup(Layer Layer, Side Side, string ErrorKind, int Count, string Example)
{
    public string? Remedy { get; init; }
}

/// <summary>One instance of a <c>startup</c> load check, as observed.</summary>
public sealed record StartupInstance
{
    /// <summary>The <see cref="ErrorKind"/> of an instance that exited before its ready URL answered 2xx, without a termination message.</summary>
    public const string ExitedBeforeReady = "exited-before-ready";

    /// <summary>The <see cref="ErrorKind"/> of an instance whose termination message names no error kind.</summary>
    public const string StartupFailed = "startup-failed";

    /// <summary>1..instances.</summary>
    public int Instance { get; init; }

    /// <summary>The loopback port <c>{port}</c> stood for.</summary>
    public int Port { get; init; }

    public bool Ready { get; init; }

    /// <summary>From start to the first 2xx of the ready URL.</summary>
    public double? ReadyMs { get; init; }

    /// <summary>The exit code, when the process exited before it was stopped.</summary>
    public int? ExitCode { get; init; }

    /// <summary>The termination message the instance wrote, when it wrote one.</summary>
    public TerminationMessage? Termination { get; init; }

    /// <summary>The last lines of its stderr (secrets removed), when it failed without a termination message.</summary>
    public string? StderrTail { get; init; }

    /// <summary>Why it did not become ready, in words; null when it did.</summary>
    public string? Problem { get; init; }

    /// <summary>
    /// How it failed, as an error kind's wire name: <c>config-invalid</c> (its command could not start),
    /// <see cref="ExitedBeforeReady"/>, <c>timeout</c> (still not ready at the deadline), or the kind its termination
    /// message names (<see cref="StartupFailed"/> when it names none); null when it became ready.
    /// </summary>
    public string? ErrorKind { get; init; }
}
