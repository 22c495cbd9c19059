using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

// bench/monitor.sh helpers.
//   scrape URL_TEMPLATE TARGETS_FILE INTERVAL_SECONDS DURATION_SECONDS
//     Requests URL_TEMPLATE with {target} replaced by each line of TARGETS_FILE once per interval, each target at its own
//     fixed offset within the interval (as Prometheus spreads scrapes), for the duration. Prints "probes=N ok=N failed=N".
//   bare TARGETS_FILE INTERVAL_SECONDS SKIP_SECONDS DURATION_SECONDS
//     The floor of probing in .NET: GETs each URL of TARGETS_FILE once per interval at the same fixed offsets, each over a new
//     connection with the HttpClient/SocketsHttpHandler settings of Faultline's http probe (HttpProbe, StepConnector: a
//     handler per probe that never pools, proxies, redirects or keeps cookies, the connect done in ConnectCallback with
//     NoDelay, HTTP/1.1 exact, headers read first, the body read up to 64 KiB, a 4 s deadline per probe), and nothing else:
//     no scheduler, conditions, classification, state or storage. Runs SKIP + DURATION seconds (and a few more), then
//     prints "probes=N ok=N failed=N" counting the probes due in the DURATION seconds after the first SKIP seconds.
//   lag EVENTS_FILE SKIP_SECONDS
//     Reads a `faultline monitor --format json` stream, ignores results due in the first SKIP_SECONDS, and prints
//     "results=N lag_p50_ms=.. lag_p99_ms=.. lag_max_ms=.. failed=N" (lag = startedAt - scheduledAt).
return args switch
{
    ["scrape", var template, var targetsFile, var interval, var duration] => await ScrapeAsync(template, targetsFile, Seconds(interval), Seconds(duration)),
    ["bare", var targetsFile, var interval, var skip, var duration] => await BareAsync(targetsFile, Seconds(interval), Seconds(skip), Seconds(duration)),
    ["lag", var events, var skip] => Lag(events, Seconds(skip)),
    _ => Usage(),
};

static TimeSpan Seconds(string text) => TimeSpan.FromSeconds(double.Parse(text, CultureInfo.InvariantCulture));

static int Usage()
{
    Console.Error.WriteLine("usage: MonitorBench scrape URL_TEMPLATE TARGETS_FILE INTERVAL_S DURATION_S | bare TARGETS_FILE INTERVAL_S SKIP_S DURATION_S | lag EVENTS_FILE SKIP_S");
    return 2;
}

static async Task<int> ScrapeAsync(string template, string targetsFile, TimeSpan interval, TimeSpan duration)
{
    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
    {
        Timeout = TimeSpan.FromSeconds(10),
    };
    var (ok, failed) = await EveryIntervalAsync(Targets(targetsFile), interval, TimeSpan.Zero, duration, duration, async target =>
    {
        var url = template.Replace("{target}", Uri.EscapeDataString(target), StringComparison.Ordinal);
        var body = await http.GetStringAsync(new Uri(url)).ConfigureAwait(false);
        return body.Contains("probe_success 1", StringComparison.Ordinal);
    }).ConfigureAwait(false);
    Console.WriteLine($"probes={ok + failed} ok={ok} failed={failed}");
    return 0;
}

static async Task<int> BareAsync(string targetsFile, TimeSpan interval, TimeSpan skip, TimeSpan duration)
{
    var (ok, failed) = await EveryIntervalAsync(Targets(targetsFile), interval, skip, skip + duration, skip + duration + BareProbe.Tail, target => BareProbe.GetAsync(new Uri(target))).ConfigureAwait(false);
    Console.WriteLine($"probes={ok + failed} ok={ok} failed={failed}");
    return 0;
}

static string[] Targets(string file) => File.ReadAllLines(file).Where(l => l.Length > 0).ToArray();

// Calls probe for each target once per interval, each target at its own fixed offset within the interval (as Prometheus
// spreads scrapes), until duration; counts the outcomes of calls due in [skip, until).
static async Task<(long Ok, long Failed)> EveryIntervalAsync(string[] targets, TimeSpan interval, TimeSpan skip, TimeSpan until, TimeSpan duration, Func<string, Task<bool>> probe)
{
    long ok = 0, failed = 0;
    var clock = Stopwatch.StartNew();
    var loops = targets.Select(async (target, i) =>
    {
        var next = interval * i / targets.Length;
        while (next < duration)
        {
            var wait = next - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait).ConfigureAwait(false);
            }

            bool passed;
            try
            {
                passed = await probe(target).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or SocketException or OperationCanceledException)
            {
                passed = false;
            }

            if (next >= skip && next < until)
            {
                Interlocked.Increment(ref passed ? ref ok : ref failed);
            }

            next += interval;
        }
    });
    await Task.WhenAll(loops).ConfigureAwait(false);
    return (ok, failed);
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

/// <summary>One GET over a new connection, set up as Faultline's http probe sets up its handler and request.</summary>
internal static class BareProbe
{
    /// <summary>The bare loop goes on probing this long after its window, so the caller's last CPU and RSS reading finds it running.</summary>
    public static readonly TimeSpan Tail = TimeSpan.FromSeconds(3);

    private const int MaxBodyBytes = 64 * 1024;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(4);

    public static async Task<bool> GetAsync(Uri uri)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        using var handler = new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.All,
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.Zero,
            ConnectTimeout = Timeout.InfiniteTimeSpan,
            ResponseDrainTimeout = TimeSpan.Zero,
            ConnectCallback = ConnectAsync,
        };
        using var client = new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Get, uri) { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Headers.Host = uri.IsDefaultPort ? uri.IdnHost : $"{uri.IdnHost}:{uri.Port}";
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(deadline.Token).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[MaxBodyBytes + 1];
            var filled = 0;
            int read;
            while (filled < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(filled), deadline.Token).ConfigureAwait(false)) > 0)
            {
                filled += read;
            }
        }

        return response.StatusCode == HttpStatusCode.OK;
    }

    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var address = IPAddress.Parse(context.DnsEndPoint.Host);
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
