using System.Globalization;
using Faultline.Core.Model;
using Faultline.Store;

// Usage: Faultline.Store.Writer <database file> <first sequence number>
// Writes batches of 1–20 results (Message = the sequence number) forever and prints every sequence
// number on its own line after WriteResultsAsync returned for its batch.
if (args.Length != 2 || !long.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
{
    await Console.Error.WriteLineAsync("usage: Faultline.Store.Writer <database file> <first sequence number>");
    return 2;
}

var origin = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
var random = new Random();
var output = Console.Out;
await using var store = HistoryStores.Open("sqlite:" + args[0], TimeProvider.System);
await store.MigrateAsync();
await output.WriteLineAsync("ready");
await output.FlushAsync();
while (true)
{
    var batch = new StoredResult[random.Next(1, 21)];
    for (var i = 0; i < batch.Length; i++)
    {
        var seq = sequence + i;
        var failed = seq % 7 == 0;
        batch[i] = new StoredResult
        {
            Target = "target-" + (seq % 10).ToString(CultureInfo.InvariantCulture),
            ScheduledAt = origin.AddSeconds(seq),
            At = origin.AddSeconds(seq).AddMilliseconds(15),
            Status = failed ? ResultStatus.Fail : ResultStatus.Pass,
            Layer = failed ? Layer.Database : null,
            Side = failed ? Side.Infrastructure : null,
            ErrorKind = failed ? "connect-timeout" : null,
            DurationMs = 15,
            Message = seq.ToString(CultureInfo.InvariantCulture),
        };
    }

    await store.WriteResultsAsync(batch);
    for (var i = 0; i < batch.Length; i++)
    {
        await output.WriteLineAsync((sequence + i).ToString(CultureInfo.InvariantCulture));
    }

    await output.FlushAsync();
    sequence += batch.Length;
}
