using System.Globalization;
using System.Text.RegularExpressions;

namespace GoldenPath;

/// <summary>The arithmetic the calculator tool evaluates.</summary>
internal enum ArithmeticOperator
{
    Add,
    Subtract,
    Multiply,
    Divide,
}

/// <summary>A question the agent understood as arithmetic on two numbers.</summary>
internal sealed record ArithmeticCall(decimal Left, ArithmeticOperator Operator, decimal Right)
{
    public string Expression => string.Create(
        CultureInfo.InvariantCulture,
        $"{CalculatorAgent.Format(Left)} {Symbol} {CalculatorAgent.Format(Right)}");

    private string Symbol => Operator switch
    {
        ArithmeticOperator.Add => "+",
        ArithmeticOperator.Subtract => "-",
        ArithmeticOperator.Multiply => "*",
        _ => "/",
    };
}

/// <summary>What the tool returned: a value, or the reason it could not compute one.</summary>
internal sealed record ToolOutcome(decimal? Value, string? Error)
{
    public string Text => Value is { } value ? CalculatorAgent.Format(value) : Error ?? string.Empty;
}

/// <summary>
/// The sample's agent, deterministic and local (no model, no network): it looks for one arithmetic
/// question on two numbers ("what is 6 times 7?", "12 / 4", "2.5 plus 1") and answers it with its one
/// tool, <c>calculator</c>. Anything else gets the fixed <see cref="FallbackAnswer"/> without a tool call.
/// </summary>
internal sealed partial class CalculatorAgent
{
    public const string Name = "calculator-agent";
    public const string ToolName = "calculator";

    public const string FallbackAnswer =
        "I can only do arithmetic on two numbers (plus, minus, times, divided by), for example: what is 6 times 7?";

    /// <summary>Finds the arithmetic question in <paramref name="text"/>; null when there is none.</summary>
    public static ArithmeticCall? Understand(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Match match;
        try
        {
            match = ArithmeticPattern().Match(text);
        }
        catch (RegexMatchTimeoutException)
        {
            return null;
        }

        if (!match.Success
            || !decimal.TryParse(match.Groups["left"].Value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var left)
            || !decimal.TryParse(match.Groups["right"].Value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var right))
        {
            return null;
        }

        var word = match.Groups["op"].Value;
        var op = word switch
        {
            "+" => ArithmeticOperator.Add,
            "-" => ArithmeticOperator.Subtract,
            "/" => ArithmeticOperator.Divide,
            _ when word.Equals("plus", StringComparison.OrdinalIgnoreCase) => ArithmeticOperator.Add,
            _ when word.Equals("minus", StringComparison.OrdinalIgnoreCase) => ArithmeticOperator.Subtract,
            _ when word.StartsWith("divided", StringComparison.OrdinalIgnoreCase) => ArithmeticOperator.Divide,
            _ => ArithmeticOperator.Multiply,
        };
        return new ArithmeticCall(left, op, right);
    }

    /// <summary>The calculator tool.</summary>
    public static ToolOutcome Evaluate(ArithmeticCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            return call.Operator switch
            {
                ArithmeticOperator.Add => new ToolOutcome(call.Left + call.Right, null),
                ArithmeticOperator.Subtract => new ToolOutcome(call.Left - call.Right, null),
                ArithmeticOperator.Multiply => new ToolOutcome(call.Left * call.Right, null),
                _ when call.Right == 0 => new ToolOutcome(null, "cannot divide by zero"),
                _ => new ToolOutcome(call.Left / call.Right, null),
            };
        }
        catch (OverflowException)
        {
            return new ToolOutcome(null, "the result is too large");
        }
    }

    /// <summary>The whole agent in one call: the answer it gives to <paramref name="text"/>.</summary>
    public static string Answer(string text) => Understand(text) is { } call ? Evaluate(call).Text : FallbackAnswer;

    /// <summary>Invariant, no trailing zeros: 42, 2.5, -0.25.</summary>
    public static string Format(decimal value) => value.ToString("G29", CultureInfo.InvariantCulture);

    [GeneratedRegex(
        @"(?<left>-?\d{1,15}(?:\.\d{1,10})?)\s*(?<op>plus|\+|minus|-|times|multiplied\s+by|x|\*|divided\s+by|/)\s*(?<right>-?\d{1,15}(?:\.\d{1,10})?)",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant,
        matchTimeoutMilliseconds: 100)]
    private static partial Regex ArithmeticPattern();
}
