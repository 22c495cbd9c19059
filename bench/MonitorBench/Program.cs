using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

// bench/monitor.sh helpers.
//   scrape URL_TEMPLATE TARGETS_FILE INTERVAL_SECONDS DURATION_SECONDS
//     Requests URL_TEMPLATE with {target} replaced by each line of TARGETS_FILE once per interval, each target at its own
//     fixed offset within the interval (as Prometheus spreads scrapes), for the duration. Prints "probes=N ok=N failed=N".
//   lag EVENTS_FILE SKIP_SECONDS
//     Reads a `faultline monitor --format json` stream, ignores results due in the first SKIP_SECONDS, and prints
//     "results=N lag_p50_ms=.. lag_p99_ms=.. lag_max_ms=.. failed=N" (lag = startedAt - scheduledAt).
return args switch
{
    ["scrape", var template, var targetsFile, var interval, var duration] => await ScrapeAsync(template, targetsFile, Seconds(interval), Seconds(duration)),
    ["lag", var events, var skip] => Lag(events, Seconds(skip)),
    _ => Usage(),
};

static TimeSpan Seconds(string text) => TimeSpan.FromSeconds(double.Parse(text, CultureInfo.InvariantCulture));

static int Usage()
{
    Console.Error.WriteLine("usage: MonitorBench scrape URL_TEMPLATE TARGETS_FILE INTERVAL_S DURATION_S | lag EVENTS_FILE SKIP_S");
    return 2;
}

static async Task<int> ScrapeAsync(string template, string targetsFile, TimeSpan interval, TimeSpan duration)
{
    var targets = File.ReadAllLines(targetsFile).Where(l => l.Length > 0).ToArray();
    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
    {
        Timeout = TimeSpan.FromSeconds(10),
    };
    long ok = 0, failed = 0;
    var clock = Stopwatch.StartNew();
    var loops = targets.Select(async (target, i) =>
    {
        var url = template.Replace("{target}", Uri.EscapeDataString(target), StringComparison.Ordinal);
        var next = interval * i / targets.Length;
        while (next < duration)
        {
            var wait = next - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait).ConfigureAwait(false);
            }

            try
            {
                var body = await http.GetStringAsync(new Uri(url)).ConfigureAwait(false);
                if (body.Contains("probe_success 1", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref ok);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                }
            }
            catch (HttpRequestException)
            {
                Interlocked.Increment(ref failed);
            }
            catch (TaskCanceledException)
            {
                Interlocked.Increment(ref failed);
            }

            next += interval;
        }
    });
    await Task.WhenAll(loops).ConfigureAwait(false);
    Console.WriteLine($"probes={ok + failed} ok={ok} failed={failed}");
    return 0;
}

static int Lag(string eventsFile, TimeSpan skip)
{
    var lags = new List<double>();
    var failed = 0;
    DateTimeOffset? first = null;
    foreach (var line in File.ReadLines(eventsFile))
    {
        if (line.Length == 0 || line[0] != '{')
        {
            continue;
        }

        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        if (!root.TryGetProperty("type", out var type) || type.GetString() != "result")
        {
            continue;
        }

        var scheduled = root.GetProperty("scheduledAt").GetDateTimeOffset();
        var started = root.GetProperty("startedAt").GetDateTimeOffset();
        first ??= scheduled;
        if (scheduled - first < skip)
        {
            continue;
        }

        lags.Add((started - scheduled).TotalMilliseconds);
        if (root.TryGetProperty("result", out var result) && result.TryGetProperty("status", out var status) && status.GetString() == "fail")
        {
            failed++;
        }
    }

    if (lags.Count == 0)
    {
        Console.Error.WriteLine("lag: no result events found");
        return 1;
    }

    lags.Sort();
    double P(double q) => lags[Math.Min(lags.Count - 1, (int)Math.Ceiling(q * lags.Count) - 1)];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"results={lags.Count} lag_p50_ms={P(0.50):F1} lag_p99_ms={P(0.99):F1} lag_max_ms={lags[^1]:F1} failed={failed}"));
    return 0;
}
