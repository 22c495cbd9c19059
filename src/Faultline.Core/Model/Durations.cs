using System.Globalization;

namespace Faultline.Core.Model;

/// <summary>
/// Durations as Faultline writes them everywhere: an integer or decimal number and a unit,
/// <c>250ms</c>, <c>2s</c>, <c>1.5s</c>, <c>5m</c>, <c>2h</c>, <c>14d</c>. No bare numbers, no spaces.
/// </summary>
public static class Durations
{
    public const string Help = "write a number and a unit: 250ms, 2s, 1.5s, 5m, 2h or 14d";

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.Trim();
        var unitStart = 0;
        while (unitStart < s.Length && (char.IsAsciiDigit(s[unitStart]) || s[unitStart] == '.'))
        {
            unitStart++;
        }

        if (unitStart == 0 || unitStart == s.Length)
        {
            return false;
        }

        if (!double.TryParse(s.AsSpan(0, unitStart), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        double? ms = s[unitStart..] switch
        {
            "ms" => number,
            "s" => number * 1000,
            "m" => number * 60_000,
            "h" => number * 3_600_000,
            "d" => number * 86_400_000,
            _ => null,
        };

        if (ms is null || double.IsInfinity(ms.Value) || ms.Value > TimeSpan.MaxValue.TotalMilliseconds)
        {
            return false;
        }

        value = TimeSpan.FromMilliseconds(ms.Value);
        return true;
    }

    /// <summary>Compact form for config-like output: <c>250ms</c>, <c>2s</c>, <c>1.5s</c>, <c>5m</c>, <c>14d</c>.</summary>
    public static string Format(TimeSpan value)
    {
        var ms = value.TotalMilliseconds;
        if (ms < 1000)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{Math.Round(ms)}ms");
        }

        if (value.TotalSeconds < 120)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{Math.Round(value.TotalSeconds, 1)}s");
        }

        if (value.TotalMinutes < 120)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{Math.Round(value.TotalMinutes, 1)}m");
        }

        if (value.TotalHours < 48)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{Math.Round(value.TotalHours, 1)}h");
        }

        return string.Create(CultureInfo.InvariantCulture, $"{Math.Round(value.TotalDays, 1)}d");
    }

    /// <summary>The largest unit that writes <paramref name="value"/> exactly, as a config would: <c>1h</c>, <c>24h</c> stays <c>1d</c>, <c>90s</c>.</summary>
    public static string FormatExact(TimeSpan value)
    {
        foreach (var (unit, length) in new[] { ("d", TimeSpan.FromDays(1)), ("h", TimeSpan.FromHours(1)), ("m", TimeSpan.FromMinutes(1)), ("s", TimeSpan.FromSeconds(1)) })
        {
            if (value >= length && value.Ticks % length.Ticks == 0)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{value.Ticks / length.Ticks}{unit}");
            }
        }

        return Format(value);
    }

    /// <summary>Prose form for messages: <c>250 ms</c>, <c>5 s</c>, <c>3.2 min</c>, <c>13.5 days</c>.</summary>
    public static string Describe(TimeSpan value)
    {
        var negative = value < TimeSpan.Zero;
        var v = negative ? value.Negate() : value;
        string text;
        if (v.TotalMilliseconds < 1000)
        {
            text = string.Create(CultureInfo.InvariantCulture, $"{Math.Round(v.TotalMilliseconds)} ms");
        }
        else if (v.TotalSeconds < 120)
        {
            text = string.Create(CultureInfo.InvariantCulture, $"{Math.Round(v.TotalSeconds, 1)} s");
        }
        else if (v.TotalMinutes < 120)
        {
            text = string.Create(CultureInfo.InvariantCulture, $"{Math.Round(v.TotalMinutes, 1)} min");
        }
        else if (v.TotalHours < 48)
        {
            text = string.Create(CultureInfo.InvariantCulture, $"{Math.Round(v.TotalHours, 1)} h");
        }
        else
        {
            text = string.Create(CultureInfo.InvariantCulture, $"{Math.Round(v.TotalDays, 1)} days");
        }

        return negative ? "-" + text : text;
    }
}
