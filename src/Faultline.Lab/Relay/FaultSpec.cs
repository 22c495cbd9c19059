using System.Globalization;
using System.Text;
using Faultline.Core.Model;

namespace Faultline.Lab.Relay;

/// <summary>The faults the relay can put on a link.</summary>
public enum FaultKind
{
    /// <summary>Each chunk is forwarded <c>delay ± jitter</c> late, in one or both directions.</summary>
    Latency,
    /// <summary>Connections are accepted; nothing is forwarded in either direction.</summary>
    Blackhole,
    /// <summary>The connection is reset (RST) at connect, or after <c>afterBytes</c> bytes relayed.</summary>
    Reset,
    /// <summary>The relay stops listening: connects are refused (RST on SYN).</summary>
    Refuse,
    /// <summary>Each direction of each connection is throttled to <c>bytesPerSecond</c>.</summary>
    Bandwidth,
    /// <summary>At most <c>max</c> connections are relayed at once; extra ones are closed or queued.</summary>
    ConnectionCap,
    /// <summary>Accepted connections wait <c>delay</c> before the relay reads or forwards anything.</summary>
    SlowAccept,
    /// <summary>Every Nth new connection is closed at once.</summary>
    Drop,
}

/// <summary>Which bytes a latency fault delays.</summary>
public enum FaultDirection
{
    /// <summary>Client to upstream and upstream to client.</summary>
    Both,
    /// <summary>Client to upstream (requests).</summary>
    Up,
    /// <summary>Upstream to client (responses).</summary>
    Down,
}

/// <summary>What a connection cap does with a connection over the cap.</summary>
public enum CapMode
{
    /// <summary>Close it at once (FIN): the client reads end-of-stream.</summary>
    Reject,
    /// <summary>Hold it, unread, until a relayed connection closes.</summary>
    Queue,
}

/// <summary>
/// One fault on one relay link, as a scenario writes it: <c>{ fault: latency, delay: 5s, jitter: 100ms, direction: down }</c>.
/// Parameters that do not belong to <see cref="Kind"/> are null. Build one with <see cref="TryParse"/> (validates)
/// or with the factory methods.
/// </summary>
public sealed record FaultSpec
{
    /// <summary>The field names <see cref="TryParse"/> accepts and <see cref="ToFields"/> writes.</summary>
    public const string FaultKey = "fault";
    public const string DelayKey = "delay";
    public const string JitterKey = "jitter";
    public const string DirectionKey = "direction";
    public const string AfterBytesKey = "afterBytes";
    public const string BytesPerSecondKey = "bytesPerSecond";
    public const string MaxKey = "max";
    public const string ModeKey = "mode";
    public const string EveryKey = "every";

    private static readonly Dictionary<FaultKind, string[]> Allowed = new()
    {
        [FaultKind.Latency] = [DelayKey, JitterKey, DirectionKey],
        [FaultKind.Blackhole] = [],
        [FaultKind.Reset] = [AfterBytesKey],
        [FaultKind.Refuse] = [],
        [FaultKind.Bandwidth] = [BytesPerSecondKey],
        [FaultKind.ConnectionCap] = [MaxKey, ModeKey],
        [FaultKind.SlowAccept] = [DelayKey],
        [FaultKind.Drop] = [EveryKey],
    };

    public required FaultKind Kind { get; init; }

    /// <summary>latency: the added delay per chunk; slow-accept: how long an accepted connection waits.</summary>
    public TimeSpan? Delay { get; init; }

    /// <summary>latency: each chunk's delay varies uniformly within <c>delay ± jitter</c> (never below zero).</summary>
    public TimeSpan? Jitter { get; init; }

    /// <summary>latency: which direction is delayed (default both).</summary>
    public FaultDirection? Direction { get; init; }

    /// <summary>reset: reset once this many bytes (both directions together) have been relayed; null resets at connect.</summary>
    public long? AfterBytes { get; init; }

    /// <summary>bandwidth: the rate of each direction of each connection.</summary>
    public long? BytesPerSecond { get; init; }

    /// <summary>connection-cap: how many connections are relayed at once.</summary>
    public int? Max { get; init; }

    /// <summary>connection-cap: what happens to a connection over the cap (default reject).</summary>
    public CapMode? Mode { get; init; }

    /// <summary>drop: close every Nth new connection, counting from when the fault was set.</summary>
    public int? Every { get; init; }

    public static FaultSpec Latency(TimeSpan delay, TimeSpan? jitter = null, FaultDirection direction = FaultDirection.Both) =>
        Checked(new FaultSpec { Kind = FaultKind.Latency, Delay = delay, Jitter = jitter ?? TimeSpan.Zero, Direction = direction });

    public static FaultSpec Blackhole() => new() { Kind = FaultKind.Blackhole };

    public static FaultSpec Reset(long? afterBytes = null) => Checked(new FaultSpec { Kind = FaultKind.Reset, AfterBytes = afterBytes });

    public static FaultSpec Refuse() => new() { Kind = FaultKind.Refuse };

    public static FaultSpec Bandwidth(long bytesPerSecond) => Checked(new FaultSpec { Kind = FaultKind.Bandwidth, BytesPerSecond = bytesPerSecond });

    public static FaultSpec ConnectionCap(int max, CapMode mode = CapMode.Reject) => Checked(new FaultSpec { Kind = FaultKind.ConnectionCap, Max = max, Mode = mode });

    public static FaultSpec SlowAccept(TimeSpan delay) => Checked(new FaultSpec { Kind = FaultKind.SlowAccept, Delay = delay });

    public static FaultSpec Drop(int every) => Checked(new FaultSpec { Kind = FaultKind.Drop, Every = every });

    /// <summary>The wire name of a fault kind: <c>latency</c>, <c>connection-cap</c>, <c>slow-accept</c>, ...</summary>
    public static string Wire(FaultKind kind) => kind switch
    {
        FaultKind.Latency => "latency",
        FaultKind.Blackhole => "blackhole",
        FaultKind.Reset => "reset",
        FaultKind.Refuse => "refuse",
        FaultKind.Bandwidth => "bandwidth",
        FaultKind.ConnectionCap => "connection-cap",
        FaultKind.SlowAccept => "slow-accept",
        FaultKind.Drop => "drop",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>
    /// Parses the fields of a scenario entry without <c>link</c>: <c>fault</c> plus that fault's parameters.
    /// Unknown or misplaced keys, missing required parameters and bad values are errors with a message that says what to write.
    /// </summary>
    public static bool TryParse(IReadOnlyDictionary<string, string> fields, out FaultSpec spec, out string error)
    {
        ArgumentNullException.ThrowIfNull(fields);
        spec = Blackhole();
        if (!fields.TryGetValue(FaultKey, out var kindText) || string.IsNullOrWhiteSpace(kindText))
        {
            error = $"'{FaultKey}' is required: one of {KindList}";
            return false;
        }

        if (!TryParseKind(kindText, out var kind))
        {
            error = $"unknown fault '{kindText}': use one of {KindList}";
            return false;
        }

        var name = Wire(kind);
        var allowed = Allowed[kind];
        foreach (var key in fields.Keys)
        {
            if (key != FaultKey && !allowed.Contains(key, StringComparer.Ordinal))
            {
                error = allowed.Length == 0
                    ? $"fault {name}: unknown key '{key}' ({name} takes no parameters)"
                    : $"fault {name}: unknown key '{key}' (use {string.Join(", ", allowed)})";
                return false;
            }
        }

        var parsed = new FaultSpec { Kind = kind };
        error = string.Empty;
        var ok = kind switch
        {
            FaultKind.Latency =>
                TryDuration(fields, name, DelayKey, required: true, out var delay, ref error)
                && TryDuration(fields, name, JitterKey, required: false, out var jitter, ref error)
                && TryEnum(fields, name, DirectionKey, ["up", "down", "both"], out var direction, ref error)
                && Assign(parsed = parsed with
                {
                    Delay = delay,
                    Jitter = jitter ?? TimeSpan.Zero,
                    Direction = direction switch { "up" => FaultDirection.Up, "down" => FaultDirection.Down, _ => FaultDirection.Both },
                }),
            FaultKind.Reset =>
                TryInteger(fields, name, AfterBytesKey, required: false, min: 0, out var after, ref error)
                && Assign(parsed = parsed with { AfterBytes = after }),
            FaultKind.Bandwidth =>
                TryInteger(fields, name, BytesPerSecondKey, required: true, min: 1, out var rate, ref error)
                && Assign(parsed = parsed with { BytesPerSecond = rate }),
            FaultKind.ConnectionCap =>
                TryInteger(fields, name, MaxKey, required: true, min: 1, out var max, ref error)
                && TryEnum(fields, name, ModeKey, ["reject", "queue"], out var mode, ref error)
                && Assign(parsed = parsed with { Max = (int)max!.Value, Mode = mode == "queue" ? CapMode.Queue : CapMode.Reject }),
            FaultKind.SlowAccept =>
                TryDuration(fields, name, DelayKey, required: true, out var acceptDelay, ref error)
                && Assign(parsed = parsed with { Delay = acceptDelay }),
            FaultKind.Drop =>
                TryInteger(fields, name, EveryKey, required: true, min: 1, out var every, ref error)
                && Assign(parsed = parsed with { Every = (int)every!.Value }),
            _ => true,
        };

        if (!ok)
        {
            return false;
        }

        spec = parsed;
        return true;
    }

    /// <summary>The fields <see cref="TryParse"/> reads back: <c>fault</c> first, then the set parameters.</summary>
    public IReadOnlyDictionary<string, string> ToFields()
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal) { [FaultKey] = Wire(Kind) };
        if (Delay is { } delay)
        {
            fields[DelayKey] = FormatDuration(delay);
        }

        if (Jitter is { } jitter && (jitter > TimeSpan.Zero || Kind == FaultKind.Latency))
        {
            fields[JitterKey] = FormatDuration(jitter);
        }

        if (Direction is { } direction)
        {
            fields[DirectionKey] = direction.ToString().ToLowerInvariant();
        }

        if (AfterBytes is { } after)
        {
            fields[AfterBytesKey] = after.ToString(CultureInfo.InvariantCulture);
        }

        if (BytesPerSecond is { } rate)
        {
            fields[BytesPerSecondKey] = rate.ToString(CultureInfo.InvariantCulture);
        }

        if (Max is { } max)
        {
            fields[MaxKey] = max.ToString(CultureInfo.InvariantCulture);
        }

        if (Mode is { } mode)
        {
            fields[ModeKey] = mode.ToString().ToLowerInvariant();
        }

        if (Every is { } every)
        {
            fields[EveryKey] = every.ToString(CultureInfo.InvariantCulture);
        }

        return fields;
    }

    /// <summary><c>latency(delay=5s, jitter=0ms, direction=both)</c>.</summary>
    public override string ToString()
    {
        var fields = ToFields();
        var builder = new StringBuilder(Wire(Kind));
        var first = true;
        foreach (var (key, value) in fields)
        {
            if (key == FaultKey)
            {
                continue;
            }

            builder.Append(first ? "(" : ", ").Append(key).Append('=').Append(value);
            first = false;
        }

        return first ? builder.ToString() : builder.Append(')').ToString();
    }

    /// <summary>Durations the way <see cref="Durations.TryParse"/> reads them back exactly: <c>5s</c>, <c>250ms</c>, <c>0.5ms</c>.</summary>
    internal static string FormatDuration(TimeSpan value)
    {
        if (value.Ticks % TimeSpan.TicksPerSecond == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{value.Ticks / TimeSpan.TicksPerSecond}s");
        }

        if (value >= TimeSpan.FromSeconds(1) && value.Ticks % (TimeSpan.TicksPerMillisecond * 100) == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{value.TotalSeconds:0.#}s");
        }

        if (value.Ticks % TimeSpan.TicksPerMillisecond == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{value.Ticks / TimeSpan.TicksPerMillisecond}ms");
        }

        return string.Create(CultureInfo.InvariantCulture, $"{value.TotalMilliseconds:0.####}ms");
    }

    private static string KindList => string.Join(", ", Enum.GetValues<FaultKind>().Select(Wire));

    private static bool TryParseKind(string text, out FaultKind kind)
    {
        foreach (var candidate in Enum.GetValues<FaultKind>())
        {
            if (string.Equals(Wire(candidate), text.Trim(), StringComparison.Ordinal))
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }

    private static bool Assign(FaultSpec spec) => spec is not null;

    private static bool TryDuration(IReadOnlyDictionary<string, string> fields, string fault, string key, bool required, out TimeSpan? value, ref string error)
    {
        value = null;
        if (!fields.TryGetValue(key, out var text) || string.IsNullOrWhiteSpace(text))
        {
            if (required)
            {
                error = $"fault {fault}: '{key}' is required ({Durations.Help})";
                return false;
            }

            return true;
        }

        if (!Durations.TryParse(text, out var parsed) || text.Any(char.IsWhiteSpace))
        {
            error = $"fault {fault}: '{key}' is not a duration: '{text}' ({Durations.Help})";
            return false;
        }

        value = parsed;
        return true;
    }

    private static bool TryInteger(IReadOnlyDictionary<string, string> fields, string fault, string key, bool required, long min, out long? value, ref string error)
    {
        value = null;
        if (!fields.TryGetValue(key, out var text) || string.IsNullOrWhiteSpace(text))
        {
            if (required)
            {
                error = $"fault {fault}: '{key}' is required (a whole number >= {min})";
                return false;
            }

            return true;
        }

        if (!long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed < min || parsed > int.MaxValue && key is MaxKey or EveryKey)
        {
            error = $"fault {fault}: '{key}' must be a whole number >= {min}, not '{text}'";
            return false;
        }

        value = parsed;
        return true;
    }

    private static bool TryEnum(IReadOnlyDictionary<string, string> fields, string fault, string key, string[] choices, out string? value, ref string error)
    {
        value = null;
        if (!fields.TryGetValue(key, out var text) || string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        var trimmed = text.Trim();
        if (!choices.Contains(trimmed, StringComparer.Ordinal))
        {
            error = $"fault {fault}: '{key}' must be {string.Join(" or ", choices)}, not '{text}'";
            return false;
        }

        value = trimmed;
        return true;
    }

    private static FaultSpec Checked(FaultSpec spec)
    {
        if (!TryParse(spec.ToFields(), out var parsed, out var error))
        {
            throw new ArgumentException(error);
        }

        return parsed;
    }
}
