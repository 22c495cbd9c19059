using System.Text.Json;
using Faultline.AspNetCore.Resilience;
using Faultline.AspNetCore.Startup;

namespace Faultline.AspNetCore.Health;

/// <summary>
/// The serialized detail of <c>/health/infrastructure</c>, made once per state: the startup snapshot, the
/// component snapshot and the breaker states. Requests between two background rounds get the same bytes,
/// so a busy health endpoint costs little more than a constant one. Owned by the app's container.
/// </summary>
internal sealed class InfrastructureDocument
{
    private Entry? _entry;

    public byte[] Get(string service, string environment, StartupSnapshot startup, IReadOnlyDictionary<string, ComponentState> components, BreakerRegistry breakers)
    {
        var breakerKey = BreakerKey(breakers);
        var entry = Volatile.Read(ref _entry);
        if (entry is not null && ReferenceEquals(entry.Startup, startup) && ReferenceEquals(entry.Components, components)
            && string.Equals(entry.BreakerKey, breakerKey, StringComparison.Ordinal))
        {
            return entry.Bytes;
        }

        var checkedAt = components.Values.Select(c => c.LastCheckedAt).Max() ?? startup.CompletedAt;
        var body = HealthViews.Infrastructure(service, environment, startup, components, breakers, checkedAt);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), HealthEndpoints.Json);
        Volatile.Write(ref _entry, new Entry(startup, components, breakerKey, bytes));
        return bytes;
    }

    private static string BreakerKey(BreakerRegistry breakers)
    {
        var all = breakers.All;
        if (all.Count == 0)
        {
            return string.Empty;
        }

        return string.Join('|', all.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + kv.Value.State));
    }

    private sealed record Entry(StartupSnapshot Startup, IReadOnlyDictionary<string, ComponentState> Components, string BreakerKey, byte[] Bytes);
}
