using Microsoft.Extensions.Logging;

namespace Faultline.AspNetCore.Startup;

/// <summary>
/// Watches one running phase against its slow share: a timer on the injected <see cref="TimeProvider"/>
/// fires when the phase has used <see cref="ResolvedPhase.SlowShare"/> of its budget, marks the phase
/// slow in the timeline and logs a warning, once, while the phase still runs. <see cref="End"/> gives the
/// final flag and share (and warns then if the phase crossed the share before the timer could).
/// </summary>
internal sealed partial class SlowPhaseWatch : IDisposable
{
    private const int Watching = 0;
    private const int Warned = 1;
    private const int Ended = 2;

    private readonly ResolvedPhase _phase;
    private readonly long _started;
    private readonly StartupState _state;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ITimer _timer;
    private int _stage = Watching;

    public SlowPhaseWatch(ResolvedPhase phase, long started, StartupState state, TimeProvider time, ILogger logger)
    {
        _phase = phase;
        _started = started;
        _state = state;
        _time = time;
        _logger = logger;
        _timer = time.CreateTimer(_ => OnShareReached(), null, phase.Budget * phase.SlowShare, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The share of <paramref name="budget"/> that <paramref name="elapsed"/> is, as shown in the timeline (2 decimals).</summary>
    public static double Share(TimeSpan elapsed, TimeSpan budget) => Math.Round(elapsed / budget, 2, MidpointRounding.AwayFromZero);

    /// <summary>Stops watching: whether the phase was slow and, if so, the share of the budget it used in all.</summary>
    public (bool Slow, double? BudgetShare) End(TimeSpan elapsed)
    {
        var stage = Interlocked.Exchange(ref _stage, Ended);
        _timer.Dispose();
        var share = elapsed / _phase.Budget;
        if (stage == Watching && share >= _phase.SlowShare)
        {
            Warn(elapsed, share);
        }

        return stage == Warned || share >= _phase.SlowShare ? (true, Share(elapsed, _phase.Budget)) : (false, null);
    }

    public void Dispose() => _timer.Dispose();

    private void OnShareReached()
    {
        if (Interlocked.CompareExchange(ref _stage, Warned, Watching) != Watching)
        {
            return;
        }

        var elapsed = _time.GetElapsedTime(_started);
        var share = Share(elapsed, _phase.Budget);
        // An entry that has ended keeps the share of its end.
        _state.UpdatePhase(_phase.Name, p => p.EndedAt is null ? p with { Slow = true, BudgetShare = share } : p);
        Warn(elapsed, elapsed / _phase.Budget);
    }

    private void Warn(TimeSpan elapsed, double share) =>
        LogPhaseSlow(_logger, _phase.Name, Math.Round(elapsed.TotalSeconds, 1), Math.Round(_phase.Budget.TotalSeconds, 1), Math.Round(share, 2, MidpointRounding.AwayFromZero), _phase.SlowShare);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Warning, Message = "phase {Phase} is slow: {ElapsedSeconds} s of its {BudgetSeconds} s budget used (share {BudgetShare}, warning at {SlowShare})")]
    private static partial void LogPhaseSlow(ILogger logger, string phase, double elapsedSeconds, double budgetSeconds, double budgetShare, double slowShare);
}
