using System.Diagnostics;
using System.Globalization;
using Faultline.Core.Model;
using Faultline.Store;

// A simulated year of 1-minute results for N targets, written through the real store code with
// retention applied every simulated hour (raw kept --raw-days, hourly rollups kept for the year).
// Time is simulated: results carry timestamps of a year starting 2025-01-01; the wall clock only
// measures how long the store takes.
var options = Options.Parse(args);
var store = HistoryStores.Open(options.Store, TimeProvider.System);
var origin = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
var targets = Enumerable.Range(0, options.Targets).Select(i => $"service-{i:000}.staging.example/health").ToArray();
var layers = new[] { Layer.Network, Layer.Tls, Layer.Proxy, Layer.Application, Layer.Database, Layer.Cache };
var random = new Random(42);
var minutes = options.Days * 24 * 60;
var perDay = 24 * 60 / options.IntervalMinutes;

Console.WriteLine($"# StoreBench: {options.Targets} targets x {options.IntervalMinutes}-minute results for {options.Days} simulated days = {(long)options.Days * perDay * options.Targets:N0} results");
Console.WriteLine($"# store {store.Description}; batch {options.BatchMinutes} min ({options.BatchMinutes * options.Targets} results per WriteResultsAsync); retention every simulated hour (raw {options.RawDays} d, rollups {options.RollupDays} d)");
Console.WriteLine($"# machine: {Environment.ProcessorCount} logical CPUs, {Environment.OSVersion}, .NET {Environment.Version}; time limit {options.MaxMinutes} min");
Console.WriteLine("day,wall_s,results,results_per_s,write_s,retention_s,file_mb");

await store.MigrateAsync();
var wall = Stopwatch.StartNew();
var writeTime = TimeSpan.Zero;
var retentionTime = TimeSpan.Zero;
long written = 0;
var batch = new List<StoredResult>(options.BatchMinutes * options.Targets);
var simulatedDays = 0;
for (var minute = 0; minute < minutes; minute++)
{
    var due = origin.AddMinutes(minute);
    for (var t = 0; t < targets.Length && minute % options.IntervalMinutes == 0; t++)
    {
        var scheduled = due.AddSeconds(t * 60.0 / targets.Length);
        var duration = Math.Round(20 + (random.NextDouble() * random.NextDouble() * 400), 1);
        var failed = random.Next(200) == 0;
        var layer = failed ? layers[random.Next(layers.Length)] : (Layer?)null;
        batch.Add(new StoredResult
        {
            Target = targets[t],
            ScheduledAt = scheduled,
            At = scheduled.AddMilliseconds(duration),
            Status = failed ? ResultStatus.Fail : ResultStatus.Pass,
            Layer = layer,
            Side = failed ? Side.Infrastructure : null,
            ErrorKind = failed ? "connect-timeout" : null,
            DurationMs = duration,
            Message = failed ? $"connect to {targets[t]} timed out after 5 s" : null,
        });
    }

    if ((minute + 1) % options.BatchMinutes == 0 && batch.Count > 0)
    {
        var start = Stopwatch.GetTimestamp();
        await store.WriteResultsAsync(batch);
        writeTime += Stopwatch.GetElapsedTime(start);
        written += batch.Count;
        batch.Clear();
    }

    if ((minute + 1) % 60 == 0)
    {
        var start = Stopwatch.GetTimestamp();
        await store.ApplyRetentionAsync(origin.AddMinutes(minute + 1), TimeSpan.FromDays(options.RawDays), TimeSpan.FromDays(options.RollupDays));
        retentionTime += Stopwatch.GetElapsedTime(start);
    }

    if ((minute + 1) % (24 * 60) == 0)
    {
        simulatedDays++;
        if (simulatedDays % options.ReportEveryDays == 0 || simulatedDays == options.Days)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{simulatedDays},{wall.Elapsed.TotalSeconds:F0},{written},{written / wall.Elapsed.TotalSeconds:F0},{writeTime.TotalSeconds:F0},{retentionTime.TotalSeconds:F0},{FileMegabytes(options.Store):F1}"));
        }

        if (wall.Elapsed > TimeSpan.FromMinutes(options.MaxMinutes))
        {
            Console.WriteLine($"# time limit reached after {simulatedDays} simulated days");
            break;
        }
    }
}

var end = origin.AddDays(simulatedDays);
var rawRows = (await store.ResultsAsync(targets[0], origin, end)).Count;
var latencies = new List<double>();
var rollupCount = 0;
for (var q = 0; q < 100; q++)
{
    var start = Stopwatch.GetTimestamp();
    var rows = await store.RollupsAsync(targets[random.Next(targets.Length)], origin, end);
    latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    rollupCount = rows.Count;
}

latencies.Sort();
Console.WriteLine();
Console.WriteLine($"simulated days:          {simulatedDays}");
Console.WriteLine($"results written:         {written:N0} in {wall.Elapsed.TotalSeconds:F0} s wall ({written / wall.Elapsed.TotalSeconds:N0} results/s overall; WriteResultsAsync {written / writeTime.TotalSeconds:N0} results/s; retention {retentionTime.TotalSeconds:F0} s in all)");
Console.WriteLine($"raw rows kept (1 target): {rawRows:N0} (all targets ≈ {rawRows * (long)targets.Length:N0})");
Console.WriteLine($"rollup rows (1 target):  {rollupCount:N0}");
Console.WriteLine($"file size:               {FileMegabytes(options.Store):F1} MB (database + WAL)");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rollup query, {simulatedDays} days of one target, 100 queries: p50 {latencies[49]:F2} ms, p99 {latencies[98]:F2} ms, max {latencies[99]:F2} ms"));
await store.DisposeAsync();
Console.WriteLine($"file size after close:   {FileMegabytes(options.Store):F1} MB");
return 0;

static double FileMegabytes(string spec)
{
    if (!spec.StartsWith("sqlite:", StringComparison.Ordinal))
    {
        return double.NaN;
    }

    var path = Path.GetFullPath(spec["sqlite:".Length..]);
    return new[] { path, path + "-wal" }.Where(File.Exists).Sum(p => new FileInfo(p).Length) / 1_048_576.0;
}

internal sealed record Options(string Store, int Targets, int Days, int BatchMinutes, int RawDays, int RollupDays, double MaxMinutes, int ReportEveryDays, int IntervalMinutes)
{
    public static Options Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i].TrimStart('-')] = args[i + 1];
        }

        int Int(string key, int fallback) => values.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        return new Options(
            values.GetValueOrDefault("store", "sqlite:./store-bench.db"),
            Int("targets", 100),
            Int("days", 365),
            Int("batch-minutes", 1),
            Int("raw-days", 14),
            Int("rollup-days", 400),
            values.TryGetValue("max-minutes", out var m) ? double.Parse(m, CultureInfo.InvariantCulture) : 20,
            Int("report-every", 30),
            Int("interval-minutes", 1));
    }
}
