using Faultline.Core.Config;

namespace Faultline.Core.Running;

/// <summary>Defaults shared by the load-check kinds (<c>concurrency</c>, <c>startup</c>) and their probes.</summary>
public static class LoadChecks
{
    /// <summary>The condition a load target is judged by when it lists none: every attempt must succeed.</summary>
    public const string DefaultCondition = "[SUCCESS_RATE] == 1";

    /// <summary>What one attempt is called when its kind names nothing better (see <see cref="IProbe.AttemptNoun"/>).</summary>
    public const string DefaultAttemptNoun = "probes";

    /// <summary>startup: the environment variable naming each instance's termination-message file (Faultline.AspNetCore writes to it).</summary>
    public const string TerminationVariable = "Faultline__TerminationMessagePath";

    /// <summary>startup: how long an instance may take to be ready when the target sets no <c>deadline</c>.</summary>
    public static readonly TimeSpan DefaultStartupDeadline = TimeSpan.FromSeconds(60);

    /// <summary>startup: time to stop every instance (SIGTERM, grace, kill) after the deadline.</summary>
    public static readonly TimeSpan StartupStopAllowance = TimeSpan.FromSeconds(15);

    /// <summary>startup: how long a stopped instance gets between SIGTERM and SIGKILL.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    /// <summary>True for <c>concurrency</c> and <c>startup</c>.</summary>
    public static bool IsLoadKind(string kind) => kind is TargetKinds.Concurrency or TargetKinds.Startup;

    /// <summary>startup: the hard deadline of a target without a <c>timeout</c>: its ready deadline plus <see cref="StartupStopAllowance"/>, so the instances can be stopped.</summary>
    public static TimeSpan StartupTimeout(TargetSpec target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return (target.Deadline ?? DefaultStartupDeadline) + StartupStopAllowance;
    }

    /// <summary>startup: how long each instance may take to be ready under a hard deadline of <paramref name="timeout"/>.</summary>
    public static TimeSpan ReadyDeadline(TargetSpec target, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Deadline is { } deadline)
        {
            return deadline;
        }

        var left = timeout - StartupStopAllowance;
        return left > TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1);
    }
}
