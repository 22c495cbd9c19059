using System.Globalization;
using Faultline.Core.Classification;
using Faultline.Core.Config;
using Faultline.Core.Model;

namespace Faultline.Probes.Tests;

/// <summary>
/// The startup probe with real processes (<c>/bin/sh</c> commands): what it records per instance, and that
/// no process outlives it — at the deadline or on cancellation, children of the command included.
/// </summary>
public sealed class StartupProbeTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("faultline-startup-test-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private static TargetSpec Startup(string run, int instances = 2, TimeSpan? deadline = null, IReadOnlyDictionary<string, string>? env = null) => new()
    {
        Name = "svc",
        Kind = TargetKinds.Startup,
        Run = run,
        Env = env ?? new Dictionary<string, string>(),
        ReadyUrl = "http://127.0.0.1:{port}/health/ready",
        Instances = instances,
        Deadline = deadline ?? TimeSpan.FromSeconds(20),
    };

    /// <summary>A command that records its shell's pid and a child's pid, then waits (never ready).</summary>
    private string Hang => $"echo $$ > {_scratch}/{{instance}}.sh; sleep 300 & echo $! > {_scratch}/{{instance}}.child; wait";

    [Fact]
    public async Task ProbeAsync_InstancesExitBeforeReady_RecordExitCodeAndRedactedStderrTail()
    {
        var target = Startup(
            "echo starting {instance}; echo \"fatal: cannot bind {port} (token $API_TOKEN)\" >&2; exit 7",
            env: new Dictionary<string, string> { ["API_TOKEN"] = "tok-9f8e7d6c5b4a" });

        var raw = await ProbeHarness.RunAsync(target, TimeSpan.FromSeconds(40));
        var observation = Classifier.Interpret(target, raw);

        // The probe reports each instance as it ended; the attempts and where they failed come from Core's rules.
        Assert.Empty(raw.Load!.FailureGroups);
        Assert.All(raw.Load.Instances, i => Assert.Equal("exited-before-ready", i.ErrorKind));
        var load = observation.Load!;
        Assert.Null(observation.Error);
        Assert.Equal((2, 0), (load.Attempts, load.Successes));
        var group = Assert.Single(load.FailureGroups);
        Assert.Equal((Layer.Application, Side.Application, "exited-before-ready", 2), (group.Layer, group.Side, group.ErrorKind, group.Count));
        Assert.Equal([1, 2], load.Instances.Select(i => i.Instance));
        Assert.NotEqual(load.Instances[0].Port, load.Instances[1].Port);
        foreach (var instance in load.Instances)
        {
            Assert.Equal(7, instance.ExitCode);
            Assert.False(instance.Ready);
            Assert.Equal($"fatal: cannot bind {instance.Port.ToString(CultureInfo.InvariantCulture)} (token ***)", instance.StderrTail);
        }

        Assert.DoesNotContain("tok-9f8e7d6c5b4a", ProbeHarness.Json(observation), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_TerminationMessage_GivesTheLayerSideAndErrorKind()
    {
        const string message = """{"phase":"cache","layer":"cache","side":"infrastructure","errorKind":"connect-timeout","message":"redis at 10.0.0.7:6379 timed out","attempts":2}""";
        var target = Startup($"[ \"$Faultline__TerminationMessagePath\" = \"{{terminationFile}}\" ] || exit 9; echo '{message}' > \"{{terminationFile}}\"; exit 3", instances: 3);

        var observation = Classifier.Interpret(target, await ProbeHarness.RunAsync(target, TimeSpan.FromSeconds(40)));

        var load = observation.Load!;
        var group = Assert.Single(load.FailureGroups);
        Assert.Equal((Layer.Cache, Side.Infrastructure, "connect-timeout", 3), (group.Layer, group.Side, group.ErrorKind, group.Count));
        Assert.Equal("phase cache: redis at 10.0.0.7:6379 timed out", group.Example);
        Assert.All(load.Instances, i =>
        {
            Assert.Equal(3, i.ExitCode);
            Assert.Equal("cache", i.Termination?.Phase);
            Assert.Null(i.StderrTail);
        });
    }

    [Fact]
    public async Task ProbeAsync_NeverReady_TimesOutAndStopsTheCommandAndItsChildren()
    {
        var target = Startup(Hang, deadline: TimeSpan.FromSeconds(1));
        var observation = Classifier.Interpret(target, await ProbeHarness.RunAsync(target, TimeSpan.FromSeconds(40)));

        var load = observation.Load!;
        var group = Assert.Single(load.FailureGroups);
        Assert.Equal((Layer.Application, "timeout", 2), (group.Layer, group.ErrorKind, group.Count));
        Assert.All(load.Instances, i => Assert.Null(i.ExitCode));
        Assert.StartsWith("not ready within 1 s", load.Instances[0].Problem, StringComparison.Ordinal);
        AssertStopped();
    }

    [Fact]
    public async Task ProbeAsync_CallerCancels_StopsEveryProcessThenThrows()
    {
        using var caller = new CancellationTokenSource();
        var context = ProbeHarness.Context(TimeSpan.FromSeconds(60), callerToken: caller.Token);
        var probing = ProbeHarness.RunAsync(Startup(Hang, instances: 3, deadline: TimeSpan.FromSeconds(45)), context);
        await WaitForPidFilesAsync(3);

        await caller.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => probing);
        AssertStopped();
    }

    [Theory]
    [InlineData(null, "http://127.0.0.1:{port}/ready", "needs run")]
    [InlineData("true", null, "needs run")]
    [InlineData("true", "127.0.0.1:{port}/ready", "is not an absolute http")]
    public async Task ProbeAsync_MissingRunOrBadReadyUrl_ConfigInvalid(string? run, string? readyUrl, string message)
    {
        var target = Startup(run ?? string.Empty) with { Run = run, ReadyUrl = readyUrl };

        var observation = await ProbeHarness.RunAsync(target);

        Assert.Equal(ErrorKind.ConfigInvalid, observation.Error?.Kind);
        Assert.Contains(message, observation.Error!.Message, StringComparison.Ordinal);
    }

    private async Task WaitForPidFilesAsync(int instances)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (Directory.GetFiles(_scratch, "*.child").Count(f => new FileInfo(f).Length > 0) < instances)
        {
            await Task.Delay(50, timeout.Token);
        }
    }

    private void AssertStopped()
    {
        var pids = Directory.GetFiles(_scratch, "*.sh").Concat(Directory.GetFiles(_scratch, "*.child")).ToList();
        Assert.NotEmpty(pids);
        foreach (var file in pids)
        {
            var pid = File.ReadAllText(file).Trim();
            Assert.False(Alive(pid), $"process {pid} ({Path.GetFileName(file)}) still runs after the probe");
        }
    }

    /// <summary>Running or sleeping; a zombie waiting for its parent to reap it has already stopped.</summary>
    private static bool Alive(string pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state is not ("Z" or "X");
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return false;
        }
    }
}
