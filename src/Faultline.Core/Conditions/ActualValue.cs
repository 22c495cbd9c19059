using System.Globalization;
using System.Text.Json;
using Faultline.Core.Model;

namespace Faultline.Core.Conditions;

/// <summary>The value a placeholder yielded for one observation.</summary>
internal abstract record ActualValue
{
    private const int MaxDisplayLength = 200;

    /// <summary>The value as shown in <see cref="ConditionResult.Actual"/>.</summary>
    public abstract string Display { get; }

    /// <summary>The value as text, for <c>contains</c>, <c>matches</c> and text equality.</summary>
    public abstract string Text { get; }

    protected static string Shorten(string text) =>
        text.Length <= MaxDisplayLength ? text : string.Concat(text.AsSpan(0, MaxDisplayLength), "…");
}

/// <summary>No value: no response, no certificate, body not JSON, path absent.</summary>
internal sealed record MissingValue(string Description) : ActualValue
{
    public override string Display => Description;

    public override string Text => string.Empty;
}

internal sealed record NumberValue(double Value) : ActualValue
{
    public override string Display => Text;

    public override string Text => Value.ToString(CultureInfo.InvariantCulture);
}

internal sealed record DurationValue(TimeSpan Value) : ActualValue
{
    public override string Display => Text;

    public override string Text => Value < TimeSpan.Zero && Value != TimeSpan.MinValue
        ? "-" + Durations.Format(Value.Negate())
        : Durations.Format(Value);
}

internal sealed record BooleanValue(bool Value) : ActualValue
{
    public override string Display => Text;

    public override string Text => Value ? "true" : "false";
}

internal sealed record TextValue(string Value) : ActualValue
{
    public override string Display => Shorten(Value);

    public override string Text => Value;
}

/// <summary>A JSON value copied out of a parsed body: strings unquoted, everything else as raw JSON.</summary>
internal sealed record JsonValue(JsonValueKind Kind, string Value, double? Number, IReadOnlyList<string> Items) : ActualValue
{
    public override string Display => Shorten(Value);

    public override string Text => Value;

    public static JsonValue From(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return new JsonValue(element.ValueKind, element.GetString() ?? string.Empty, null, []);
            case JsonValueKind.Number:
                double? number = element.TryGetDouble(out var d) ? d : null;
                return new JsonValue(element.ValueKind, element.GetRawText(), number, []);
            case JsonValueKind.Array:
                var items = new List<string>();
                foreach (var item in element.EnumerateArray())
                {
                    items.Add(item.ValueKind == JsonValueKind.String ? item.GetString() ?? string.Empty : item.GetRawText());
                }

                return new JsonValue(element.ValueKind, element.GetRawText(), null, items);
            default:
                return new JsonValue(element.ValueKind, element.GetRawText(), null, []);
        }
    }
}
