namespace Faultline.Monitor.Engine;

/// <summary>
/// Deterministic per-target timing: the first probe's offset within the first interval and each
/// probe's jitter (below a tenth of the interval), both derived from the target's name, so many
/// targets with the same interval do not fire at the same instant and a run is reproducible.
/// </summary>
internal static class Schedule
{
    /// <summary>The share of the interval jitter may add.</summary>
    public const double JitterShare = 0.1;

    /// <summary>
    /// When, after the schedule's origin, the first probe is due: spread over the first nine tenths of the
    /// interval, so that with its jitter probe number n always falls in [n, n + 1) intervals after the origin.
    /// </summary>
    public static TimeSpan FirstOffset(string target, TimeSpan interval) =>
        TimeSpan.FromTicks((long)(Fraction(Hash(target, ulong.MaxValue)) * interval.Ticks * (1 - JitterShare)));

    /// <summary>The jitter of the probe number <paramref name="sequence"/>: in [0, interval / 10).</summary>
    public static TimeSpan Jitter(string target, long sequence, TimeSpan interval) =>
        TimeSpan.FromTicks((long)(Fraction(Hash(target, (ulong)sequence)) * interval.Ticks * JitterShare));

    /// <summary>
    /// When probe number <paramref name="sequence"/> is due (jitter included); <see cref="DateTimeOffset.MaxValue"/>
    /// when that lies beyond the calendar (an interval of millennia), instead of overflowing.
    /// </summary>
    public static DateTimeOffset Due(DateTimeOffset origin, string target, long sequence, TimeSpan interval)
    {
        var after = (decimal)FirstOffset(target, interval).Ticks + ((decimal)interval.Ticks * sequence) + Jitter(target, sequence, interval).Ticks;
        return after < DateTimeOffset.MaxValue.UtcTicks - origin.UtcTicks ? origin + TimeSpan.FromTicks((long)after) : DateTimeOffset.MaxValue;
    }

    /// <summary>
    /// The timer to set for a wait of <paramref name="wait"/>, at most <paramref name="longest"/>: at least a
    /// millisecond. A timer counts whole milliseconds and may fire up to one early, so the last step of a sleep is
    /// often a fraction of one; a shorter delay completes at once, and the sleep would spin on the clock until due.
    /// </summary>
    public static TimeSpan TimerWait(TimeSpan wait, TimeSpan longest) =>
        wait > longest ? longest : wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait;

    private static double Fraction(ulong hash) => (hash >> 11) / (double)(1UL << 53);

    /// <summary>FNV-1a over the name and the salt, then a final mix: stable across processes and runs.</summary>
    private static ulong Hash(string text, ulong salt)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        for (var i = 0; i < 8; i++)
        {
            hash = (hash ^ ((salt >> (i * 8)) & 0xFF)) * 1099511628211UL;
        }

        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdUL;
        hash ^= hash >> 33;
        hash *= 0xc4ceb9fe1a85ec53UL;
        hash ^= hash >> 33;
        return hash;
    }
}
