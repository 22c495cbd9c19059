using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Faultline.Lab.Stack;

/// <summary>Child processes of the lab: short commands with captured output, and detached daemons with pid files.</summary>
internal static class LabProcesses
{
    /// <summary>Variables of the caller's environment that must not leak into the lab's processes.</summary>
    private static readonly string[] ScrubbedPrefixes =
        ["ConnectionStrings__", "Jwt__", "Faultline__", "Secrets__", "Demo__", "ASPNETCORE_", "DOTNET_ENVIRONMENT", "Logging__", "FAULTLINE_SERVICES_DIR"];

    public static async Task<(int ExitCode, string Output)> RunAsync(
        string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, string workingDirectory, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Prepare(start, environment);
        using var process = new Process { StartInfo = start };
        var output = new StringBuilder();
        var gate = new Lock();
        process.OutputDataReceived += (_, e) => Append(output, gate, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, gate, e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new LabException($"could not run {file}: {ex.Message}", ex);
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            throw new LabException($"{Path.GetFileName(file)} {string.Join(' ', start.ArgumentList)} did not finish within {timeout.TotalSeconds:0} s");
        }

        lock (gate)
        {
            return (process.ExitCode, output.ToString().TrimEnd());
        }
    }

    /// <summary>
    /// Starts <paramref name="command"/> in its own session (it outlives the caller), output appended
    /// to <paramref name="logFile"/>, stdin from /dev/null; writes and returns its pid.
    /// </summary>
    public static async Task<int> StartDetachedAsync(
        IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment, string workingDirectory, string logFile, string pidFile, CancellationToken cancellationToken)
    {
        const string Script = "log=$1; pidfile=$2; shift 2; setsid \"$@\" >>\"$log\" 2>&1 </dev/null & echo $! >\"$pidfile\"";
        string[] arguments = ["-c", Script, "lab", logFile, pidFile, .. command];
        var (exitCode, output) = await RunAsync("bash", arguments, environment, workingDirectory, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        var pid = ReadPid(pidFile);
        if (exitCode != 0 || pid is null)
        {
            throw new LabException($"could not start {command[0]}: {output}");
        }

        return pid.Value;
    }

    public static int? ReadPid(string pidFile)
    {
        try
        {
            return int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0 ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>True when the process exists and is not a zombie.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            var close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] != 'Z' && stat[close + 2] != 'X';
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }

    public static bool IsAlive(string pidFile) => ReadPid(pidFile) is { } pid && IsAlive(pid);

    /// <summary>
    /// SIGTERM, then SIGKILL after <paramref name="grace"/>; removes the pid file. True when something was
    /// stopped. A pid file whose process is gone, or now runs something else (app.pid: GoldenPath,
    /// relay.pid: lab relay), is only removed.
    /// </summary>
    public static async Task<bool> StopAsync(string pidFile, TimeSpan grace, CancellationToken cancellationToken)
    {
        var pid = ReadPid(pidFile);
        if (pid is null || !IsAlive(pid.Value) || !CommandLineOf(pid.Value).Contains(Path.GetFileNameWithoutExtension(pidFile) switch
        {
            "relay" => "lab relay",
            "app" => "GoldenPath",
            _ => string.Empty,
        }, StringComparison.Ordinal))
        {
            File.Delete(pidFile);
            return false;
        }

        await SignalAsync(pid.Value, "TERM", cancellationToken).ConfigureAwait(false);
        var watch = Stopwatch.StartNew();
        while (IsAlive(pid.Value) && watch.Elapsed < grace)
        {
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        if (IsAlive(pid.Value))
        {
            await SignalAsync(pid.Value, "KILL", cancellationToken).ConfigureAwait(false);
            while (IsAlive(pid.Value) && watch.Elapsed < grace + TimeSpan.FromSeconds(5))
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
        }

        File.Delete(pidFile);
        return true;
    }

    /// <summary>The pids whose parent is <paramref name="parent"/> (e.g. nginx's workers).</summary>
    public static IReadOnlyList<int> ChildrenOf(int parent)
    {
        var children = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields.Length > 1 && fields[1] == parent.ToString(CultureInfo.InvariantCulture))
                {
                    children.Add(pid);
                }
            }
            catch (IOException)
            {
                // The process ended while listing.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours to read.
            }
        }

        return children;
    }

    /// <summary>The process's command line, arguments separated by spaces (empty when it cannot be read).</summary>
    private static string CommandLineOf(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return string.Empty;
        }
        catch (UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    /// <summary>True when something accepts a TCP connection on 127.0.0.1:<paramref name="port"/>.</summary>
    public static async Task<bool> PortOpenAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>The last <paramref name="lines"/> lines of a log file (empty when it does not exist).</summary>
    public static string Tail(string path, int lines)
    {
        try
        {
            var all = File.ReadAllLines(path);
            return string.Join(Environment.NewLine, all.Skip(Math.Max(0, all.Length - lines)));
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    private static async Task SignalAsync(int pid, string signal, CancellationToken cancellationToken)
    {
        var (exitCode, output) = await RunAsync("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)], new Dictionary<string, string>(), "/", TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        if (exitCode != 0 && IsAlive(pid))
        {
            throw new LabException($"could not stop pid {pid.ToString(CultureInfo.InvariantCulture)} (kill -{signal}): {output}");
        }
    }

    private static void Prepare(ProcessStartInfo start, IReadOnlyDictionary<string, string> environment)
    {
        foreach (var key in start.Environment.Keys.ToList())
        {
            if (ScrubbedPrefixes.Any(prefix => key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
            {
                start.Environment.Remove(key);
            }
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
    }

    private static void Append(StringBuilder output, Lock gate, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (gate)
        {
            output.AppendLine(line);
        }
    }
}
