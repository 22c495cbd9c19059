using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace Faultline.TestSupport;

/// <summary>
/// A long-running <c>faultline</c> command (e.g. <c>monitor --format json</c>) in a child process: every stdout line is
/// kept, JSON lines are parsed, and tests wait on conditions over them (real time, bounded).
/// </summary>
public sealed class CliProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly SemaphoreSlim _arrivals = new(0);

    private CliProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public IReadOnlyList<string> Lines => [.. _lines];

    public IReadOnlyList<string> ErrorLines => [.. _errors];

    /// <summary>Every stdout line that is a JSON object, parsed.</summary>
    public IReadOnlyList<JsonElement> Events =>
        [.. _lines.Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    /// <summary>
    /// The CLI's own build output (same configuration as the tests), whose deps.json matches the files beside it; a copy
    /// next to a test assembly may lack an assembly the test project takes from a shared framework instead.
    /// </summary>
    public static string LocateCli()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var own = Path.Combine(LocalServices.FindRepositoryRoot(), "src", "Faultline.Cli", "bin", configuration, "net10.0", "faultline.dll");
        if (File.Exists(own))
        {
            return own;
        }

        var beside = Path.Combine(AppContext.BaseDirectory, "faultline.dll");
        return File.Exists(beside)
            ? beside
            : throw new InvalidOperationException($"the faultline CLI is not built ({own}); build it with: dotnet build src/Faultline.Cli -c {configuration}");
    }

    /// <summary>Starts <c>dotnet faultline.dll ARGS</c> (see <see cref="LocateCli"/>).</summary>
    public static CliProcess Start(IEnumerable<string> arguments, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var dll = LocateCli();

        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        info.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var cli = new CliProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                cli._lines.Enqueue(e.Data);
                cli._arrivals.Release();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                cli._errors.Enqueue(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return cli;
    }

    /// <summary>Waits until <paramref name="condition"/> holds over the events so far; throws with the output when it does not within <paramref name="within"/>.</summary>
    public async Task<IReadOnlyList<JsonElement>> WaitForAsync(Func<IReadOnlyList<JsonElement>, bool> condition, TimeSpan within, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var events = Events;
            if (condition(events))
            {
                return events;
            }

            if (deadline.Elapsed > within)
            {
                throw new TimeoutException($"waited {within.TotalSeconds:0} s for {what}; process {(HasExited ? "exited" : "running")}. stderr:\n{string.Join('\n', _errors.TakeLast(20))}\nstdout (last 30):\n{string.Join('\n', _lines.TakeLast(30))}");
            }

            if (HasExited)
            {
                throw new InvalidOperationException($"faultline exited ({_process.ExitCode}) before {what}. stderr:\n{string.Join('\n', _errors.TakeLast(20))}");
            }

            await _arrivals.WaitAsync(TimeSpan.FromMilliseconds(250));
        }
    }

    /// <summary>Waits until a stderr line matches; throws with the output when none does within <paramref name="within"/>.</summary>
    public async Task<string> WaitForErrorLineAsync(Func<string, bool> match, TimeSpan within, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_errors.FirstOrDefault(match) is { } line)
            {
                return line;
            }

            if (deadline.Elapsed > within || HasExited)
            {
                throw new TimeoutException($"waited {within.TotalSeconds:0} s for {what} on stderr; process {(HasExited ? "exited" : "running")}. stderr:\n{string.Join('\n', _errors.TakeLast(20))}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>SIGKILL: the process gets no chance to clean up (a crashed replica).</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>SIGTERM, then waits for a clean exit; returns the exit code.</summary>
    public Task<int> StopAsync(TimeSpan within) => SignalAsync("TERM", within);

    /// <summary>SIGINT (what Ctrl-C sends), then waits for the exit; returns the exit code.</summary>
    public Task<int> InterruptAsync(TimeSpan within) => SignalAsync("INT", within);

    /// <summary>Waits for the process to exit by itself; returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    /// <summary>Sends SIG<paramref name="signal"/> (e.g. TERM, INT), then waits for the exit; returns the exit code.</summary>
    public async Task<int> SignalAsync(string signal, TimeSpan within)
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
            await kill.WaitForExitAsync();
        }

        return await WaitForExitAsync(within);
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        _arrivals.Dispose();
        return ValueTask.CompletedTask;
    }
}
