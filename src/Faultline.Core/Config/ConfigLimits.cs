namespace Faultline.Core.Config;

/// <summary>
/// The bounds every config is held to when it is loaded (docs/security.md, "Limits"). The config is
/// trusted to name targets, not to be well-formed: past a bound the loader reports a config error
/// (with <c>file:line:column</c> where there is one) instead of running out of time, memory or stack.
/// </summary>
public static class ConfigLimits
{
    /// <summary>The largest config file read, checked before it is opened: a config of 10,000 targets is about 2 MiB.</summary>
    public const long MaxFileBytes = 16 * 1024 * 1024;

    /// <summary>How deep mappings and lists may nest (a config needs 6 levels; a JSON <c>send</c> or <c>body</c> counts its own).</summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// How many YAML nodes (scalars, mappings, lists) a config may stand for, each alias counted as the nodes of its
    /// anchor: a config of 10,000 targets has about 250,000; an alias bomb ("billion laughs") is refused at the alias
    /// that crosses it, and a file of a million one-character entries after half of them (within a second).
    /// </summary>
    public const int MaxNodes = 500_000;

    /// <summary>How many errors are reported; the rest are counted ("and N more errors").</summary>
    public const int MaxErrorsShown = 100;

    /// <summary>The longest timeout or deadline (a probe, a delivery attempt, a latency threshold).</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromHours(1);

    /// <summary>The longest interval between two probes, or between two validation runs, and the longest flapping window.</summary>
    public static readonly TimeSpan MaxInterval = TimeSpan.FromDays(1);

    /// <summary>The longest reminder period of an open incident.</summary>
    public static readonly TimeSpan MaxReminder = TimeSpan.FromDays(7);

    /// <summary>The longest retention of the monitor's history (ten years).</summary>
    public static readonly TimeSpan MaxRetention = TimeSpan.FromDays(3650);
}
