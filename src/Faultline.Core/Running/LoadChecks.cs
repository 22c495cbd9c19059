using Faultline.Core.Config;

namespace Faultline.Core.Running;

/// <summary>Defaults shared by the load-check kinds (<c>concurrency</c>, <c>startup</c>) and their probes.</summary>
public static class LoadChecks
{
    /// <summary>The condition a load target is judged by when it lists none: every attempt must succeed.</summary>
    public const string DefaultCondition = "[SUCCESS_RATE] == 1";

    /// <summary>startup: how long an instance may take to be ready when the target sets no <c>deadline</c>.</summary>
    public static readonly TimeSpan DefaultStartupDeadline = TimeSpan.FromSeconds(60);

    /// <summary>startup: time to stop every instance (SIGTERM, grace, kill) after the deadline.</summary>
    public static readonly TimeSpan StartupStopAllowance = TimeSpan.FromSeconds(15);

    /// <summary>startup: how long a stopped instance gets between SIGTERM and SIGKILL.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    /// <summary>True for <c>concurrency</c> and <c>startup</c>.</summary>
    public static bool IsLoadKind(string kind) => kind is TargetKinds.Concurrency or TargetKinds.Startup;

    /// <summary>
    /// A target's hard deadline: its <c>timeout</c>, else <c>defaults.timeout</c>. A startup target without a
    /// timeout gets its ready deadline plus <see cref="StartupStopAllowance"/>, so the instances can be stopped.
    /// </summary>
    public static TimeSpan TimeoutOf(TargetSpec target, DefaultsSpec defaults)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(defaults);
        if (target.Timeout is { } timeout)
        {
            return timeout;
        }

        return target.Kind == TargetKinds.Startup
            ? (target.Deadline ?? DefaultStartupDeadline) + StartupStopAllowance
            : defaults.Timeout;
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

    /// <summary>What one attempt of a target kind is called in evidence lines.</summary>
    public static string AttemptNoun(string kind) => kind switch
    {
        TargetKinds.Postgres or TargetKinds.Redis or TargetKinds.Tcp => "connects",
        TargetKinds.Http or TargetKinds.Remote => "requests",
        TargetKinds.WebSocket => "sessions",
        TargetKinds.Tls => "handshakes",
        TargetKinds.Dns => "lookups",
        TargetKinds.Secret => "reads",
        TargetKinds.Startup => "instances",
        _ => "probes",
    };
}
