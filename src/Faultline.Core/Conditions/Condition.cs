using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Faultline.Core.Conditions;

/// <summary>A parsed condition such as <c>[STATUS] == 200</c>. Create with <see cref="ConditionParser.Parse"/>.</summary>
public sealed class Condition
{
    internal Condition(string text, PlaceholderInfo placeholder, string? argument, IReadOnlyList<PathSegment> path, ConditionOperator op, Literal literal, Regex? regex)
    {
        Text = text;
        Info = placeholder;
        Argument = argument;
        Path = path;
        Operator = op;
        Literal = literal;
        Regex = regex;
    }

    /// <summary>The expression as written.</summary>
    public string Text { get; }

    /// <summary>The placeholder's name without brackets, e.g. <c>STATUS</c> or <c>BODY</c>.</summary>
    public string Placeholder => Info.Name;

    internal PlaceholderInfo Info { get; }

    internal string? Argument { get; }

    internal IReadOnlyList<PathSegment> Path { get; }

    internal ConditionOperator Operator { get; }

    internal Literal Literal { get; }

    internal Regex? Regex { get; }

    /// <summary>The canonical form: single spaces, strings quoted only when they were quoted.</summary>
    internal string Canonical
    {
        get
        {
            var builder = new StringBuilder();
            builder.Append('[').Append(Info.Name);
            if (Argument is not null)
            {
                builder.Append(':').Append(Argument);
            }

            builder.Append(']');
            foreach (var segment in Path)
            {
                builder.Append(segment.ToString());
            }

            builder.Append(' ').Append(Operators.Symbol(Operator)).Append(' ');
            if (Literal.Quoted)
            {
                builder.Append('"');
                foreach (var c in Literal.Text)
                {
                    if (c is '"' or '\\')
                    {
                        builder.Append('\\');
                    }

                    builder.Append(c);
                }

                builder.Append('"');
            }
            else
            {
                builder.Append(Literal.Text);
            }

            return builder.ToString();
        }
    }

    public override string ToString() => Text;
}

internal enum ConditionOperator
{
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Contains,
    Matches,
}

internal static class Operators
{
    public const string List = "==, !=, <, <=, >, >=, contains, matches";

    public static string Symbol(ConditionOperator op) => op switch
    {
        ConditionOperator.Equal => "==",
        ConditionOperator.NotEqual => "!=",
        ConditionOperator.Less => "<",
        ConditionOperator.LessOrEqual => "<=",
        ConditionOperator.Greater => ">",
        ConditionOperator.GreaterOrEqual => ">=",
        ConditionOperator.Contains => "contains",
        _ => "matches",
    };

    public static bool IsOrdering(ConditionOperator op) =>
        op is ConditionOperator.Less or ConditionOperator.LessOrEqual or ConditionOperator.Greater or ConditionOperator.GreaterOrEqual;

    public static bool IsEquality(ConditionOperator op) => op is ConditionOperator.Equal or ConditionOperator.NotEqual;
}

/// <summary>One step of a JSON path: <c>.name</c> or <c>[index]</c>.</summary>
internal sealed record PathSegment(string? Property, int Index)
{
    public override string ToString() => Property is not null
        ? "." + Property
        : "[" + Index.ToString(CultureInfo.InvariantCulture) + "]";
}

/// <summary>The right-hand value, with every reading of it that applies.</summary>
internal sealed record Literal(string Text, bool Quoted, int Column)
{
    public double? Number { get; init; }

    public TimeSpan? Duration { get; init; }

    public bool? Boolean { get; init; }

    public static Literal Create(string text, bool quoted, int column)
    {
        if (quoted)
        {
            return new Literal(text, true, column);
        }

        double? number = IsNumber(text) && double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n)
            ? n
            : null;
        TimeSpan? duration = Model.Durations.TryParse(text, out var d) ? d : null;
        bool? boolean = text switch
        {
            "true" => true,
            "false" => false,
            _ => null,
        };
        return new Literal(text, false, column) { Number = number, Duration = duration, Boolean = boolean };
    }

    private static bool IsNumber(string text)
    {
        var i = 0;
        if (i < text.Length && text[i] == '-')
        {
            i++;
        }

        var digits = 0;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
            digits++;
        }

        if (i < text.Length && text[i] == '.')
        {
            i++;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
                digits++;
            }
        }

        return digits > 0 && i == text.Length;
    }
}
