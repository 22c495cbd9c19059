using System.Globalization;
using Faultline.Core.Model;

namespace Faultline.AspNetCore.Pools;

/// <summary>
/// Picks the value of one pool or client setting. The connection string is the most specific place: a value it
/// sets explicitly wins over the profile's default. <c>Faultline:Pools:&lt;name&gt;:&lt;key&gt;</c> overrides the profile
/// too; when both it and the connection string set a value and the two differ, neither silently wins: the
/// disagreement is a configuration error naming both places (exit code 3 at start).
/// </summary>
internal sealed class PoolSettingsResolver(string dependency)
{
    private readonly List<string> _conflicts = [];

    /// <summary>Disagreements found so far, one message each (no connection string values beyond the setting itself).</summary>
    public IReadOnlyList<string> Conflicts => _conflicts;

    /// <summary>Records a disagreement found outside <see cref="Pick(string, int?, int?, string, int)"/> (e.g. a minimum above the maximum).</summary>
    public void Add(string conflict) => _conflicts.Add(conflict);

    public int Pick(string key, int? configured, int? inConnectionString, string keyword, int profileDefault) =>
        Pick(key, configured, inConnectionString, keyword, profileDefault, v => v.ToString(CultureInfo.InvariantCulture));

    public TimeSpan Pick(string key, TimeSpan? configured, TimeSpan? inConnectionString, string keyword, TimeSpan profileDefault) =>
        Pick(key, configured, inConnectionString, keyword, profileDefault, Durations.Describe);

    private T Pick<T>(string key, T? configured, T? inConnectionString, string keyword, T profileDefault, Func<T, string> describe)
        where T : struct, IEquatable<T>
    {
        if (configured is { } fromConfiguration && inConnectionString is { } fromConnectionString && !fromConfiguration.Equals(fromConnectionString))
        {
            _conflicts.Add(
                $"Faultline:Pools:{dependency}:{key} ({describe(fromConfiguration)}) and the connection string's {keyword} ({describe(fromConnectionString)}) "
                + "disagree: set the value in one place");
        }

        return inConnectionString ?? configured ?? profileDefault;
    }
}
