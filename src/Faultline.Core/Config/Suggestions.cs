namespace Faultline.Core.Config;

/// <summary>"Did you mean ...?" by edit distance.</summary>
internal static class Suggestions
{
    /// <summary>Longer strings are not compared character by character.</summary>
    private const int MaxLength = 256;

    /// <summary>The candidate nearest to <paramref name="input"/>, if it is near enough to be a likely typo.</summary>
    public static string? Nearest(string input, IEnumerable<string> candidates, StringComparison comparison = StringComparison.OrdinalIgnoreCase)
    {
        if (input.Length > MaxLength)
        {
            // No name is that long: nothing is near it (and a huge key from the file is not copied once per candidate).
            return null;
        }

        var ignoreCase = comparison is StringComparison.OrdinalIgnoreCase or StringComparison.InvariantCultureIgnoreCase or StringComparison.CurrentCultureIgnoreCase;
        var compared = ignoreCase ? input.ToUpperInvariant() : input;
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = Distance(compared, ignoreCase ? candidate.ToUpperInvariant() : candidate);
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        if (best is null)
        {
            return null;
        }

        var allowed = Math.Max(2, Math.Min(input.Length, best.Length) / 3);
        return bestDistance <= allowed ? best : null;
    }

    /// <summary>Optimal string alignment distance (Levenshtein plus adjacent transpositions).</summary>
    public static int Distance(string a, string b)
    {
        if (a.Length > MaxLength || b.Length > MaxLength)
        {
            return Math.Max(a.Length, b.Length);
        }

        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                var value = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    value = Math.Min(value, d[i - 2, j - 2] + 1);
                }

                d[i, j] = value;
            }
        }

        return d[a.Length, b.Length];
    }
}
