using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Faultline.Probes.Probes;

/// <summary>The small JSON path the config accepts: <c>$</c> then <c>.name</c>, <c>['name']</c> or <c>[index]</c> steps.</summary>
internal static partial class JsonPath
{
    /// <summary>The element at <paramref name="path"/>, or null when a step does not exist.</summary>
    public static JsonElement? Select(JsonElement root, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!path.StartsWith('$'))
        {
            return null;
        }

        var current = root;
        foreach (Match step in Step().Matches(path[1..]))
        {
            if (step.Groups["name"].Success || step.Groups["quoted"].Success)
            {
                var name = step.Groups["name"].Success ? step.Groups["name"].Value : step.Groups["quoted"].Value;
                if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out var next))
                {
                    return null;
                }

                current = next;
            }
            else
            {
                var index = int.Parse(step.Groups["index"].Value, NumberStyles.None, CultureInfo.InvariantCulture);
                if (current.ValueKind != JsonValueKind.Array || index >= current.GetArrayLength())
                {
                    return null;
                }

                current = current[index];
            }
        }

        return current;
    }

    [GeneratedRegex(@"\.(?<name>[A-Za-z_][A-Za-z0-9_-]*)|\['(?<quoted>[^']+)'\]|\[(?<index>[0-9]+)\]", RegexOptions.CultureInvariant)]
    private static partial Regex Step();
}
