using System.Text;

namespace Faultline.Core.Config;

/// <summary>
/// <c>${VAR}</c>, <c>${VAR:-default}</c> (default when unset or empty) and <c>$${</c> for a literal <c>${</c>.
/// Problems name the variable, never a value.
/// </summary>
internal static class Interpolation
{
    public sealed record Problem(int Offset, string Message, string Hint);

    /// <summary>Expand <paramref name="raw"/>; null when a problem was found (all problems are reported).</summary>
    public static string? Expand(string raw, Func<string, string?> getVariable, List<Problem> problems, out bool changed)
    {
        changed = false;
        if (!raw.Contains('$', StringComparison.Ordinal))
        {
            return raw;
        }

        var builder = new StringBuilder(raw.Length);
        var failed = false;
        var i = 0;
        while (i < raw.Length)
        {
            if (raw[i] == '$' && i + 2 < raw.Length && raw[i + 1] == '$' && raw[i + 2] == '{')
            {
                builder.Append("${");
                changed = true;
                i += 3;
                continue;
            }

            if (raw[i] != '$' || i + 1 >= raw.Length || raw[i + 1] != '{')
            {
                builder.Append(raw[i]);
                i++;
                continue;
            }

            changed = true;
            var start = i;
            var close = raw.IndexOf('}', i + 2);
            if (close < 0)
            {
                problems.Add(new Problem(start, "unterminated ${ in value", "write ${NAME}, ${NAME:-default}, or $${ for a literal ${"));
                failed = true;
                break;
            }

            var inner = raw[(i + 2)..close];
            var separator = inner.IndexOf(":-", StringComparison.Ordinal);
            var name = separator < 0 ? inner : inner[..separator];
            string? fallback = separator < 0 ? null : inner[(separator + 2)..];
            if (!IsName(name))
            {
                problems.Add(new Problem(start, $"bad variable name '{name}' in ${{...}}", "a name is letters, digits and '_', not starting with a digit: ${DATABASE_URL}"));
                failed = true;
            }
            else
            {
                var value = getVariable(name);
                if (fallback is not null && string.IsNullOrEmpty(value))
                {
                    value = fallback;
                }

                if (value is null)
                {
                    problems.Add(new Problem(start, $"environment variable {name} is not set", $"set it, or give a default: ${{{name}:-value}}"));
                    failed = true;
                }
                else
                {
                    builder.Append(value);
                }
            }

            i = close + 1;
        }

        return failed ? null : builder.ToString();
    }

    private static bool IsName(string name)
    {
        if (name.Length == 0 || char.IsAsciiDigit(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }
}
