using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Microsoft.Extensions.Logging;

namespace Faultline.Probes.Probes;

/// <summary>
/// One instance of a <c>startup</c> check: its process (in a process group of its own through
/// <c>setsid</c>, so stopping it stops everything the command started), its last stderr lines and
/// what became of it. Owned by <see cref="StartupProbe"/>, which stops and disposes it.
/// </summary>
internal sealed class StartupInstanceProcess(int number, StartupProbe.Placeholders values, string readyUrl, TimeProvider time) : IDisposable
{
    private const string SetSid = "/usr/bin/setsid";
    private const int MaxTerminationBytes = 64 * 1024;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly Lock _gate = new();
    private readonly Queue<string> _stderr = new();
    private Process? _process;
    private bool _ownGroup;
    private long _started;
    private double? _readyMs;
    private int? _exitCode;
    private string? _problem;

    /// <summary>Starts the command in the target's working directory, else <paramref name="baseDirectory"/> (the config file's), else the current one.</summary>
    public void Start(TargetSpec target, string? baseDirectory, SecretRedactor redactor, ILogger logger)
    {
        _ownGroup = File.Exists(SetSid);
        var start = new ProcessStartInfo(_ownGroup ? SetSid : "/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = target.WorkingDir ?? baseDirectory ?? Directory.GetCurrentDirectory(),
        };
        if (_ownGroup)
        {
            start.ArgumentList.Add("/bin/sh");
        }

        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(values.Fill(target.Run!));
        start.Environment[LoadChecks.TerminationVariable] = values.TerminationFile;
        foreach (var (key, value) in target.Env)
        {
            var filled = values.Fill(value);
            start.Environment[key] = filled;
            if (StartupProbe.LooksSecret(key))
            {
                redactor.Add(value);
                redactor.Add(filled);
            }
        }

        var process = new Process { StartInfo = start };
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        process.OutputDataReceived += (_, _) => { };
        try
        {
            if (!process.Start())
            {
                throw new Win32Exception("the process did not start");
            }
        }
        catch (Win32Exception ex)
        {
            StartupProbe.LogStartFailed(logger, ex, number);
            _problem = $"could not start the command in {start.WorkingDirectory} ({ex.Message})";
            process.Dispose();
            return;
        }

        _started = time.GetTimestamp();
        _process = process;
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        StartupProbe.LogStarted(logger, number, values.Port, process.Id);
    }

    /// <summary>Polls the ready URL until it answers 2xx, the process exits, or <paramref name="token"/> fires (the deadline).</summary>
    public async Task WaitUntilReadyAsync(HttpClient http, CancellationToken token)
    {
        if (_process is null)
        {
            return;
        }

        var url = new Uri(readyUrl, UriKind.Absolute);
        while (!token.IsCancellationRequested && !_process.HasExited)
        {
            try
            {
                using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
                if ((int)response.StatusCode is >= 200 and < 300)
                {
                    _readyMs = Math.Round(time.GetElapsedTime(_started).TotalMilliseconds, 1);
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
                // One poll timed out; the deadline decides.
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await Task.Delay(PollInterval, time, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Stops the instance: SIGTERM to its process group, SIGKILL after the grace. Never throws; records an exit that came first.</summary>
    public async Task StopAsync(ILogger logger)
    {
        if (_process is not { } process)
        {
            return;
        }

        if (process.HasExited)
        {
            _exitCode = process.ExitCode;
        }

        // Signal the group even when the shell has exited: a child it started may still run.
        await SignalAsync(process, "TERM").ConfigureAwait(false);
        using (var grace = new CancellationTokenSource(LoadChecks.StopGrace, time))
        {
            try
            {
                await process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
                await SignalAsync(process, "KILL").ConfigureAwait(false);
                StartupProbe.LogStopped(logger, number, process.ExitCode);
                return;
            }
            catch (OperationCanceledException)
            {
                StartupProbe.LogKilled(logger, number, LoadChecks.StopGrace.TotalSeconds);
            }
        }

        await SignalAsync(process, "KILL").ConfigureAwait(false);
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }

        using var last = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(last.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Killed; the kernel reaps it.
        }
    }

    /// <summary>What became of the instance: ready, or how it failed (raw; the runner classifies it). Call after <see cref="StopAsync"/>.</summary>
    public async Task<StartupInstance> ObserveAsync(TimeSpan deadline, SecretRedactor redactor)
    {
        var termination = await ReadTerminationAsync(redactor).ConfigureAwait(false);
        var tail = StderrTail(redactor);
        var instance = new StartupInstance
        {
            Instance = number,
            Port = values.Port,
            Ready = _readyMs is not null,
            ReadyMs = _readyMs,
            ExitCode = _exitCode,
            Termination = termination,
            StderrTail = _readyMs is null && termination is null ? tail : null,
        };

        if (_readyMs is not null)
        {
            return instance;
        }

        if (termination is not null)
        {
            var exited = _exitCode is { } code ? string.Create(CultureInfo.InvariantCulture, $" (exit code {code})") : string.Empty;
            return instance with
            {
                Problem = $"stopped in startup phase {termination.Phase ?? "startup"}{exited}",
                ErrorKind = termination.ErrorKind ?? StartupInstance.StartupFailed,
            };
        }

        if (_process is null)
        {
            return instance with { Problem = _problem ?? "the command could not be started", ErrorKind = ErrorKind.ConfigInvalid.Wire() };
        }

        return _exitCode is { } exitCode
            ? instance with
            {
                Problem = string.Create(CultureInfo.InvariantCulture, $"exited with code {exitCode} before {readyUrl} answered 2xx"),
                ErrorKind = StartupInstance.ExitedBeforeReady,
            }
            : instance with
            {
                Problem = $"not ready within {Durations.Describe(deadline)}: {readyUrl} did not answer 2xx",
                ErrorKind = ErrorKind.Timeout.Wire(),
            };
    }

    public void Dispose() => _process?.Dispose();

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _stderr.Enqueue(line.Length > 500 ? line[..500] : line);
            while (_stderr.Count > StartupProbe.StderrLines)
            {
                _stderr.Dequeue();
            }
        }
    }

    private string? StderrTail(SecretRedactor redactor)
    {
        lock (_gate)
        {
            return _stderr.Count == 0 ? null : redactor.Redact(string.Join('\n', _stderr));
        }
    }

    private async Task<TerminationMessage?> ReadTerminationAsync(SecretRedactor redactor)
    {
        var path = values.TerminationFile;
        string text;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length == 0)
            {
                return null;
            }

            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 4096, useAsync: true);
            await using (stream.ConfigureAwait(false))
            {
                if (stream.Length > MaxTerminationBytes)
                {
                    stream.Seek(-MaxTerminationBytes, SeekOrigin.End);
                }

                using var reader = new StreamReader(stream, Encoding.UTF8);
                text = await reader.ReadToEndAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        if (line is null)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var message = new TerminationMessage
            {
                Phase = String(root, "phase"),
                Layer = String(root, "layer") is { } l && Enum.TryParse<Layer>(l, ignoreCase: true, out var layer) && Enum.IsDefined(layer) ? layer : null,
                Side = String(root, "side") is { } s && Enum.TryParse<Side>(s, ignoreCase: true, out var side) && Enum.IsDefined(side) ? side : null,
                ErrorKind = String(root, "errorKind"),
                Message = String(root, "message") is { } m ? redactor.Redact(m) : null,
                Attempts = Number(root, "attempts") is { } attempts ? (int)attempts : null,
                ElapsedMs = Number(root, "elapsedMs"),
            };
            return message.Phase is null && message.Message is null ? null : message;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static double? Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) ? number : null;

    private async Task SignalAsync(Process process, string signal)
    {
        int pid;
        try
        {
            pid = process.Id;
        }
        catch (InvalidOperationException)
        {
            return;
        }

        var target = _ownGroup ? "-" + pid.ToString(CultureInfo.InvariantCulture) : pid.ToString(CultureInfo.InvariantCulture);
        var start = new ProcessStartInfo("kill") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-" + signal);
        start.ArgumentList.Add("--");
        start.ArgumentList.Add(target);
        try
        {
            using var kill = Process.Start(start);
            if (kill is null)
            {
                return;
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await kill.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Win32Exception or OperationCanceledException or InvalidOperationException)
        {
            // No kill(1), or it hung: Process.Kill below is the fallback.
        }
    }
}
