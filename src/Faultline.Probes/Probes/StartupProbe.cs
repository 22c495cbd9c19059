using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Microsoft.Extensions.Logging;

namespace Faultline.Probes.Probes;

/// <summary>
/// A <c>startup</c> load check: starts the target's <c>run</c> command (<c>/bin/sh -c</c>) <c>instances</c>
/// times at once, each with its own loopback port (<c>{port}</c>), number (<c>{instance}</c>) and
/// termination-message file (<c>{terminationFile}</c>, also set as <c>Faultline__TerminationMessagePath</c>),
/// polls each instance's ready URL until it answers 2xx, the instance exits or the deadline passes, then
/// stops every instance (SIGTERM to its process group, SIGKILL after a grace) — also when cancelled.
/// Records per instance: time to ready, exit code, the termination message or the last stderr lines.
/// </summary>
internal sealed partial class StartupProbe : IProbe
{
    /// <summary>How many stderr lines are kept per instance.</summary>
    public const int StderrLines = 12;

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan PollTimeout = TimeSpan.FromSeconds(2);

    public string Kind => TargetKinds.Startup;

    /// <summary>A startup target without conditions needs every instance ready.</summary>
    public IReadOnlyList<string> DefaultConditions { get; } = [LoadChecks.DefaultCondition];

    public string AttemptNoun => "instances";

    /// <summary>Without a timeout of its own, the ready deadline plus the time to stop the instances.</summary>
    public TimeSpan? DefaultTimeout(TargetSpec target) => LoadChecks.StartupTimeout(target);

    public async Task<Observation> ProbeAsync(TargetSpec target, ProbeContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(context);
        var started = context.StartTimestamp();
        if (string.IsNullOrWhiteSpace(target.Run) || string.IsNullOrWhiteSpace(target.ReadyUrl))
        {
            return new Observation
            {
                Target = $"startup target {target.Name}",
                Error = new ProbeError(ErrorKind.ConfigInvalid, "a startup target needs run (the command) and readyUrl (the URL that answers 2xx once ready)"),
            };
        }

        if (!Uri.TryCreate(new Placeholders(1, 1, "/").Fill(target.ReadyUrl), UriKind.Absolute, out var probeUrl) || probeUrl.Scheme is not ("http" or "https"))
        {
            return new Observation
            {
                Target = $"startup target {target.Name}",
                Error = new ProbeError(ErrorKind.ConfigInvalid, $"readyUrl '{target.ReadyUrl}' is not an absolute http:// or https:// URL"),
            };
        }

        var logger = context.LoggerFactory.CreateLogger("Faultline.Probes.Startup");
        var count = Math.Max(1, target.Instances);
        var readyDeadline = LoadChecks.ReadyDeadline(target, context.Timeout);
        var scratch = Directory.CreateTempSubdirectory("faultline-startup-");
        var instances = new List<StartupInstanceProcess>(count);
        try
        {
            try
            {
                var ports = FreePorts(count);
                for (var i = 1; i <= count; i++)
                {
                    var values = new Placeholders(ports[i - 1], i, Path.Combine(scratch.FullName, $"instance-{i}.termination"));
                    instances.Add(new StartupInstanceProcess(i, values, values.Fill(target.ReadyUrl), context.Time));
                }

                // Start every instance before polling any: the point is the concurrent load on shared dependencies.
                foreach (var instance in instances)
                {
                    instance.Start(target, context.BaseDirectory, context.Redactor, logger);
                }

                using var deadline = new CancellationTokenSource(readyDeadline, context.Time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
                using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = PollTimeout };
                await Task.WhenAll(instances.Select(i => i.WaitUntilReadyAsync(http, linked.Token))).ConfigureAwait(false);
            }
            finally
            {
                await Task.WhenAll(instances.Select(i => i.StopAsync(logger))).ConfigureAwait(false);
            }

            // Every instance is stopped by now; a caller's cancellation ends the run, the target's deadline is reported.
            if (context.IsCallerCancellation)
            {
                throw new OperationCanceledException("the startup check was cancelled; every instance was stopped", context.CallerToken);
            }

            var observed = new List<StartupInstance>(count);
            foreach (var instance in instances)
            {
                observed.Add(await instance.ObserveAsync(readyDeadline, context.Redactor).ConfigureAwait(false));
            }

            // The instances as observed; the runner derives the attempts and where each failed from them.
            var load = new LoadObservation { AttemptKind = Kind, AttemptNoun = AttemptNoun, Instances = observed };
            return new Observation
            {
                Target = context.Redactor.Redact(string.Create(CultureInfo.InvariantCulture, $"{count} × {Shorten(target.Run)} (ready: {target.ReadyUrl})")),
                Connected = observed.Any(i => i.Ready),
                Elapsed = context.Time.GetElapsedTime(started),
                Load = load,
            };
        }
        finally
        {
            foreach (var instance in instances)
            {
                instance.Dispose();
            }

            TryDelete(scratch);
        }
    }

    private static string Shorten(string text)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length <= 120 ? line : string.Concat(line.AsSpan(0, 119), "…");
    }

    /// <summary>Env keys whose values are kept out of every output.</summary>
    internal static bool LooksSecret(string key) => SecretKey().IsMatch(key);

    [GeneratedRegex(@"password|passwd|pwd|secret|token|key|connectionstring|connection_string|_url$|__url$|dsn|credential", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex SecretKey();

    /// <summary>Distinct free loopback ports: all bound at once, then released.</summary>
    private static List<int> FreePorts(int count)
    {
        var listeners = new List<TcpListener>(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }

            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToList();
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Dispose();
            }
        }
    }

    private static void TryDelete(DirectoryInfo directory)
    {
        try
        {
            directory.Delete(recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A temp directory left behind is harmless; the instances are stopped.
        }
    }

    /// <summary>The values of <c>{port}</c>, <c>{instance}</c> and <c>{terminationFile}</c> for one instance.</summary>
    internal sealed record Placeholders(int Port, int Instance, string TerminationFile)
    {
        public string Fill(string text) => text
            .Replace("{port}", Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{instance}", Instance.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{terminationFile}", TerminationFile, StringComparison.Ordinal);
    }

    [LoggerMessage(EventId = 600, Level = LogLevel.Debug, Message = "startup instance {Instance} started on port {Port} (pid {Pid})")]
    internal static partial void LogStarted(ILogger logger, int instance, int port, int pid);

    [LoggerMessage(EventId = 601, Level = LogLevel.Debug, Message = "startup instance {Instance} stopped (exit code {ExitCode})")]
    internal static partial void LogStopped(ILogger logger, int instance, int exitCode);

    [LoggerMessage(EventId = 602, Level = LogLevel.Warning, Message = "startup instance {Instance} ignored SIGTERM for {GraceSeconds} s and was killed")]
    internal static partial void LogKilled(ILogger logger, int instance, double graceSeconds);

    [LoggerMessage(EventId = 603, Level = LogLevel.Warning, Message = "startup instance {Instance} could not be started")]
    internal static partial void LogStartFailed(ILogger logger, Exception exception, int instance);
}
