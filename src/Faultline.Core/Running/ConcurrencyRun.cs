using System.Globalization;
using Faultline.Core.Classification;
using Faultline.Core.Config;
using Faultline.Core.Model;

namespace Faultline.Core.Running;

/// <summary>One attempt of a concurrency check: what the <c>of</c> target's probe saw and how its conditions went.</summary>
internal sealed record ConcurrencyAttempt(Observation Observation, IReadOnlyList<ConditionResult> Conditions);

/// <summary>
/// A <c>concurrency</c> target: runs the <c>of</c> target's probe <see cref="TargetSpec.Parallel"/> times at
/// once (released together, not limited by <c>defaults.concurrency</c>), each attempt under the <c>of</c>
/// target's own deadline, judges each attempt as that target would be judged (probe error, conditions,
/// classification) and aggregates them into <see cref="Observation.Load"/>.
/// </summary>
internal sealed class ConcurrencyRun(TimeProvider time)
{
    /// <summary>What a concurrency target is judged by when it lists no conditions: every attempt must succeed.</summary>
    public static IReadOnlyList<string> DefaultConditions { get; } = [LoadChecks.DefaultCondition];

    /// <summary>True for a <c>concurrency</c> target: the runner's own kind, which runs the probe of the target its <c>of</c> names.</summary>
    public static bool Runs(TargetSpec target) => target.Kind == TargetKinds.Concurrency;

    /// <param name="target">The concurrency target.</param>
    /// <param name="of">The target whose probe each attempt runs.</param>
    /// <param name="attemptNoun">What one attempt of <paramref name="of"/>'s kind is called (<see cref="IProbe.AttemptNoun"/>).</param>
    /// <param name="attempt">Runs one attempt: the probe of <paramref name="of"/> and its conditions.</param>
    /// <param name="cancellationToken">The caller's cancellation.</param>
    public async Task<Observation> RunAsync(TargetSpec target, TargetSpec of, string attemptNoun, Func<CancellationToken, Task<ConcurrencyAttempt>> attempt, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var parallel = Math.Max(1, target.Parallel);
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = new List<Task<ConcurrencyAttempt>>(parallel);
        for (var i = 0; i < parallel; i++)
        {
            tasks.Add(Task.Run(
                async () =>
                {
                    await go.Task.ConfigureAwait(false);
                    return await attempt(cancellationToken).ConfigureAwait(false);
                },
                CancellationToken.None));
        }

        go.SetResult();
        var attempts = await Task.WhenAll(tasks).ConfigureAwait(false);
        var load = LoadObservation.From(of.Kind, attemptNoun, attempts.Select(a => Judge(of, a)).ToList());
        var first = attempts.Select(a => a.Observation.Target).FirstOrDefault() ?? of.Name;
        return new Observation
        {
            Target = string.Create(CultureInfo.InvariantCulture, $"{parallel} × {of.Name} ({first})"),
            Connected = attempts.Any(a => a.Observation.Connected),
            Elapsed = time.GetElapsedTime(started),
            Addresses = attempts.Select(a => a.Observation.Addresses).FirstOrDefault(a => a.Count > 0) ?? [],
            Load = load,
        };
    }

    /// <summary>An attempt passes as its target would: no probe error and every condition holds (warnings pass).</summary>
    internal static LoadAttempt Judge(TargetSpec of, ConcurrencyAttempt attempt)
    {
        var observation = attempt.Observation;
        var failed = attempt.Conditions.Where(c => !c.Ok).ToList();
        if (observation.Error is null && failed.Count == 0)
        {
            return new LoadAttempt { Succeeded = true, Latency = observation.Elapsed };
        }

        var verdict = Classifier.Classify(of, observation, attempt.Conditions);
        var message = observation.Error is { } error
            ? error.Message
            : string.Join("; ", failed.Select(c => $"{c.Expr} (actual: {c.Actual ?? "none"})"));
        return new LoadAttempt
        {
            Succeeded = false,
            Latency = observation.Elapsed,
            Layer = verdict.Layer,
            Side = verdict.Side,
            ErrorKind = observation.Error?.Kind.Wire(),
            Message = message,
            Remedy = verdict.Remedy,
        };
    }
}
