using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Faultline.Core.Config;
using Faultline.TestSupport;

namespace Faultline.Cli.Tests;

/// <summary>
/// The real commands given config paths that are not configs (a FIFO, a device, a directory, a file over the size
/// limit, one nested too deep, one with thousands of errors): each exits 2 at once with one clear error and no stack
/// trace; check, validate and monitor load configs the same way. And the signals: SIGINT exits 130, SIGTERM 143, with
/// one line on stderr, while loading and mid-run.
/// </summary>
[Collection(nameof(HungTargetTests))]
public sealed class HostileConfigFileTests : IDisposable
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(2);

    private readonly CliHarness.TempDir _dir = new();

    public static TheoryData<string, string> Paths() => new()
    {
        { "fifo", "is a named pipe (FIFO); only a regular file is read as a config" },
        { "/dev/zero", "/dev/zero is a character device; only a regular file is read as a config" },
        { "directory", "is a directory, not a file" },
        { "oversized", "is 16,777,217 bytes; a config may be at most 16 MiB (16,777,216 bytes)" },
        { "deep", ":2:127: the config nests mappings and lists more than 64 levels deep" },
        { "bomb", "makes the config stand for more than 500,000 YAML nodes" },
        { "utf8", ":1:15: the config is not valid UTF-8" },
        { "timeout", ":1:60: 'timeout' in target 'a' (kind tcp) is 50d; it must be at most 1h" },
    };

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Check_PathThatIsNoConfig_ExitsTwoAtOnceWithOneError(string what, string expected)
    {
        var path = Make(what);

        var (exit, output, error) = await TimedAsync("check", "--config", path);

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.EndsWith("faultline: the config has 1 error; nothing was probed.\n", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.Equal(2, error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Theory]
    [InlineData("validate")]
    [InlineData("monitor")]
    public async Task ValidateAndMonitor_Fifo_RefusedLikeCheck(string command)
    {
        var path = Make("fifo");

        var (exit, _, error) = await TimedAsync(command == "monitor" ? [command, "--config", path, "--store", "none"] : [command, "--config", path]);

        Assert.Equal(2, exit);
        Assert.Contains($"config file {path} is a named pipe (FIFO)", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_ThousandsOfErrors_PrintsTheFirstHundredAndTheCount()
    {
        var path = _dir.Write("many.yaml", "targets:\n" + string.Concat(Enumerable.Repeat("- 1\n", 20_000)));

        var (exit, _, error) = await TimedAsync("check", "--config", path);

        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, exit);
        Assert.Equal(ConfigLimits.MaxErrorsShown + 2, lines.Length);
        Assert.StartsWith($"{path}:2:3: each entry of 'targets' must be a mapping", lines[0], StringComparison.Ordinal);
        Assert.Equal("and 19,900 more errors (the first 100 are shown)", lines[^2]);
        Assert.Equal("faultline: the config has 20,000 errors; nothing was probed.", lines[^1]);
    }

    [Fact]
    public async Task Check_BidiAndControlCharactersInTheFile_AreEscapedInTheMessage()
    {
        var path = _dir.Write("bidi.yaml", "targets:\n  - { name: a, kind: tcp, host: h, port: 1, \"\\u202e\\x1b[2Jkey\": 1 }\n");

        var (exit, _, error) = await TimedAsync("check", "--config", path);

        Assert.Equal(2, exit);
        Assert.Contains("unknown key '\\u202e\\x1b[2Jkey'", error, StringComparison.Ordinal);
        Assert.DoesNotContain(error, c => c is '\u202e' or '\u001b');
    }

    [Fact]
    public async Task Check_TimeoutOverTheBound_IsAUsageError()
    {
        var path = _dir.Write("ok.yaml", "targets: [{ name: a, kind: tcp, host: 127.0.0.1, port: 1 }]\n");

        var (exit, _, error) = await CliHarness.RunAsync("check", "--config", path, "--timeout", "50d");

        Assert.Equal(2, exit);
        Assert.Equal("faultline: --timeout: 50d is longer than 1h, the longest deadline of a target\n", error);
    }

    [Theory]
    [InlineData(PosixSignal.SIGINT, 130, "faultline: interrupted")]
    [InlineData(PosixSignal.SIGTERM, 143, "faultline: terminated")]
    public async Task Check_SignalBeforeTheConfigIsLoaded_ExitsWithTheSignalsCodeAndProbesNothing(PosixSignal signal, int code, string line)
    {
        await using var hung = TestServers.Hung();
        var path = _dir.Write("hung.yaml", $"targets: [{{ name: hung, kind: http, url: \"http://{hung.Address}/\" }}]\n");
        using var termination = new Termination();
        termination.Request(signal);
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await Cli.InvokeAsync(Program.BuildRoot(output, error, termination), ["check", "--config", path], error, termination);

        Assert.Equal(code, exit);
        Assert.Equal(line + "\n", error.ToString());
        Assert.Empty(output.ToString());
        Assert.Equal(0, hung.Accepted);
    }

    [Theory]
    [InlineData("INT", 130, "faultline: interrupted; the report below is partial")]
    [InlineData("TERM", 143, "faultline: terminated; the report below is partial")]
    public async Task Check_SignalMidRun_ExitsWithTheSignalsCodeAndOneLine(string signal, int code, string line)
    {
        await using var hung = TestServers.Hung();
        var path = _dir.Write("hung.yaml", $"defaults: {{ timeout: 1h }}\ntargets: [{{ name: hung, kind: http, url: \"http://{hung.Address}/\" }}]\n");
        await using var check = CliProcess.Start(["check", "--config", path, "--no-color"]);
        await WaitUntilAsync(() => hung.Accepted > 0 || check.HasExited, TimeSpan.FromSeconds(30));
        Assert.False(check.HasExited, string.Join('\n', check.ErrorLines));

        var watch = Stopwatch.StartNew();
        var exit = await check.SignalAsync(signal, TimeSpan.FromSeconds(30));

        Assert.Equal(code, exit);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed} to stop");
        Assert.Equal([line], check.ErrorLines.Where(l => l.StartsWith("faultline:", StringComparison.Ordinal)));
        Assert.Contains(check.Lines, l => l.Contains("hung", StringComparison.Ordinal));
        Assert.DoesNotContain(check.ErrorLines, l => l.Contains("   at ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Validate_SigtermMidRun_Exits143WithNoVerdict()
    {
        await using var hung = TestServers.Hung();
        var path = _dir.Write("hung.yaml", $"defaults: {{ timeout: 1h }}\ntargets: [{{ name: hung, kind: http, url: \"http://{hung.Address}/\" }}]\n");
        await using var validate = CliProcess.Start(["validate", "--config", path, "--runs", "2", "--no-color"]);
        await WaitUntilAsync(() => hung.Accepted > 0 || validate.HasExited, TimeSpan.FromSeconds(30));

        var exit = await validate.StopAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(143, exit);
        Assert.Equal(["faultline: terminated; no verdict"], validate.ErrorLines.Where(l => l.StartsWith("faultline:", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Monitor_SigtermWhileMonitoring_StopsCleanlyWithZero()
    {
        await using var hung = TestServers.Hung();
        var path = _dir.Write("hung.yaml", $"targets: [{{ name: hung, kind: http, url: \"http://{hung.Address}/\", interval: 1s, timeout: 1h }}]\n");
        await using var monitor = CliProcess.Start(["monitor", "--config", path, "--store", "none", "--format", "json", "--quiet"]);
        await WaitUntilAsync(() => hung.Accepted > 0 || monitor.HasExited, TimeSpan.FromSeconds(30));

        var exit = await monitor.StopAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, exit);
        Assert.Contains("faultline monitor: stopped", monitor.ErrorLines);
    }

    public void Dispose() => _dir.Dispose();

    private static async Task<(int ExitCode, string Output, string Error)> TimedAsync(params string[] args)
    {
        var watch = Stopwatch.StartNew();
        var result = await CliHarness.RunAsync(args);
        Assert.True(watch.Elapsed < Within, string.Create(CultureInfo.InvariantCulture, $"faultline {string.Join(' ', args)} took {watch.Elapsed.TotalSeconds:0.00} s"));
        return result;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan within)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < within, $"waited {within.TotalSeconds} s");
            await Task.Delay(50);
        }
    }

    private string Make(string what)
    {
        switch (what)
        {
            case "fifo":
                var fifo = Path.Combine(_dir.Path, "faultline.yaml");
                using (var mkfifo = Process.Start(new ProcessStartInfo("mkfifo") { ArgumentList = { fifo }, UseShellExecute = false })!)
                {
                    mkfifo.WaitForExit();
                    Assert.Equal(0, mkfifo.ExitCode);
                }

                return fifo;
            case "directory":
                return _dir.Path;
            case "oversized":
                var huge = Path.Combine(_dir.Path, "huge.yaml");
                using (var file = File.Create(huge))
                {
                    file.SetLength(ConfigLimits.MaxFileBytes + 1);
                }

                return huge;
            case "deep":
                return _dir.Write("deep.yaml", "targets:\n" + string.Concat(Enumerable.Repeat("- ", 100_000)) + "x\n");
            case "bomb":
                var bomb = new StringBuilder("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
                for (var level = 1; level < 9; level++)
                {
                    bomb.Append(CultureInfo.InvariantCulture, $"{(char)('a' + level)}: &{(char)('a' + level)} [{string.Join(", ", Enumerable.Repeat("*" + (char)('a' + level - 1), 9))}]\n");
                }

                return _dir.Write("bomb.yaml", bomb + "targets: [{ name: ws, kind: websocket, url: \"ws://127.0.0.1:1/\", send: *i }]\n");
            case "utf8":
                var utf8 = Path.Combine(_dir.Path, "latin1.yaml");
                File.WriteAllBytes(utf8, [.. "environment: "u8, (byte)'x', 0xE9, .. "\ntargets: []\n"u8]);
                return utf8;
            case "timeout":
                return _dir.Write("timeout.yaml", "targets: [{ name: a, kind: tcp, host: h, port: 1, timeout: 50d }]\n");
            default:
                return what;
        }
    }
}
