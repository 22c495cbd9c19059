using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Faultline.Core.Model;

namespace Faultline.Core.Conditions;

/// <summary>Evaluates a parsed condition against an observation. Never throws: a missing value is a failed condition.</summary>
public static class ConditionEvaluator
{
    public static ConditionResult Evaluate(Condition condition, Observation observation, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(observation);
        var actual = Resolve(condition, new EvaluationInput(observation, now));
        if (actual is MissingValue missing)
        {
            return new ConditionResult(condition.Text, false, missing.Description);
        }

        bool ok;
        try
        {
            ok = Compare(condition, actual);
        }
        catch (RegexMatchTimeoutException)
        {
            var timeout = Durations.Format(ConditionParser.RegexTimeout);
            return new ConditionResult(condition.Text, false, $"{actual.Display} (regex timed out after {timeout})");
        }

        return new ConditionResult(condition.Text, ok, actual.Display);
    }

    private static ActualValue Resolve(Condition condition, EvaluationInput input)
    {
        var value = condition.Info.Read(input, condition.Argument);
        if (condition.Path.Count == 0 || value is not TextValue body)
        {
            return value;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.Value);
        }
        catch (JsonException)
        {
            return new MissingValue("(body is not JSON)");
        }

        using (document)
        {
            var element = document.RootElement;
            foreach (var segment in condition.Path)
            {
                if (segment.Property is { } property)
                {
                    if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(property, out var child))
                    {
                        return NoSuchPath(condition.Path);
                    }

                    element = child;
                }
                else
                {
                    if (element.ValueKind != JsonValueKind.Array || segment.Index >= element.GetArrayLength())
                    {
                        return NoSuchPath(condition.Path);
                    }

                    element = element[segment.Index];
                }
            }

            return JsonValue.From(element);
        }
    }

    private static MissingValue NoSuchPath(IReadOnlyList<PathSegment> path)
    {
        var builder = new StringBuilder("(no such path: ");
        foreach (var segment in path)
        {
            builder.Append(segment.ToString());
        }

        return new MissingValue(builder.Append(')').ToString());
    }

    private static bool Compare(Condition condition, ActualValue actual)
    {
        var op = condition.Operator;
        var literal = condition.Literal;
        switch (op)
        {
            case ConditionOperator.Matches:
                return condition.Regex is { } regex && regex.IsMatch(actual.Text);
            case ConditionOperator.Contains:
                if (actual is JsonValue { Kind: JsonValueKind.Array } array)
                {
                    return array.Items.Any(item => string.Equals(item, literal.Text, StringComparison.Ordinal));
                }

                return actual.Text.Contains(literal.Text, condition.Info.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
        }

        int? order = actual switch
        {
            NumberValue number when literal.Number is { } n => number.Value.CompareTo(n),
            DurationValue duration when literal.Duration is { } d => duration.Value.CompareTo(d),
            BooleanValue boolean when literal.Boolean is { } b => boolean.Value == b ? 0 : 1,
            JsonValue { Kind: JsonValueKind.Number, Number: { } jn } when literal.Number is { } ln => jn.CompareTo(ln),
            JsonValue { Kind: JsonValueKind.String } js when Operators.IsOrdering(op) && literal.Number is { } ln2
                && double.TryParse(js.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed.CompareTo(ln2),
            _ => null,
        };

        if (order is null)
        {
            if (!Operators.IsEquality(op))
            {
                return false;
            }

            var comparison = condition.Info.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
            var equal = string.Equals(actual.Text, literal.Text, comparison);
            return op == ConditionOperator.Equal ? equal : !equal;
        }

        var o = order.Value;
        return op switch
        {
            ConditionOperator.Equal => o == 0,
            ConditionOperator.NotEqual => o != 0,
            ConditionOperator.Less => o < 0,
            ConditionOperator.LessOrEqual => o <= 0,
            ConditionOperator.Greater => o > 0,
            _ => o >= 0,
        };
    }
}
