using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Faultline.Lab.Relay;

// Three processes so the client's load does not steal from the relay in-process:
//   RelayBench echo                      an echo server; prints its port
//   RelayBench relay UPSTREAM_PORT       the relay daemon (no fault) in front of it; prints its listen port
//   RelayBench run [options]             starts both, then measures round trips direct and through the relay,
//                                        alternating phases in the same run, and prints Markdown.
return args switch
{
    ["echo"] => await Echo.RunAsync(),
    ["relay", var upstream] => await RunRelayAsync(int.Parse(upstream, CultureInfo.InvariantCulture)),
    ["run", .. var rest] => await Bench.RunAsync(Options.Parse(rest)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: RelayBench run [--connections N] [--rate PER_CONNECTION_PER_SECOND] [--phase SECONDS] [--rounds N] [--size BYTES]");
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

internal sealed record Options(int Connections, double Rate, int PhaseSeconds, int Rounds, int Size)
{
    public static Options Parse(string[] args)
    {
        var o = new Options(1000, 2, 10, 2, 64);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var v = args[i + 1];
            o = args[i] switch
            {
                "--connections" => o with { Connections = int.Parse(v, CultureInfo.InvariantCulture) },
                "--rate" => o with { Rate = double.Parse(v, CultureInfo.InvariantCulture) },
                "--phase" => o with { PhaseSeconds = int.Parse(v, CultureInfo.InvariantCulture) },
                "--rounds" => o with { Rounds = int.Parse(v, CultureInfo.InvariantCulture) },
                "--size" => o with { Size = int.Parse(v, CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
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

internal static class Bench
{
    public static async Task<int> RunAsync(Options options)
    {
        var self = Environment.ProcessPath!;
        var dll = typeof(Bench).Assembly.Location;
        using var echo = Start(self, dll, false, "echo");
        var echoPort = int.Parse((await echo.StandardOutput.ReadLineAsync())!, CultureInfo.InvariantCulture);
        using var relay = Start(self, dll, false, "relay", echoPort.ToString(CultureInfo.InvariantCulture));
        using var inline = Start(self, dll, true, "relay", echoPort.ToString(CultureInfo.InvariantCulture));
        var relayPort = await ListenPortAsync(relay);
        var inlinePort = await ListenPortAsync(inline);
        try
        {
            var direct = new List<double>();
            var relayed = new List<double>();
            var inlined = new List<double>();
            var errors = 0;
            for (var round = 0; round < options.Rounds; round++)
            {
                foreach (var (name, port, sink) in new[] { ("direct", echoPort, direct), ("relay", relayPort, relayed), ("relay-inline", inlinePort, inlined) })
                {
                    var (samples, failed) = await PhaseAsync(port, options);
                    sink.AddRange(samples);
                    errors += failed;
                    Console.Error.WriteLine($"round {round + 1} {name}: {samples.Count} round trips, p50 {Percentile(samples, 50):0.000} ms, p99 {Percentile(samples, 99):0.000} ms, errors {failed}");
                }
            }

            Report(options, direct, relayed, inlined, errors);
            return errors == 0 ? 0 : 1;
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

    private static Process Start(string self, string dll, bool inlineCompletions, params string[] args)
    {
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        if (inlineCompletions)
        {
            // Socket continuations run on the epoll thread instead of hopping to the thread pool.
            info.Environment["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1";
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

    /// <summary>Opens the connections, paces each at the rate, records after a 2 s warm-up, closes them.</summary>
    private static async Task<(List<double> Samples, int Errors)> PhaseAsync(int port, Options options)
    {
        var endpoint = new IPEndPoint(IPAddress.Loopback, port);
        var sockets = new Socket[options.Connections];
        for (var i = 0; i < sockets.Length; i++)
        {
            sockets[i] = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await sockets[i].ConnectAsync(endpoint);
        }

        var interval = TimeSpan.FromSeconds(1 / options.Rate);
        var start = Stopwatch.GetTimestamp();
        var recordFrom = start + Stopwatch.Frequency * 2;
        var end = recordFrom + Stopwatch.Frequency * options.PhaseSeconds;
        var perConnection = new List<double>[sockets.Length];
        var errors = 0;
        var tasks = new Task[sockets.Length];
        for (var i = 0; i < sockets.Length; i++)
        {
            var index = i;
            perConnection[i] = new List<double>((int)(options.Rate * options.PhaseSeconds) + 8);
            tasks[i] = Task.Run(async () =>
            {
                var socket = sockets[index];
                var send = new byte[options.Size];
                var receive = new byte[options.Size];
                var offset = TimeSpan.FromTicks((long)(interval.Ticks * (index / (double)sockets.Length)));
                var next = start + (long)(offset.TotalSeconds * Stopwatch.Frequency);
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

                        if (t0 >= recordFrom)
                        {
                            perConnection[index].Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                        }

                        next += (long)(interval.TotalSeconds * Stopwatch.Frequency);
                    }
                }
                catch (SocketException)
                {
                    Interlocked.Increment(ref errors);
                }
            });
        }

        await Task.WhenAll(tasks);
        foreach (var socket in sockets)
        {
            socket.Dispose();
        }

        await Task.Delay(500);
        return (perConnection.SelectMany(l => l).ToList(), errors);
    }

    private static double Percentile(List<double> samples, double p)
    {
        if (samples.Count == 0)
        {
            return double.NaN;
        }

        var sorted = samples.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    private static void Report(Options options, List<double> direct, List<double> relayed, List<double> inlined, int errors)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"Connections: {options.Connections} concurrent, each one {options.Size}-byte round trip every {1000 / options.Rate:0} ms ({options.Connections * options.Rate:0} round trips/s); {options.Rounds} rounds of direct, relay, relay with inline completions, {options.PhaseSeconds} s recorded per phase after a 2 s warm-up; errors: {errors}"));
        Console.WriteLine();
        Console.WriteLine("| path | round trips | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var (name, s) in new[] { ("direct to the echo server", direct), ("relay (no fault), default socket completions", relayed), ("relay (no fault), `DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1`", inlined) })
        {
            Console.WriteLine(string.Create(inv, $"| {name} | {s.Count} | {Percentile(s, 50):0.000} | {Percentile(s, 90):0.000} | {Percentile(s, 99):0.000} | {Percentile(s, 99.9):0.000} | {s.Max():0.000} |"));
        }

        foreach (var (name, s) in new[] { ("added: default", relayed), ("added: inline completions", inlined) })
        {
            Console.WriteLine(string.Create(inv, $"| **{name}** | | **{Percentile(s, 50) - Percentile(direct, 50):0.000}** | {Percentile(s, 90) - Percentile(direct, 90):0.000} | **{Percentile(s, 99) - Percentile(direct, 99):0.000}** | {Percentile(s, 99.9) - Percentile(direct, 99.9):0.000} | |"));
        }

        Console.WriteLine();
        foreach (var (name, s) in new[] { ("default socket completions", relayed), ("inline completions", inlined) })
        {
            var added = Percentile(s, 99) - Percentile(direct, 99);
            Console.WriteLine(string.Create(inv, $"- Goal < 1 ms added at p99, {name}: {(added < 1 ? "met" : "not met")} ({added:0.000} ms)."));
        }
    }
}
