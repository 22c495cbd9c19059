using System.Globalization;
using System.Text;
using System.Text.Json;
using Faultline.Core.Model;

namespace Faultline.Store;

/// <summary>How values are written to and read from the store's columns (both backends).</summary>
internal static class Codec
{
    /// <summary>Messages longer than this are cut: the history keeps a hint, the report keeps the whole text.</summary>
    public const int MaxMessageLength = 500;

    private static readonly Layer[] Layers = Enum.GetValues<Layer>();

    public static string? Message(string? message) =>
        message is { Length: > MaxMessageLength } ? message[..MaxMessageLength] : message;

    public static ResultStatus Status(string text) => Enum.Parse<ResultStatus>(text, ignoreCase: true);

    public static Layer? Layer(string? text) => text is null ? null : Enum.Parse<Layer>(text, ignoreCase: true);

    public static Side? Side(string? text) => text is null ? null : Enum.Parse<Side>(text, ignoreCase: true);

    public static string Evidence(IReadOnlyList<string> evidence) => JsonSerializer.Serialize(evidence.ToArray());

    public static IReadOnlyList<string> Evidence(string text) =>
        text.Length == 0 ? [] : JsonSerializer.Deserialize<string[]>(text) ?? [];

    /// <summary>The hour <paramref name="value"/> falls in (UTC).</summary>
    public static DateTimeOffset FloorHour(DateTimeOffset value)
    {
        var utc = value.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerHour), TimeSpan.Zero);
    }

    /// <summary>Failures by layer as <c>database:3,network:1</c> (layer order, zero counts left out).</summary>
    public static string Failures(int[] byLayer)
    {
        var text = new StringBuilder();
        for (var i = 0; i < byLayer.Length; i++)
        {
            if (byLayer[i] > 0)
            {
                if (text.Length > 0)
                {
                    text.Append(',');
                }

                text.Append(Layers[i].Wire()).Append(':').Append(byLayer[i].ToString(CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }

    public static IReadOnlyDictionary<Layer, int> Failures(string text)
    {
        var result = new Dictionary<Layer, int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            result[Enum.Parse<Layer>(part[..colon], ignoreCase: true)] = int.Parse(part[(colon + 1)..], CultureInfo.InvariantCulture);
        }

        return result;
    }

    /// <summary>Nearest-rank percentile of sorted values: the smallest value with at least <paramref name="p"/> of the values at or below it.</summary>
    public static double Percentile(List<double> sorted, double p)
    {
        if (sorted.Count == 0)
        {
            return 0;
        }

        var rank = (int)Math.Ceiling(p * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }
}

/// <summary>Accumulates one hour of raw results, per target, into rollup rows.</summary>
internal sealed class HourRollup
{
    private readonly Dictionary<long, Bucket> _buckets = [];

    public int Count { get; private set; }

    public void Add(long targetId, ResultStatus status, Layer? layer, double durationMs)
    {
        if (!_buckets.TryGetValue(targetId, out var bucket))
        {
            bucket = new Bucket();
            _buckets[targetId] = bucket;
        }

        bucket.Durations.Add(durationMs);
        if (status != ResultStatus.Fail)
        {
            bucket.Passed++;
        }
        else
        {
            bucket.Failures[(int)(layer ?? Core.Model.Layer.Unknown)]++;
        }

        Count++;
    }

    public IEnumerable<Row> Rows()
    {
        foreach (var (targetId, bucket) in _buckets)
        {
            bucket.Durations.Sort();
            yield return new Row(
                targetId,
                bucket.Durations.Count,
                bucket.Passed,
                Codec.Percentile(bucket.Durations, 0.50),
                Codec.Percentile(bucket.Durations, 0.95),
                Codec.Percentile(bucket.Durations, 0.99),
                Codec.Failures(bucket.Failures));
        }
    }

    public readonly record struct Row(long TargetId, int Total, int Passed, double P50, double P95, double P99, string Failures);

    private sealed class Bucket
    {
        public List<double> Durations { get; } = [];

        public int Passed { get; set; }

        public int[] Failures { get; } = new int[Enum.GetValues<Layer>().Length];
    }
}
