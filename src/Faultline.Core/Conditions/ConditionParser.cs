using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Faultline.Core.Config;

namespace Faultline.Core.Conditions;

/// <summary>
/// Parses conditions: <c>PLACEHOLDER OPERATOR VALUE</c>, e.g. <c>[STATUS] == 200</c>,
/// <c>[RESPONSE_TIME] &lt; 2s</c>, <c>[BODY].status == ok</c>. See docs/conditions.md.
/// </summary>
public static class ConditionParser
{
    /// <summary>How long a <c>matches</c> regex may run on one value.</summary>
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(100);

    private const string Example = "write a placeholder, an operator and a value, e.g. [STATUS] == 200";

    /// <summary>Parse; throws <see cref="ConditionSyntaxException"/> with the column and a hint.</summary>
    public static Condition Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new Parser(text).Parse();
    }

    private sealed class Parser(string text)
    {
        private int _pos;

        public Condition Parse()
        {
            SkipSpaces();
            if (_pos >= text.Length)
            {
                throw Error("empty condition", _pos, Example);
            }

            var (placeholder, argument) = ParsePlaceholder();
            var path = ParsePath(placeholder);
            var afterLeft = _pos;
            SkipSpaces();
            var op = ParseOperator(placeholder, path.Count > 0, afterLeft);
            var afterOperator = _pos;
            SkipSpaces();
            if (_pos >= text.Length)
            {
                throw Error($"expected a value after {Operators.Symbol(op)} at column {Column(_pos)}", _pos, ValueHint(placeholder, path.Count > 0, op));
            }

            if (_pos == afterOperator && op is ConditionOperator.Contains or ConditionOperator.Matches)
            {
                throw Error($"expected a space after {Operators.Symbol(op)} at column {Column(_pos)}", _pos, ValueHint(placeholder, path.Count > 0, op));
            }

            var literal = ParseLiteral();
            SkipSpaces();
            if (_pos < text.Length)
            {
                throw Error($"unexpected text after the value at column {Column(_pos)}", _pos, "quote a value that contains spaces: \"two words\"");
            }

            CheckTypes(placeholder, path.Count > 0, op, literal);
            Regex? regex = null;
            if (op == ConditionOperator.Matches)
            {
                try
                {
                    regex = new Regex(literal.Text, RegexOptions.CultureInvariant, RegexTimeout);
                }
                catch (ArgumentException ex)
                {
                    throw new ConditionSyntaxException(
                        $"invalid regular expression at column {literal.Column}: {ex.Message}",
                        literal.Column,
                        "write a .NET regular expression, quoted if it contains spaces: \"^ok( |$)\"");
                }
            }

            return new Condition(text, placeholder, argument, path, op, literal, regex);
        }

        private (PlaceholderInfo Placeholder, string? Argument) ParsePlaceholder()
        {
            var start = _pos;
            if (text[_pos] != '[')
            {
                throw Error($"expected a placeholder at column {Column(start)}", start, "start with one of " + Placeholders.KnownList);
            }

            var close = text.IndexOf(']', start + 1);
            if (close < 0)
            {
                throw Error($"unclosed placeholder at column {Column(start)}", start, "close it with ]: [STATUS]");
            }

            var inner = text[(start + 1)..close];
            var colon = inner.IndexOf(':', StringComparison.Ordinal);
            var name = colon < 0 ? inner : inner[..colon];
            string? argument = colon < 0 ? null : inner[(colon + 1)..];
            var placeholder = Placeholders.Find(name);
            if (placeholder is null)
            {
                var suggestion = Suggestions.Nearest(name, Placeholders.All.Select(p => p.Name));
                var hint = (suggestion is null ? string.Empty : $"did you mean [{suggestion}]? ") + "known: " + Placeholders.KnownList;
                throw Error($"unknown placeholder [{name}]", start, hint);
            }

            if (placeholder.Argument == PlaceholderArgument.Required)
            {
                if (string.IsNullOrWhiteSpace(argument) || argument.Any(char.IsWhiteSpace))
                {
                    throw Error($"{placeholder.Display} needs a name at column {Column(start)}", start, $"write [{placeholder.Name}:Content-Type]");
                }
            }
            else if (argument is not null)
            {
                throw Error($"{placeholder.Display} takes no argument", start + 1 + colon, $"write {placeholder.Display}");
            }

            _pos = close + 1;
            return (placeholder, argument);
        }

        private List<PathSegment> ParsePath(PlaceholderInfo placeholder)
        {
            var path = new List<PathSegment>();
            while (_pos < text.Length && text[_pos] is '.' or '[')
            {
                if (!placeholder.AcceptsPath)
                {
                    throw Error($"{placeholder.Display} takes no path at column {Column(_pos)}", _pos, "only [BODY] takes a JSON path: [BODY].status");
                }

                if (text[_pos] == '.')
                {
                    var start = ++_pos;
                    while (_pos < text.Length && !char.IsWhiteSpace(text[_pos]) && text[_pos] is not ('.' or '[' or ']' or '=' or '!' or '<' or '>'))
                    {
                        _pos++;
                    }

                    if (_pos == start)
                    {
                        throw Error($"expected a property name after '.' at column {Column(start)}", start, "write a path such as [BODY].status or [BODY].items[0].name");
                    }

                    path.Add(new PathSegment(text[start.._pos], 0));
                }
                else
                {
                    var open = _pos++;
                    var start = _pos;
                    while (_pos < text.Length && char.IsAsciiDigit(text[_pos]))
                    {
                        _pos++;
                    }

                    if (_pos == start || _pos >= text.Length || text[_pos] != ']'
                        || !int.TryParse(text.AsSpan(start, _pos - start), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                    {
                        throw Error($"expected an array index such as [0] at column {Column(open)}", open, "write a path such as [BODY].items[0]");
                    }

                    _pos++;
                    path.Add(new PathSegment(null, index));
                }
            }

            return path;
        }

        private ConditionOperator ParseOperator(PlaceholderInfo placeholder, bool hasPath, int afterLeft)
        {
            var start = _pos;
            var left = hasPath ? placeholder.Display + "…" : placeholder.Display;
            if (_pos < text.Length && _pos == afterLeft && char.IsAsciiLetter(text[_pos]))
            {
                throw Error($"expected a space after {left} at column {Column(_pos)}", _pos, "write e.g. " + placeholder.Display + " == value");
            }

            ConditionOperator? op = null;
            var length = 0;
            if (_pos + 1 < text.Length)
            {
                (op, length) = text.AsSpan(_pos, 2) switch
                {
                    "==" => (ConditionOperator.Equal, 2),
                    "!=" => (ConditionOperator.NotEqual, 2),
                    "<=" => (ConditionOperator.LessOrEqual, 2),
                    ">=" => (ConditionOperator.GreaterOrEqual, 2),
                    _ => ((ConditionOperator?)null, 0),
                };
            }

            if (op is null && _pos < text.Length)
            {
                (op, length) = text[_pos] switch
                {
                    '<' => (ConditionOperator.Less, 1),
                    '>' => (ConditionOperator.Greater, 1),
                    _ => ((ConditionOperator?)null, 0),
                };
            }

            if (op is null)
            {
                var end = _pos;
                while (end < text.Length && char.IsAsciiLetter(text[end]))
                {
                    end++;
                }

                var word = text[_pos..end];
                if (string.Equals(word, "contains", StringComparison.Ordinal))
                {
                    (op, length) = (ConditionOperator.Contains, word.Length);
                }
                else if (string.Equals(word, "matches", StringComparison.Ordinal))
                {
                    (op, length) = (ConditionOperator.Matches, word.Length);
                }
            }

            if (op is null)
            {
                var hint = _pos < text.Length && text[_pos] == '='
                    ? "'=' alone is not an operator: write ==; operators: " + Operators.List
                    : "write one of " + Operators.List;
                throw Error($"expected an operator after {left} at column {Column(start)}", start, hint);
            }

            _pos += length;
            return op.Value;
        }

        private Literal ParseLiteral()
        {
            var start = _pos;
            var quote = text[_pos];
            if (quote is '"' or '\'')
            {
                var builder = new StringBuilder();
                _pos++;
                while (true)
                {
                    if (_pos >= text.Length)
                    {
                        throw Error($"unclosed string starting at column {Column(start)}", start, $"end the string with {quote}");
                    }

                    var c = text[_pos];
                    if (c == quote)
                    {
                        _pos++;
                        break;
                    }

                    if (c == '\\' && _pos + 1 < text.Length && (text[_pos + 1] == quote || text[_pos + 1] == '\\'))
                    {
                        builder.Append(text[_pos + 1]);
                        _pos += 2;
                        continue;
                    }

                    builder.Append(c);
                    _pos++;
                }

                return Literal.Create(builder.ToString(), quoted: true, Column(start));
            }

            while (_pos < text.Length && !char.IsWhiteSpace(text[_pos]))
            {
                _pos++;
            }

            return Literal.Create(text[start.._pos], quoted: false, Column(start));
        }

        private static void CheckTypes(PlaceholderInfo placeholder, bool hasPath, ConditionOperator op, Literal literal)
        {
            var type = hasPath ? PlaceholderType.Json : placeholder.Type;
            var name = hasPath ? placeholder.Display + " with a path" : placeholder.Display;
            var symbol = Operators.Symbol(op);
            var column = literal.Column;
            switch (type)
            {
                case PlaceholderType.Number:
                    if (op == ConditionOperator.Contains)
                    {
                        throw Mismatch($"{name} is a number; 'contains' works on text", column, $"compare it: {placeholder.Display} == 200, or use matches: {placeholder.Display} matches ^2");
                    }

                    if (op != ConditionOperator.Matches && literal.Number is null)
                    {
                        var what = literal.Duration is not null ? "a duration" : literal.Quoted ? "a quoted string" : $"'{literal.Text}'";
                        throw Mismatch($"{name} is a number and cannot be compared with {what}", column, $"write a number: {placeholder.Display} {symbol} 200");
                    }

                    break;
                case PlaceholderType.Duration:
                    if (op is ConditionOperator.Contains or ConditionOperator.Matches)
                    {
                        throw Mismatch($"{name} is a duration; '{symbol}' works on text", column, $"compare it: {placeholder.Display} < 2s");
                    }

                    if (literal.Duration is null || literal.Quoted)
                    {
                        var why = literal.Number is not null ? $"'{literal.Text}' has no unit" : $"'{literal.Text}' is not a duration";
                        throw Mismatch($"{name} is a duration; {why}", column, "write a number and a unit: 250ms, 2s, 5m, 14d");
                    }

                    break;
                case PlaceholderType.Boolean:
                    if (!Operators.IsEquality(op))
                    {
                        throw Mismatch($"{name} is true or false; '{symbol}' does not apply", column, $"write {placeholder.Display} == true or {placeholder.Display} == false");
                    }

                    if (literal.Boolean is null)
                    {
                        throw Mismatch($"{name} is true or false and cannot be compared with '{literal.Text}'", column, $"write {placeholder.Display} {symbol} true");
                    }

                    break;
                case PlaceholderType.Text:
                    if (Operators.IsOrdering(op))
                    {
                        throw Mismatch($"{name} is text; '{symbol}' works on numbers and durations", column, "use ==, !=, contains or matches");
                    }

                    break;
                case PlaceholderType.Json:
                    if (Operators.IsOrdering(op) && literal.Number is null)
                    {
                        throw Mismatch($"'{symbol}' on {name} needs a number, not '{literal.Text}'", column, $"write e.g. [BODY].count {symbol} 10");
                    }

                    break;
            }
        }

        private static ConditionSyntaxException Mismatch(string message, int column, string hint) =>
            new($"{message} at column {column}", column, hint);

        private static string ValueHint(PlaceholderInfo placeholder, bool hasPath, ConditionOperator op)
        {
            if (op == ConditionOperator.Matches)
            {
                return "write a regular expression, e.g. " + placeholder.Display + " matches ^2";
            }

            return (hasPath ? PlaceholderType.Json : placeholder.Type) switch
            {
                PlaceholderType.Number => $"write a number: {placeholder.Display} {Operators.Symbol(op)} 200",
                PlaceholderType.Duration => $"write a duration: {placeholder.Display} {Operators.Symbol(op)} 2s",
                PlaceholderType.Boolean => $"write true or false: {placeholder.Display} {Operators.Symbol(op)} true",
                _ => $"write a value: {placeholder.Display} {Operators.Symbol(op)} ok, or a quoted string \"two words\"",
            };
        }

        private void SkipSpaces()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos]))
            {
                _pos++;
            }
        }

        private static int Column(int index) => index + 1;

        private static ConditionSyntaxException Error(string message, int index, string hint) => new(message, index + 1, hint);
    }
}
