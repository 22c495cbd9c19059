using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Faultline.Lab.Relay;

// Separate processes so the load generator does not steal from the relay in-process:
//   RelayBench echo                      an echo server; prints its port
//   RelayBench relay UPSTREAM_PORT       the relay daemon (no fault) in front of it; prints its listen port
//   RelayBench run [options]             starts the echo server and two relay daemons (one with .NET's default socket
//                                        completions, one with RelayDaemon.ProcessEnvironment, the environment the lab
//                                        starts the daemon with), opens the connections of every path once, then measures
//                                        round trips in short interleaved slots (direct, relay, relay-inline, rotating)
//                                        and prints Markdown.
return args switch
{
    ["echo"] => await Echo.RunAsync(),
    ["relay", var upstream] => await RunRelayAsync(int.Parse(upstream, CultureInfo.InvariantCulture)),
    ["run", .. var rest] => await Bench.RunAsync(Options.Parse(rest)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: RelayBench run [--connections N] [--rate PER_CONNECTION_PER_SECOND] [--slot SECONDS] [--cycles N] [--warmup-cycles N] [--settle SECONDS] [--size BYTES]");
    return 2;
}

static async Task<int> RunRelayAsync(int upstreamPort)
{
    using var stop = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
    _ = Task.Run(() => { Console.In.ReadToEnd(); stop.Cancel(); });
    await RelayDaemon.RunAsync([$"bench=127.0.0.1:0=127.0.0.1:{upstreamPort}"], "127.0.0.1:0", Console.Out, null, stop.Token);
    return 0;
}

internal sealed record Options(int Connections, double Rate, double SlotSeconds, int Cycles, int WarmupCycles, double SettleSeconds, int Size)
{
    public static Options Parse(string[] args)
    {
        var o = new Options(1000, 2, 2, 10, 1, 0.25, 64);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var v = args[i + 1];
            o = args[i] switch
            {
                "--connections" => o with { Connections = int.Parse(v, CultureInfo.InvariantCulture) },
                "--rate" => o with { Rate = double.Parse(v, CultureInfo.InvariantCulture) },
                "--slot" => o with { SlotSeconds = double.Parse(v, CultureInfo.InvariantCulture) },
                "--cycles" => o with { Cycles = int.Parse(v, CultureInfo.InvariantCulture) },
                "--warmup-cycles" => o with { WarmupCycles = int.Parse(v, CultureInfo.InvariantCulture) },
                "--settle" => o with { SettleSeconds = double.Parse(v, CultureInfo.InvariantCulture) },
                "--size" => o with { Size = int.Parse(v, CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }

        if (o.SettleSeconds >= o.SlotSeconds || o.Cycles < 1 || o.Connections < 1 || o.Rate <= 0 || o.Size < 1)
        {
            throw new ArgumentException("need --settle < --slot, --cycles >= 1, --connections >= 1, --rate > 0, --size >= 1");
        }

        return o;
    }
}

internal static class Echo
{
    public static async Task<int> RunAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(4096);
        Console.WriteLine(((IPEndPoint)listener.LocalEndPoint!).Port.ToString(CultureInfo.InvariantCulture));
        _ = Task.Run(() => { Console.In.ReadToEnd(); Environment.Exit(0); });
        while (true)
        {
            var client = await listener.AcceptAsync();
            client.NoDelay = true;
            _ = EchoAsync(client);
        }
    }

    private static async Task EchoAsync(Socket client)
    {
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await client.ReceiveAsync(buffer.AsMemory(), SocketFlags.None)) > 0)
            {
                var sent = 0;
                while (sent < read)
                {
                    sent += await client.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None);
                }
            }
        }
        catch (SocketException)
        {
            // Client went away.
        }
        finally
        {
            client.Dispose();
        }
    }
}

/// <summary>One measured path: where its connections go, and the relay process behind it (null for direct).</summary>
internal sealed record PathInfo(string Key, string Title, int Port, Process? Relay);

internal static class Bench
{
    public static async Task<int> RunAsync(Options options)
    {
        var self = Environment.ProcessPath!;
        var dll = typeof(Bench).Assembly.Location;
        using var echo = Start(self, dll, new Dictionary<string, string>(), "echo");
        var echoPort = int.Parse((await echo.StandardOutput.ReadLineAsync())!, CultureInfo.InvariantCulture);
        using var relay = Start(self, dll, new Dictionary<string, string>(), "relay", echoPort.ToString(CultureInfo.InvariantCulture));
        using var inline = Start(self, dll, RelayDaemon.ProcessEnvironment, "relay", echoPort.ToString(CultureInfo.InvariantCulture));
        var environment = string.Join(" ", RelayDaemon.ProcessEnvironment.Select(e => $"{e.Key}={e.Value}"));
        PathInfo[] paths =
        [
            new("direct", "direct to the echo server", echoPort, null),
            new("relay-default", "relay (no fault), .NET default socket completions", await ListenPortAsync(relay), relay),
            new("relay-inline", $"relay (no fault), daemon environment `{environment}`", await ListenPortAsync(inline), inline),
        ];
        try
        {
            var result = await MeasureAsync(paths, options);
            Report(options, paths, result);
            return result.Errors == 0 ? 0 : 1;
        }
        finally
        {
            relay.StandardInput.Close();
            inline.StandardInput.Close();
            echo.StandardInput.Close();
            await relay.WaitForExitAsync();
            await inline.WaitForExitAsync();
            echo.Kill();
            await echo.WaitForExitAsync();
        }
    }

    /// <summary>The relay daemon's first line: <c>relay bench: 127.0.0.1:P -> 127.0.0.1:U</c>.</summary>
    private static async Task<int> ListenPortAsync(Process relay)
    {
        var line = (await relay.StandardOutput.ReadLineAsync())!;
        return IPEndPoint.Parse(line.Split(' ')[2]).Port;
    }

    private static Process Start(string self, string dll, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("DOTNET_SYSTEM_NET_SOCKETS_", StringComparison.Ordinal)).ToList())
        {
            // Each relay process gets exactly the socket settings it is labelled with.
            info.Environment.Remove(key);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        if (!self.EndsWith("RelayBench", StringComparison.Ordinal))
        {
            info.ArgumentList.Add(dll);
        }

        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        return Process.Start(info)!;
    }

    /// <summary>A recorded round trip: the slot it was sent in and its latency.</summary>
    private readonly record struct Sample(int Slot, double Ms);

    private sealed record Measurement(List<Sample>[] ByPath, long[] RoundTrips, TimeSpan[] RelayCpu, int Errors, long SlotCount);

    /// <summary>
    /// Opens <c>Connections</c> connections per path and keeps them all open for the whole run. Time is cut into slots
    /// of <c>SlotSeconds</c>; in each slot exactly one path carries the load (each connection index sends one round trip
    /// every 1/<c>Rate</c> s, on that path's connection), the paths taking turns in a rotating order. So every path has
    /// the same number of open connections all along, only one is busy at a time (the relay's own CPU use counts against
    /// it alone), and a burst of background load hits all paths alike instead of one long phase. The first
    /// <c>SettleSeconds</c> of each slot and the first <c>WarmupCycles</c> cycles are not recorded.
    /// </summary>
    private static async Task<Measurement> MeasureAsync(PathInfo[] paths, Options options)
    {
        var n = options.Connections;
        var sockets = new Socket[paths.Length][];
        for (var p = 0; p < paths.Length; p++)
        {
            sockets[p] = await ConnectAllAsync(paths[p].Port, n, options.Size);
        }

        var f = Stopwatch.Frequency;
        var slotTicks = (long)(options.SlotSeconds * f);
        var settleTicks = (long)(options.SettleSeconds * f);
        var intervalTicks = (long)(f / options.Rate);
        var totalCycles = options.WarmupCycles + options.Cycles;
        var slotCount = (long)totalCycles * paths.Length;
        var start = Stopwatch.GetTimestamp() + f / 2;
        var recordFrom = start + options.WarmupCycles * paths.Length * slotTicks;
        var end = start + slotCount * slotTicks;
        var samples = new List<Sample>[paths.Length][];
        var roundTrips = new long[paths.Length];
        var errors = 0;
        for (var p = 0; p < paths.Length; p++)
        {
            samples[p] = new List<Sample>[n];
            for (var i = 0; i < n; i++)
            {
                samples[p][i] = new List<Sample>((int)(options.Rate * options.SlotSeconds * options.Cycles) + 8);
            }
        }

        var cpuAtRecord = new TimeSpan[paths.Length];
        var cpuTimer = Task.Run(async () =>
        {
            await Task.Delay(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), recordFrom));
            for (var p = 0; p < paths.Length; p++)
            {
                cpuAtRecord[p] = Cpu(paths[p].Relay);
            }
        });

        var tasks = new Task[n];
        for (var i = 0; i < n; i++)
        {
            var index = i;
            tasks[i] = Task.Run(async () =>
            {
                var send = new byte[options.Size];
                var receive = new byte[options.Size];
                var next = start + (long)(intervalTicks * (index / (double)n));
                try
                {
                    while (true)
                    {
                        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                        if (wait > TimeSpan.Zero)
                        {
                            await Task.Delay(wait);
                        }

                        var t0 = Stopwatch.GetTimestamp();
                        if (t0 >= end)
                        {
                            return;
                        }

                        var slot = (t0 - start) / slotTicks;
                        var cycle = slot / paths.Length;
                        var path = (int)((slot + cycle) % paths.Length);
                        var socket = sockets[path][index];
                        await RoundTripAsync(socket, send, receive);
                        var ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                        if (t0 >= recordFrom)
                        {
                            Interlocked.Increment(ref roundTrips[path]);
                            if (t0 - start - (slot * slotTicks) >= settleTicks)
                            {
                                samples[path][index].Add(new Sample((int)slot, ms));
                            }
                        }

                        next += intervalTicks;
                    }
                }
                catch (SocketException)
                {
                    Interlocked.Increment(ref errors);
                }
            });
        }

        await Task.WhenAll(tasks);
        await cpuTimer;
        var cpu = new TimeSpan[paths.Length];
        for (var p = 0; p < paths.Length; p++)
        {
            cpu[p] = Cpu(paths[p].Relay) - cpuAtRecord[p];
        }

        foreach (var socket in sockets.SelectMany(s => s))
        {
            socket.Dispose();
        }

        return new Measurement(samples.Select(s => s.SelectMany(l => l).ToList()).ToArray(), roundTrips, cpu, errors, slotCount);
    }

    private static TimeSpan Cpu(Process? process)
    {
        if (process is null)
        {
            return TimeSpan.Zero;
        }

        process.Refresh();
        return process.TotalProcessorTime;
    }

    /// <summary>Connects <paramref name="count"/> sockets and makes one round trip on each, so every relayed path is open end to end.</summary>
    private static async Task<Socket[]> ConnectAllAsync(int port, int count, int size)
    {
        var endpoint = new IPEndPoint(IPAddress.Loopback, port);
        var sockets = new Socket[count];
        for (var i = 0; i < count; i++)
        {
            sockets[i] = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await sockets[i].ConnectAsync(endpoint);
        }

        for (var i = 0; i < count; i += 100)
        {
            await Task.WhenAll(sockets.Skip(i).Take(100).Select(s => RoundTripAsync(s, new byte[size], new byte[size])));
        }

        return sockets;
    }

    private static async Task RoundTripAsync(Socket socket, byte[] send, byte[] receive)
    {
        await socket.SendAsync(send.AsMemory(), SocketFlags.None);
        var got = 0;
        while (got < receive.Length)
        {
            var n = await socket.ReceiveAsync(receive.AsMemory(got), SocketFlags.None);
            if (n == 0)
            {
                throw new SocketException((int)SocketError.ConnectionReset);
            }

            got += n;
        }
    }

    private static double Percentile(IEnumerable<double> samples, double p)
    {
        var sorted = samples.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    private static void Report(Options options, PathInfo[] paths, Measurement m)
    {
        var inv = CultureInfo.InvariantCulture;
        var direct = m.ByPath[0].Select(s => s.Ms).ToArray();
        Console.WriteLine(string.Create(inv, $"Connections: {options.Connections} concurrent per path ({options.Connections * paths.Length} open in all), each one {options.Size}-byte round trip every {1000 / options.Rate:0} ms on the active path ({options.Connections * options.Rate:0} round trips/s); the paths take turns in {options.SlotSeconds:0.##} s slots (direct, relay-default, relay-inline, rotating order), {options.Cycles} cycles recorded after {options.WarmupCycles} warm-up cycle(s), the first {options.SettleSeconds * 1000:0} ms of each slot not recorded; errors: {m.Errors}"));
        Console.WriteLine();
        Console.WriteLine("| path | round trips | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        for (var p = 0; p < paths.Length; p++)
        {
            var s = m.ByPath[p].Select(x => x.Ms).ToArray();
            Console.WriteLine(string.Create(inv, $"| {paths[p].Title} | {s.Length} | {Percentile(s, 50):0.000} | {Percentile(s, 90):0.000} | {Percentile(s, 99):0.000} | {Percentile(s, 99.9):0.000} | {s.Max():0.000} |"));
        }

        for (var p = 1; p < paths.Length; p++)
        {
            var s = m.ByPath[p].Select(x => x.Ms).ToArray();
            Console.WriteLine(string.Create(inv, $"| **added: {paths[p].Key}** | | **{Percentile(s, 50) - Percentile(direct, 50):0.000}** | {Percentile(s, 90) - Percentile(direct, 90):0.000} | **{Percentile(s, 99) - Percentile(direct, 99):0.000}** | {Percentile(s, 99.9) - Percentile(direct, 99.9):0.000} | |"));
        }

        Console.WriteLine();
        for (var p = 1; p < paths.Length; p++)
        {
            var s = m.ByPath[p].Select(x => x.Ms).ToArray();
            var added = Percentile(s, 99) - Percentile(direct, 99);
            var perCycle = PerCycleAdded(m, p, paths.Length, options.WarmupCycles + options.Cycles, options.WarmupCycles);
            var cpuUs = m.RoundTrips[p] == 0 ? double.NaN : m.RelayCpu[p].TotalMicroseconds / m.RoundTrips[p];
            Console.WriteLine(string.Create(inv, $"- {paths[p].Key}: added p99 {added:0.000} ms, goal < 1 ms {(added < 1 ? "met" : "not met")}. Per cycle (the path's slot p99 minus the direct slot p99 of the same cycle): min {perCycle.Min():0.000}, median {Percentile(perCycle, 50):0.000}, max {perCycle.Max():0.000} ms. Relay process CPU: {cpuUs:0.0} µs per round trip ({m.RelayCpu[p].TotalMilliseconds:0} ms for {m.RoundTrips[p]} round trips in its slots, idle time in the other slots included)."));
        }
    }

    /// <summary>Per recorded cycle: p99 of the path's slot minus p99 of the direct slot of the same cycle.</summary>
    private static double[] PerCycleAdded(Measurement m, int path, int pathCount, int totalCycles, int warmupCycles)
    {
        var result = new List<double>();
        for (var cycle = warmupCycles; cycle < totalCycles; cycle++)
        {
            var lo = cycle * pathCount;
            var hi = lo + pathCount;
            var mine = m.ByPath[path].Where(s => s.Slot >= lo && s.Slot < hi).Select(s => s.Ms).ToArray();
            var direct = m.ByPath[0].Where(s => s.Slot >= lo && s.Slot < hi).Select(s => s.Ms).ToArray();
            if (mine.Length > 0 && direct.Length > 0)
            {
                result.Add(Percentile(mine, 99) - Percentile(direct, 99));
            }
        }

        return result.ToArray();
    }
}
