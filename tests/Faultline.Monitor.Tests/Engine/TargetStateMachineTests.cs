using Faultline.Core.Model;
using Faultline.Monitor.Engine;

namespace Faultline.Monitor.Tests.Engine;

/// <summary>The state machine alone: no engine, no clock, no async — each step is given its time.</summary>
public sealed class TargetStateMachineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset At(int seconds) => T0.AddSeconds(seconds);

    /// <summary>Records and judges one result with thresholds 3 (failures) and 2 (passes).</summary>
    private static StateStep Step(TargetStateMachine machine, ResultStatus status, int second, TargetState passing = TargetState.Up)
    {
        machine.Record(status, At(second));
        return machine.Judge(status, passing, failureThreshold: 3, successThreshold: 2, At(second));
    }

    [Fact]
    public void Judge_PassesBelowSuccessThreshold_StaysPending()
    {
        var machine = new TargetStateMachine();

        Assert.Equal(StateStep.None, Step(machine, ResultStatus.Pass, 0));

        Assert.Equal(TargetState.Pending, machine.Shown);
        Assert.Null(machine.LastChange);
    }

    [Fact]
    public void Judge_SuccessThresholdReached_PendingBecomesUpWithoutCountingAsAChange()
    {
        var machine = new TargetStateMachine();
        Step(machine, ResultStatus.Pass, 0);

        Assert.Equal(StateStep.None, Step(machine, ResultStatus.Pass, 5));

        Assert.Equal(TargetState.Up, machine.Shown);
        Assert.Equal(At(5), machine.LastChange);
        Assert.Equal(0, machine.RecentChanges);
    }

    [Fact]
    public void Judge_FailuresUpToThreshold_AsksToGoDownOnlyAtTheThreshold()
    {
        var machine = new TargetStateMachine();
        Step(machine, ResultStatus.Pass, 0);
        Step(machine, ResultStatus.Pass, 5);

        Assert.Equal(StateStep.None, Step(machine, ResultStatus.Fail, 10));
        Assert.Equal(StateStep.None, Step(machine, ResultStatus.Fail, 15));
        Assert.Equal(StateStep.FailureThresholdReached, Step(machine, ResultStatus.Fail, 20));

        // Not down until the engine says so (it may wait for a dependency's next result).
        Assert.Equal(TargetState.Up, machine.Base);
        Assert.Equal(At(10), machine.FailingSince);
        Assert.Equal(StateStep.FailureThresholdReached, Step(machine, ResultStatus.Fail, 25));
    }

    [Fact]
    public void GoDown_ThenFailures_NoFurtherStepAndFailingSinceKept()
    {
        var machine = Down();

        Assert.Equal(StateStep.None, Step(machine, ResultStatus.Fail, 30));

        Assert.Equal(TargetState.Down, machine.Shown);
        Assert.Equal(At(10), machine.FailingSince);
    }

    [Fact]
    public void Judge_DownThenPassesToSuccessThreshold_RecoversOnceToThePassingState()
    {
        var machine = Down();

        Assert.Equal(StateStep.None, Step(machine, ResultStatus.Pass, 30, TargetState.Degraded));
        Assert.Equal(TargetState.Down, machine.Shown);
        Assert.Equal(StateStep.Recovered, Step(machine, ResultStatus.Pass, 35, TargetState.Degraded));

        Assert.Equal(TargetState.Degraded, machine.Shown);
        Assert.Null(machine.FailingSince);
        Assert.Equal(StateStep.None, Step(machine, ResultStatus.Pass, 40));
        Assert.Equal(TargetState.Up, machine.Shown);
    }

    [Fact]
    public void Judge_PassBetweenFailures_RestartsTheFailureCount()
    {
        var machine = Up();
        Step(machine, ResultStatus.Fail, 10);
        Step(machine, ResultStatus.Fail, 15);
        Step(machine, ResultStatus.Pass, 20);

        Assert.Equal(StateStep.None, Step(machine, ResultStatus.Fail, 25));
        Assert.Equal(StateStep.None, Step(machine, ResultStatus.Fail, 30));
        Assert.Equal(At(25), machine.FailingSince);
        Assert.Equal(StateStep.FailureThresholdReached, Step(machine, ResultStatus.Fail, 35));
    }

    [Fact]
    public void UpdateFlapping_ChangesReachTheLimitInsideTheWindow_FlappingUntilAQuietWindow()
    {
        var window = TimeSpan.FromMinutes(1);
        var machine = Up();

        // Up -> degraded -> up -> degraded: three changes within the window.
        foreach (var (second, passing) in new[] { (10, TargetState.Degraded), (15, TargetState.Up), (20, TargetState.Degraded) })
        {
            Step(machine, ResultStatus.Pass, second, passing);
            machine.UpdateFlapping(At(second), window, flapChanges: 3);
        }

        Assert.True(machine.Flapping);
        Assert.Equal(TargetState.Flapping, machine.Shown);
        Assert.Equal(TargetState.Degraded, machine.Base);

        machine.UpdateFlapping(At(79), window, flapChanges: 3);
        Assert.True(machine.Flapping);
        machine.UpdateFlapping(At(80), window, flapChanges: 3);
        Assert.False(machine.Flapping);
        Assert.Equal(0, machine.RecentChanges);
    }

    [Fact]
    public void UpdateFlapping_LimitZero_NeverFlaps()
    {
        var machine = Up();
        for (var second = 10; second < 50; second += 5)
        {
            Step(machine, ResultStatus.Pass, second, second % 10 == 0 ? TargetState.Degraded : TargetState.Up);
            machine.UpdateFlapping(At(second), TimeSpan.FromMinutes(1), flapChanges: 0);
        }

        Assert.False(machine.Flapping);
        Assert.Equal(8, machine.RecentChanges);
    }

    [Fact]
    public void RecordProbeError_ShownAsErrorUntilAResultArrives_CountsAttempts()
    {
        var machine = Up();

        machine.RecordProbeError("InvalidOperationException: boom", At(10));
        machine.RecordProbeError("InvalidOperationException: again", At(15));

        Assert.Equal(TargetState.Error, machine.Shown);
        Assert.Equal(TargetState.Up, machine.Base);
        Assert.Equal(2, machine.ConsecutiveProbeErrors);
        Assert.Equal(At(10), machine.ProbeErrorSince);
        Assert.Equal("InvalidOperationException: again", machine.ProbeError);

        Step(machine, ResultStatus.Pass, 20);
        Assert.Equal(TargetState.Up, machine.Shown);
        Assert.Null(machine.ProbeError);
        Assert.Equal(0, machine.ConsecutiveProbeErrors);
    }

    [Fact]
    public void Restart_DownChildStillFailing_PendingWithAFreshCount()
    {
        var machine = Down();

        machine.Restart(At(30));

        Assert.Equal(TargetState.Pending, machine.Shown);
        Assert.Null(machine.FailingSince);
        Assert.Equal(StateStep.None, Step(machine, ResultStatus.Fail, 35));
        Assert.Equal(StateStep.None, Step(machine, ResultStatus.Fail, 40));
        Assert.Equal(StateStep.FailureThresholdReached, Step(machine, ResultStatus.Fail, 45));
    }

    [Fact]
    public void ShownChanged_SameState_False_OtherState_TrueAndStamped()
    {
        var machine = Up();

        Assert.False(machine.ShownChanged(TargetState.Up, At(10)));
        Assert.True(machine.ShownChanged(TargetState.Down, At(12)));
        Assert.Equal(At(12), machine.LastChange);
    }

    [Fact]
    public void RestoreDown_FromTheStore_DownSinceTheIncidentStarted()
    {
        var machine = new TargetStateMachine();

        machine.RestoreDown(At(-600));

        Assert.Equal(TargetState.Down, machine.Shown);
        Assert.Equal(At(-600), machine.LastChange);
        Step(machine, ResultStatus.Pass, 0);
        Assert.Equal(StateStep.Recovered, Step(machine, ResultStatus.Pass, 5));
    }

    private static TargetStateMachine Up()
    {
        var machine = new TargetStateMachine();
        Step(machine, ResultStatus.Pass, 0);
        Step(machine, ResultStatus.Pass, 5);
        return machine;
    }

    private static TargetStateMachine Down()
    {
        var machine = Up();
        Step(machine, ResultStatus.Fail, 10);
        Step(machine, ResultStatus.Fail, 15);
        Step(machine, ResultStatus.Fail, 20);
        machine.GoDown(At(20));
        return machine;
    }
}
