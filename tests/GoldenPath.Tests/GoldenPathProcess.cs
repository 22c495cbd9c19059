using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Faultline.TestSupport;

namespace GoldenPath.Tests;

/// <summary>
/// GoldenPath as a real process (<c>dotnet samples/GoldenPath/bin/CONFIG/net10.0/GoldenPath.dll</c>)
/// on a free loopback port, with exactly the environment a test gives it. Output is captured for
/// assertions and for failure messages; disposing kills the process if it still runs.
/// </summary>
internal sealed class GoldenPathProcess : IAsyncDisposable
{
    /// <summary>Variables of the test runner's own environment that must not leak into the service.</summary>
    private static readonly string[] ScrubbedPrefixes = ["ConnectionStrings__", "Jwt__", "Faultline__", "Secrets__", "ASPNETCORE_", "DOTNET_ENVIRONMENT", "Logging__"];

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Lock _gate = new();

    private GoldenPathProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public Stopwatch Elapsed { get; } = Stopwatch.StartNew();

    public string Stdout
    {
        get
        {
            lock (_gate)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_gate)
            {
                return _stderr.ToString();
            }
        }
    }

    public string Output => $"--- stdout ---{Environment.NewLine}{Stdout}{Environment.NewLine}--- stderr ---{Environment.NewLine}{Stderr}";

    public bool HasExited => _process.HasExited;

    /// <summary>The built sample next to this test assembly's configuration (Debug or Release).</summary>
    public static string AssemblyPath()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testBin.Name;
        var configuration = testBin.Parent!.Name;
        var path = Path.Combine(LocalServices.FindRepositoryRoot(), "samples", "GoldenPath", "bin", configuration, framework, "GoldenPath.dll");
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"{path} does not exist; build samples/GoldenPath (dotnet build tests/GoldenPath.Tests builds it)");
    }

    /// <summary>A loopback port nothing listens on (bound, then released).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public static GoldenPathProcess Start(IReadOnlyDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(AssemblyPath())!,
        };
        start.ArgumentList.Add(AssemblyPath());
        foreach (var key in start.Environment.Keys.ToList())
        {
            if (ScrubbedPrefixes.Any(prefix => key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
            {
                start.Environment.Remove(key);
            }
        }

        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var result = new GoldenPathProcess(process, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => result.Append(result._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => result.Append(result._stderr, e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException("dotnet did not start");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Waits for <c>/health/ready</c> to answer 200; fails with the output when the process exits or the deadline passes.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan deadline)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var timer = Stopwatch.StartNew();
        while (timer.Elapsed < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"GoldenPath exited with code {_process.ExitCode} before it was ready.{Environment.NewLine}{Output}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri("health/ready", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // One poll timed out; the deadline decides.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }

        throw new TimeoutException($"GoldenPath was not ready within {deadline.TotalSeconds} s.{Environment.NewLine}{Output}");
    }

    /// <summary>Waits for the process to exit; returns its exit code, fails with the output at the deadline.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"GoldenPath did not exit within {deadline.TotalSeconds} s.{Environment.NewLine}{Output}");
        }

        // WaitForExitAsync also waits for the redirected streams to reach end of file.
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // Killed; the OS reaps it.
            }
        }

        _process.Dispose();
    }

    private void Append(StringBuilder target, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            target.AppendLine(line);
        }
    }
}
