using Faultline.Core.Model;
using Microsoft.Extensions.Time.Testing;

namespace Faultline.Monitor.Tests.Alerts;

internal static class AlertSamples
{
    public static readonly DateTimeOffset Start = new(2026, 11, 26, 3, 0, 0, TimeSpan.Zero);

    public static AlertEvent Open(long id = 42, params string[] channels) => new()
    {
        Event = AlertEventKind.Open,
        At = Start.AddSeconds(30),
        Incident = new IncidentInfo
        {
            Id = id,
            Target = "db",
            Layer = Layer.Database,
            Side = Side.Infrastructure,
            Signature = "database/connection-refused",
            StartedAt = Start,
            Suppressed = ["api"],
        },
        Evidence = ["connect to 127.0.0.1:5432 refused", "3 consecutive failures"],
        Remedy = "Start PostgreSQL or fix the address in the connection string.",
        Summary = "db: database infrastructure — connect to 127.0.0.1:5432 refused",
        Channels = channels,
    };

    public static AlertEvent Resolve(long id = 42, params string[] channels) => Open(id, channels) with
    {
        Event = AlertEventKind.Resolve,
        At = Start.AddMinutes(5),
        Incident = Open(id).Incident with { ResolvedAt = Start.AddMinutes(5) },
        Summary = "db: resolved after 5m0s",
    };

    public static AlertEvent Reminder(int sequence, long id = 42, params string[] channels) => Open(id, channels) with
    {
        Event = AlertEventKind.Reminder,
        At = Start.AddHours(sequence),
        Sequence = sequence,
    };

    /// <summary>Advances fake time in small steps, yielding real time to the I/O in between, until <paramref name="done"/> holds (at most 20 s real).</summary>
    public static async Task PumpUntilAsync(FakeTimeProvider time, Func<bool> done, TimeSpan? step = null)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(20);
        while (!done())
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, "condition not reached within 20 s");
            time.Advance(step ?? TimeSpan.FromMilliseconds(500));
            await Task.Delay(5);
        }
    }

    /// <summary>Waits real time (bounded) until <paramref name="done"/> holds.</summary>
    public static async Task WaitUntilAsync(Func<bool> done, TimeSpan? within = null)
    {
        var deadline = DateTimeOffset.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        while (!done())
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(10);
        }
    }
}
