using System.Diagnostics;
using System.Globalization;
using System.Text;
using CsCheck;
using Faultline.Core.Config;
using static Faultline.Core.Tests.Config.ConfigTestSupport;

namespace Faultline.Core.Tests.Config;

/// <summary>
/// Configs written to break the loader (docs/security.md, "Limits"): each is a config error — never a crash, a hang,
/// a stack trace or an unbounded output — with a location where one exists, within 2 s. The class runs alone (its
/// collection is not parallel), so that the time measured is the loader's.
/// </summary>
[Collection(TimedCollection.Name)]
public class HostileConfigTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(2);

    private const string WebSocketTarget = "targets:\n  - name: ws\n    kind: websocket\n    url: \"ws://127.0.0.1:1/\"\n";

    public static TheoryData<string, int> Nestings()
    {
        var data = new TheoryData<string, int>();
        foreach (var shape in new[] { "flow-list", "flow-map", "block-list", "block-map" })
        {
            foreach (var levels in new[] { 100, 10_000, 100_000 })
            {
                data.Add(shape, levels);
            }
        }

        // Block mappings nested by indentation grow quadratically: 5,000 levels of one space each is 12.5 MB.
        data.Add("block-map-indented", 100);
        data.Add("block-map-indented", 5_000);
        return data;
    }

    [Theory]
    [MemberData(nameof(Nestings))]
    public void LoadText_DeepNesting_IsAnErrorAtTheLevelTooDeep(string shape, int levels)
    {
        var yaml = shape switch
        {
            "flow-list" => "targets: " + Repeat("[", levels) + Repeat("]", levels) + "\n",
            "flow-map" => "targets: " + Repeat("{a: ", levels) + "1" + Repeat("}", levels) + "\n",
            "block-list" => "targets:\n" + Repeat("- ", levels) + "x\n",
            "block-map" => "targets:\n" + Repeat("? ", levels) + "x\n",
            _ => "targets:\n" + string.Concat(Enumerable.Range(1, levels).Select(i => new string(' ', i) + "a:\n")),
        };

        // The root mapping is the first level: the 64th collection opened inside it is the 65th.
        var (line, column) = shape switch
        {
            "flow-list" => (1, 10 + 63),
            "flow-map" => (1, 10 + (63 * 4)),
            "block-list" => (2, 1 + (63 * 2)),
            "block-map" => (2, 3 + (63 * 2)),
            _ => (65, 65),
        };

        var ex = AssertRefused(() => Load(yaml));

        var error = Assert.Single(ex.Errors);
        Assert.Equal($"the config nests mappings and lists more than {ConfigLimits.MaxDepth} levels deep", error.Message);
        Assert.Equal(new SourceLocation("faultline.yaml", line, column), error.Location);
    }

    [Fact]
    public void LoadText_SendNestedToTheDepthLimit_Loads()
    {
        // root mapping, targets, the target, then 61 levels of send: 64 in all.
        var config = Load(WebSocketTarget + "    send: " + Repeat("{a: ", 61) + "1" + Repeat("}", 61) + "\n");

        Assert.StartsWith(Repeat("{\"a\":", 61), config.Targets[0].Send, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_SendOneLevelTooDeep_IsAnErrorInsideSend()
    {
        var ex = AssertRefused(() => Load(WebSocketTarget + "    send: " + Repeat("{a: ", 62) + "1" + Repeat("}", 62) + "\n"));

        var error = Assert.Single(ex.Errors);
        Assert.Equal(5, error.Location!.Line);
        Assert.Equal(11 + (61 * 4), error.Location.Column);
    }

    [Theory]
    [InlineData(1_100)]
    [InlineData(100_000)]
    public void LoadText_DeepJsonTextInSend_IsAnError(int levels)
    {
        var ex = AssertRefused(() => Load(WebSocketTarget + "    send: '" + Repeat("[", levels) + Repeat("]", levels) + "'\n"));

        var error = Assert.Single(ex.Errors);
        Assert.Equal(new SourceLocation("faultline.yaml", 5, 11), error.Location);
        Assert.Contains("the JSON in 'send'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"more than {ConfigLimits.MaxDepth} levels deep", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_DeepJsonTextInHttpBody_IsAnError()
    {
        var yaml = "targets:\n  - { name: api, kind: http, url: \"http://127.0.0.1:1/\", method: POST, body: '" + Repeat("{\"a\":", 200) + "1" + Repeat("}", 200) + "' }\n";

        var error = Assert.Single(AssertRefused(() => Load(yaml)).Errors);

        Assert.Contains("the JSON in 'body'", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, error.Location!.Line);
    }

    [Fact]
    public void LoadText_JsonTextAtTheDepthLimit_Loads()
    {
        var send = Repeat("[", ConfigLimits.MaxDepth) + Repeat("]", ConfigLimits.MaxDepth);

        var config = Load(WebSocketTarget + "    send: '" + send + "'\n");

        Assert.Equal(send, config.Targets[0].Send);
    }

    [Fact]
    public void LoadText_BillionLaughs_IsRefusedAtTheAliasThatCrossesTheBudget()
    {
        var lines = new List<string> { "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]" };
        for (var level = 1; level < 9; level++)
        {
            var name = (char)('a' + level);
            var previous = (char)('a' + level - 1);
            lines.Add($"{name}: &{name} [{string.Join(", ", Enumerable.Repeat("*" + previous, 9))}]");
        }

        var yaml = string.Join('\n', lines) + "\n" + WebSocketTarget + "    send: *i\n";

        var ex = AssertRefused(() => Load(yaml));

        var error = Assert.Single(ex.Errors);
        Assert.StartsWith("the alias *", error.Message, StringComparison.Ordinal);
        Assert.Contains("500,000 YAML nodes", error.Message, StringComparison.Ordinal);
        Assert.InRange(error.Location!.Line, 2, 9);
        Assert.Equal('*', lines[error.Location.Line - 1][error.Location.Column - 1]);
    }

    [Fact]
    public void LoadText_OneBigAnchorAliasedManyTimes_IsRefused()
    {
        var yaml = "big: &big [" + string.Join(",", Enumerable.Repeat("x", 10_000)) + "]\n"
            + "more: [" + string.Join(", ", Enumerable.Repeat("*big", 100)) + "]\n"
            + WebSocketTarget;

        var error = Assert.Single(AssertRefused(() => Load(yaml)).Errors);

        Assert.Equal(2, error.Location!.Line);
        Assert.StartsWith("the alias *big (10,001 nodes)", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("environment: &a [*a]\n", 1, 18)]
    [InlineData("environment: &a { *a : 1 }\n", 1, 19)]
    [InlineData("environment: &a { x: [1, { y: *a }] }\n", 1, 31)]
    [InlineData("targets:\n  - &t { name: a, kind: websocket, url: \"ws://h/\", send: { again: *t } }\n", 2, 67)]
    public void LoadText_AliasInsideItsOwnAnchor_IsRefused(string yaml, int line, int column)
    {
        var error = Assert.Single(AssertRefused(() => Load(yaml)).Errors);

        Assert.Equal(new SourceLocation("faultline.yaml", line, column), error.Location);
        Assert.EndsWith("it would contain itself", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("environment: { *a : 1, *a : 2 }\nx: &a y\n", 1, 16)]
    [InlineData("environment: [*nowhere]\n", 1, 15)]
    public void LoadText_AliasBeforeItsAnchor_IsRefused(string yaml, int line, int column)
    {
        var error = Assert.Single(AssertRefused(() => Load(yaml)).Errors);

        Assert.Equal(new SourceLocation("faultline.yaml", line, column), error.Location);
        Assert.Contains("names no anchor defined before it", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_AnchorReusedWithinTheBudget_Loads()
    {
        var yaml = "targets:\n"
            + "  - { name: a, kind: http, url: \"http://127.0.0.1:1/\", headers: &auth { Authorization: \"Bearer x\", X-Team: ops } }\n"
            + "  - { name: b, kind: http, url: \"http://127.0.0.1:2/\", headers: *auth }\n"
            + "  - { name: c, kind: http, url: \"http://127.0.0.1:3/\", headers: *auth }\n";

        var config = Load(yaml);

        Assert.All(config.Targets, t => Assert.Equal("ops", t.Headers["X-Team"]));
    }

    [Fact]
    public void LoadText_AMillionEntries_IsRefusedAtTheNodeLimit()
    {
        var yaml = "targets: [" + string.Join(",", Enumerable.Repeat("1", 1_000_000)) + "]\n";

        var ex = AssertRefused(() => Load(yaml));

        var error = Assert.Single(ex.Errors);
        Assert.Equal("the config has more than 500,000 YAML nodes", error.Message);
        Assert.Equal(1, error.Location!.Line);
        Assert.Equal(11 + (2 * (ConfigLimits.MaxNodes - 3)), error.Location.Column);
    }

    [Fact]
    public void LoadText_ManyErrors_ReportsTheFirstHundredInFileOrderAndCountsTheRest()
    {
        var yaml = "targets:\n" + Repeat("- 1\n", 20_000) + "bogus: 1\n";

        var ex = AssertRefused(() => Load(yaml));

        Assert.Equal(20_001, ex.Count);
        Assert.Equal(ConfigLimits.MaxErrorsShown, ex.Errors.Count);
        Assert.Equal(Enumerable.Range(2, ConfigLimits.MaxErrorsShown), ex.Errors.Select(e => e.Location!.Line));
        Assert.Equal(ConfigLimits.MaxErrorsShown + 1, ex.Message.Split('\n').Length);
        Assert.EndsWith("and 19,901 more errors (the first 100 are shown)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_ManyErrorsReportedOutOfOrder_KeepsTheFirstInFileOrder()
    {
        // Cross-checks (unknown dependencies) are reported after every target was read, bottom-up here.
        var yaml = "targets:\n" + string.Concat(Enumerable.Range(0, 300).Select(i => $"  - {{ name: t{i}, kind: tcp, host: h, port: 1, dependsOn: [nope{i}] }}\n"))
            + "bogus: 1\n";

        var ex = AssertRefused(() => Load(yaml));

        Assert.Equal(301, ex.Count);
        Assert.Equal(Enumerable.Range(2, ConfigLimits.MaxErrorsShown), ex.Errors.Select(e => e.Location!.Line));
    }

    [Fact]
    public void LoadText_LongerThanTheFileLimit_IsRefused()
    {
        var yaml = "targets: []\n" + Repeat("# padding\n", (int)(ConfigLimits.MaxFileBytes / 10) + 1);

        var error = Assert.Single(AssertRefused(() => Load(yaml), location: false).Errors);

        Assert.Contains("a config may be at most 16 MiB", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadFile_OneByteOverTheLimit_IsRefusedBeforeReading()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "huge.yaml");
        using (var file = File.Create(path))
        {
            // Sparse and all zero bytes: read, it would be refused for its NUL characters instead.
            file.SetLength(ConfigLimits.MaxFileBytes + 1);
        }

        var error = Assert.Single(AssertRefused(() => ConfigLoader.LoadFile(path, Env()), location: false).Errors);

        Assert.Equal($"config file {path} is 16,777,217 bytes; a config may be at most 16 MiB (16,777,216 bytes)", error.Message);
    }

    [Fact]
    public void LoadFile_AtTheLimit_IsRead()
    {
        using var dir = new TempDirectory();
        var head = "targets:\n  - { name: a, kind: tcp, host: h, port: 1 }\n";
        var path = dir.Write("full.yaml", head + new string('#', (int)ConfigLimits.MaxFileBytes - head.Length - 1) + "\n");

        var config = ConfigLoader.LoadFile(path, Env());

        Assert.Equal("a", Assert.Single(config.Targets).Name);
    }

    [Fact]
    public void LoadFile_NamedPipe_IsRefusedWithoutOpeningIt()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "config.fifo");
        MakeFifo(path);

        var error = Assert.Single(AssertRefused(() => ConfigLoader.LoadFile(path, Env()), location: false).Errors);

        Assert.Equal($"config file {path} is a named pipe (FIFO); only a regular file is read as a config", error.Message);
    }

    [Fact]
    public void LoadFile_LinkToANamedPipe_IsRefused()
    {
        using var dir = new TempDirectory();
        var fifo = Path.Combine(dir.Path, "config.fifo");
        MakeFifo(fifo);
        var link = Path.Combine(dir.Path, "faultline.yaml");
        File.CreateSymbolicLink(link, fifo);

        var error = Assert.Single(AssertRefused(() => ConfigLoader.LoadFile(link, Env()), location: false).Errors);

        Assert.Contains("is a named pipe (FIFO)", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/dev/zero")]
    [InlineData("/dev/null")]
    [InlineData("/dev/urandom")]
    public void LoadFile_Device_IsRefused(string path)
    {
        var error = Assert.Single(AssertRefused(() => ConfigLoader.LoadFile(path, Env()), location: false).Errors);

        Assert.Equal($"config file {path} is a character device; only a regular file is read as a config", error.Message);
    }

    [Fact]
    public void LoadFile_Directory_IsRefused()
    {
        using var dir = new TempDirectory();

        var error = Assert.Single(AssertRefused(() => ConfigLoader.LoadFile(dir.Path, Env()), location: false).Errors);

        Assert.Equal($"config file {dir.Path} is a directory, not a file", error.Message);
        Assert.Contains(Path.Combine(dir.Path, "faultline.yaml"), error.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadFile_Cancelled_StopsWithoutReading()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("faultline.yaml", "targets:\n  - { name: a, kind: tcp, host: h, port: 1 }\n");

        Assert.Throws<OperationCanceledException>(() => ConfigLoader.LoadFile(path, Env(), new CancellationToken(canceled: true)));
    }

    public static TheoryData<string, byte[], int, int> BadUtf8() => new()
    {
        { "invalid byte", [.. "targets:\n  - { name: a"u8, 0xFF, .. " }\n"u8], 2, 14 },
        { "lone continuation byte", [.. "environment: x"u8, 0x80, .. "\n"u8], 1, 15 },
        { "overlong slash", [.. "environment: "u8, 0xC0, 0xAF, .. "\n"u8], 1, 14 },
        { "encoded surrogate", [.. "environment: é"u8, 0xED, 0xA0, 0x80, .. "\n"u8], 1, 15 },
        { "truncated at the end", [.. "targets: []\nenvironment: "u8, 0xE2, 0x82], 2, 14 },
    };

    [Theory]
    [MemberData(nameof(BadUtf8))]
    public void LoadFile_InvalidUtf8_IsAnErrorAtTheByte(string what, byte[] bytes, int line, int column)
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "faultline.yaml");
        File.WriteAllBytes(path, bytes);

        var error = Assert.Single(AssertRefused(() => ConfigLoader.LoadFile(path, Env())).Errors);

        Assert.True(new SourceLocation(path, line, column) == error.Location, $"{what}: {error}");
        Assert.StartsWith("the config is not valid UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadFile_Utf8ByteOrderMark_IsSkipped()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "faultline.yaml");
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. "targets:\n  - { name: é, kind: tcp, host: h, port: 1 }\n"u8]);

        var error = Assert.Single(AssertRefused(() => ConfigLoader.LoadFile(path, Env())).Errors);

        Assert.Equal("bad name \"é\" for 'name' in target 'é' (kind tcp)", error.Message);
        Assert.Equal(new SourceLocation(path, 2, 13), error.Location);
    }

    [Theory]
    [InlineData(0x0000, "U+0000")]
    [InlineData(0x001b, "U+001B")]
    [InlineData(0x0007, "U+0007")]
    [InlineData(0x007f, "U+007F")]
    [InlineData(0x0085, "U+0085")]
    [InlineData(0xfffe, "U+FFFE")]
    [InlineData(0xd800, "U+D800")]
    [InlineData(0xdfff, "U+DFFF")]
    public void LoadText_RawNonPrintableCharacter_IsAnErrorWhereItIs(int character, string code)
    {
        var yaml = "targets:\n  - { name: a" + (char)character + "b, kind: tcp, host: h, port: 1 }\n";

        var error = Assert.Single(AssertRefused(() => Load(yaml)).Errors);

        Assert.Equal(new SourceLocation("faultline.yaml", 2, 14), error.Location);
        Assert.StartsWith($"the config holds {code} (", error.Message, StringComparison.Ordinal);
        Assert.True(error.ToString().All(c => c >= 0x20 || c == '\n'), error.ToString());
    }

    [Theory]
    [InlineData("environment: \"a\\x1bb\"\n", 1, 16, "'environment' at the top level holds the control character U+001B")]
    [InlineData("environment: \"ok\\0\"\n", 1, 17, "'environment' at the top level holds the control character U+0000")]
    [InlineData("environment: \"\\u009b[2J\"\n", 1, 15, "'environment' at the top level holds the control character U+009B")]
    [InlineData("targets:\n  - { name: a, kind: http, url: \"http://h/\", headers: { \"X-\\x07\": v } }\n", 2, 60, "a name in 'headers' in target 'a' (kind http) holds the control character U+0007")]
    [InlineData("targets:\n  - { name: a, kind: http, url: \"http://h/\", headers: { X-A: \"a\\r\\nInjected: 1\" } }\n", 2, 62, "the value of 'X-A' in 'headers' in target 'a' (kind http) holds a line break")]
    public void LoadText_ControlCharacterInAValueOrName_IsAnError(string yaml, int line, int column, string message)
    {
        var errors = AssertRefused(() => Load(yaml)).Errors;

        var error = errors.First(e => e.Message == message);
        Assert.Equal(new SourceLocation("faultline.yaml", line, column), error.Location);
    }

    [Fact]
    public void LoadText_ControlCharacterFromTheEnvironment_IsAnErrorThatDoesNotShowIt()
    {
        var error = Assert.Single(AssertRefused(() => Load("environment: \"${NAME}\"\ntargets: [{ name: a, kind: tcp, host: h, port: 1 }]\n", Env(("NAME", "x\u001b]0;owned\u0007")))).Errors);

        Assert.Equal("'environment' at the top level holds a control character once environment variables are filled in", error.Message);
        Assert.DoesNotContain("owned", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\\u202eevil", "\\u202eevil")]
    [InlineData("\\x1b[31mred", "\\x1b[31mred")]
    [InlineData("a\\u200bb", "a\\u200bb")]
    public void LoadText_TextReorderingOrControlCharacterInAKey_IsEscapedInTheMessage(string escaped, string shown)
    {
        var yaml = "targets:\n  - { name: a, kind: tcp, host: h, port: 1, \"" + escaped + "\": 1 }\n";

        var error = Assert.Single(AssertRefused(() => Load(yaml)).Errors);

        Assert.Equal(new SourceLocation("faultline.yaml", 2, 45), error.Location);
        Assert.Contains($"unknown key '{shown}'", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(error.ToString(), c => c is '\u202e' or '\u200b' or '\u001b');
    }

    [Fact]
    public void LoadText_EmojiInKeysAndNames_IsReportedAsWritten()
    {
        var yaml = "targets:\n  - { name: \"🔥\", kind: tcp, host: h, port: 1, \"😀key\": 1 }\nenvironment: \"מצב 🚀\"\n";

        var errors = AssertRefused(() => Load(yaml)).Errors;

        Assert.Equal(2, errors.Count);
        Assert.Equal("bad name \"🔥\" for 'name' in target '🔥' (kind tcp)", errors[0].Message);
        Assert.Equal(new SourceLocation("faultline.yaml", 2, 13), errors[0].Location);
        Assert.StartsWith("unknown key '😀key'", errors[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_HugeUnknownKey_IsAnErrorWithAShortenedLine()
    {
        var key = Repeat("k", 1_000_000);

        var error = Assert.Single(AssertRefused(() => Load("targets: [{ name: a, kind: tcp, host: h, port: 1 }]\n? " + key + "\n: 1\n")).Errors);

        Assert.Equal(new SourceLocation("faultline.yaml", 2, 3), error.Location);
        Assert.InRange(error.ToString().Length, 100, 3_000);
        Assert.Contains("characters left out", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("defaults: { timeout: 50d }\ntargets: [{ name: a, kind: tcp, host: h, port: 1 }]\n", "'timeout' in 'defaults' at the top level is 50d; it must be at most 1h")]
    [InlineData("targets: [{ name: a, kind: tcp, host: h, port: 1, timeout: 61m }]\n", "'timeout' in target 'a' (kind tcp) is 61m; it must be at most 1h")]
    [InlineData("targets: [{ name: a, kind: tcp, host: h, port: 1, interval: 25h }]\n", "'interval' in target 'a' (kind tcp) is 25h; it must be at most 1d")]
    [InlineData("targets: [{ name: a, kind: tcp, host: h, port: 1, degradedAbove: 2h }]\n", "'degradedAbove' in target 'a' (kind tcp) is 2h; it must be at most 1h")]
    [InlineData("targets: [{ name: w, kind: websocket, url: \"ws://h/\", deadline: 1d }]\n", "'deadline' in target 'w' (kind websocket) is 1d; it must be at most 1h")]
    [InlineData("monitor: { rawRetention: 3651d, rollupRetention: 3651d }\ntargets: [{ name: a, kind: tcp, host: h, port: 1 }]\n", "'rawRetention' in 'monitor' at the top level is 3651d; it must be at most 3650d")]
    [InlineData("monitor: { reminder: 8d }\ntargets: [{ name: a, kind: tcp, host: h, port: 1 }]\n", "'reminder' in 'monitor' at the top level is 8d; it must be at most 7d")]
    [InlineData("monitor: { flapWindow: 2d }\ntargets: [{ name: a, kind: tcp, host: h, port: 1 }]\n", "'flapWindow' in 'monitor' at the top level is 2d; it must be at most 1d")]
    [InlineData("alerts: [{ name: ops, kind: log, timeout: 2h }]\ntargets: [{ name: a, kind: tcp, host: h, port: 1 }]\n", "'timeout' in alert 'ops' (kind log) is 2h; it must be at most 1h")]
    [InlineData("validation: { interval: 2d }\ntargets: [{ name: a, kind: tcp, host: h, port: 1 }]\n", "'interval' in 'validation' at the top level is 2d; it must be at most 1d")]
    public void LoadText_DurationOverItsBound_IsAnError(string yaml, string message)
    {
        var errors = AssertRefused(() => Load(yaml)).Errors;

        Assert.Contains(errors, e => e.Message == message && e.Location is { Line: >= 1, Column: > 1 });
    }

    [Fact]
    public void LoadText_DurationsAtTheirBounds_Load()
    {
        var config = Load("""
            defaults: { timeout: 1h }
            monitor: { rawRetention: 3650d, rollupRetention: 3650d, reminder: 7d, flapWindow: 1d }
            validation: { interval: 1d }
            alerts: [{ name: ops, kind: log, timeout: 1h }]
            targets: [{ name: a, kind: tcp, host: h, port: 1, timeout: 60m, interval: 24h, degradedAbove: 3600s, alerts: [ops] }]
            """);

        Assert.Equal(TimeSpan.FromHours(1), config.Defaults.Timeout);
        Assert.Equal(TimeSpan.FromDays(1), config.Targets[0].Interval);
        Assert.Equal(TimeSpan.FromDays(3650), config.Monitor.RollupRetention);
    }

    [Fact]
    public void LoadText_DurationOverItsBoundFromTheEnvironment_DoesNotShowTheValue()
    {
        var error = Assert.Single(AssertRefused(() => Load("targets: [{ name: a, kind: tcp, host: h, port: 1, timeout: \"${T}\" }]\n", Env(("T", "50d")))).Errors);

        Assert.Equal("'timeout' in target 'a' (kind tcp) is too long; it must be at most 1h", error.Message);
    }

    [Fact]
    public void LoadText_LongDependsOnChain_LoadsWithoutRecursion()
    {
        const int Targets = 20_000;
        var yaml = "targets:\n  - { name: t0, kind: tcp, host: h, port: 1 }\n"
            + string.Concat(Enumerable.Range(1, Targets - 1).Select(i => $"  - {{ name: t{i}, kind: tcp, host: h, port: 1, dependsOn: [t{i - 1}] }}\n"));

        var config = RunOnSmallStack(() => Load(yaml));

        Assert.Equal(Targets, config.Targets.Count);
    }

    [Fact]
    public void LoadText_LongDependsOnCycle_IsOneShortError()
    {
        const int Targets = 1_000;
        var yaml = "targets:\n"
            + string.Concat(Enumerable.Range(0, Targets).Select(i => $"  - {{ name: t{i}, kind: tcp, host: h, port: 1, dependsOn: [t{(i + 1) % Targets}] }}\n"));

        var error = Assert.Single(RunOnSmallStack(() => AssertRefused(() => Load(yaml))).Errors);

        Assert.Equal("dependsOn forms a cycle: t0 → t1 → t2 → t3 → t4 → t5 → … (988 more) → t994 → t995 → t996 → t997 → t998 → t999 → t0", error.Message);
        Assert.Equal(new SourceLocation("faultline.yaml", 2, 5), error.Location);
    }

    private static readonly string[] ConditionTokens =
    [
        "[BODY]", "[STATUS]", "[HEADER:", "[HEADER:X]", "[RESPONSE_TIME]", "[CERT_EXPIRES_IN]", "[IP]", "[", "]", "[[", "]]", "{", "}",
        "(", ")", ".", ".a", "[0]", "[-1]", "[99999999999]", "==", "!=", "<", "<=", ">", ">=", "=", "!", "&&", "||", "contains", "matches",
        "\"", "'", "\\", "\\\"", "\"\"", "''", "200", "-0", "1e309", "NaN", "2s", "14d", "99999999999d", "true", "null", "^(a+)+$", "(?<", "*",
        " ", "  ", "\t", "\n", "\r\n", "#", ": ", "- ", "${X}", "${", "$${", "\u202e", "\u200b", "😀", "é", "\u0000", "\u001b", "\ufffe",
    ];

    [Fact]
    public void LoadText_ConditionTokenSoup_IsAConditionOrAnErrorInsideIt()
    {
        var soups = Gen.OneOf(ConditionTokens).Array[1, 12].Select(string.Concat);

        soups.Sample(condition =>
        {
            var yaml = "targets:\n  - name: api\n    kind: http\n    url: \"http://127.0.0.1:1/\"\n    conditions: [\"" + YamlEscape(condition) + "\"]\n";
            try
            {
                var config = Load(yaml, Env(("X", "1")));
                Assert.Single(config.Targets[0].Conditions);
            }
            catch (ConfigException ex)
            {
                Assert.All(ex.Errors, e =>
                {
                    Assert.Equal(5, e.Location?.Line);
                    Assert.InRange(e.Location!.Column, 17, 18 + YamlEscape(condition).Length + 2);
                    Assert.DoesNotContain("   at ", e.ToString(), StringComparison.Ordinal);
                    Assert.DoesNotContain(e.ToString(), c => c < 0x20 || c is '\u202e' or '\u200b');
                });
            }
        }, iter: 2_000);
    }

    [Fact]
    public void LoadText_TokenSoupsOfYaml_AreConfigsOrErrorsWithLocations()
    {
        string[] tokens =
        [
            "targets:", "\n", "\n  - ", "  ", "{", "}", "[", "]", ",", ": ", "- ", "? ", "&a ", "*a", "&b ", "*b", "!!map ", "!!str ", "!!binary ",
            "\"", "'", "|", ">", "#", "---", "...", "%TAG ! tag:x,2000:\n", "<<: *a", "name: a", "kind: websocket", "url: \"ws://h/\"", "send: ",
            "timeout: 1h", "timeout: 99999d", "\u202e", "😀", "\\x1b", "\\0", "\t", "\r", "${X}", "dependsOn: [a]",
        ];

        Gen.OneOf(tokens).Array[0, 40].Select(string.Concat).Sample(yaml =>
        {
            try
            {
                Load(yaml, Env(("X", "1")));
            }
            catch (ConfigException ex)
            {
                Assert.NotEmpty(ex.Errors);
                Assert.All(ex.Errors, e => Assert.True(e.Location is { Line: >= 1, Column: >= 1 }, e.ToString()));
            }
        }, iter: 5_000);
    }

    /// <summary>
    /// Loading must give a <see cref="ConfigException"/> (no other exception) within <see cref="Within"/>, with no stack
    /// trace in it. The time is the best of up to three loads: one slow load on a busy machine is noise, three are not.
    /// </summary>
    private static ConfigException AssertRefused(Func<FaultlineConfig> load, bool location = true)
    {
        ConfigException ex;
        var best = TimeSpan.MaxValue;
        var attempts = new List<string>();
        do
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            ex = Assert.Throws<ConfigException>(() => load());
            watch.Stop();
            cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            best = watch.Elapsed < best ? watch.Elapsed : best;
            attempts.Add(string.Create(CultureInfo.InvariantCulture, $"{watch.Elapsed.TotalSeconds:0.00} s ({cpu.TotalSeconds:0.00} s of CPU in the process)"));
        }
        while (best >= Within && attempts.Count < 3);

        Assert.True(best < Within, "took " + string.Join(", then ", attempts));
        Assert.NotEmpty(ex.Errors);
        Assert.InRange(ex.Errors.Count, 1, ConfigLimits.MaxErrorsShown);
        Assert.DoesNotContain("   at ", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", ex.Message, StringComparison.Ordinal);
        if (location)
        {
            Assert.True(ex.Errors[0].Location is { Line: >= 1, Column: >= 1 }, ex.Errors[0].ToString());
        }

        return ex;
    }

    /// <summary>The loader on a thread with a 256 KiB stack: it must not need more, whatever the config.</summary>
    private static T RunOnSmallStack<T>(Func<T> action)
    {
        T? result = default;
        Exception? failure = null;
        var thread = new Thread(
            () =>
            {
                try
                {
                    result = action();
                }
#pragma warning disable CA1031 // Rethrown on the test's thread.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    failure = ex;
                }
            },
            maxStackSize: 256 * 1024);
        thread.Start();
        thread.Join();
        return failure is null ? result! : throw new InvalidOperationException("the loader failed on a small stack", failure);
    }

    private static string YamlEscape(string text)
    {
        var builder = new StringBuilder();
        foreach (var c in text)
        {
            builder.Append(c switch
            {
                '\\' => "\\\\",
                '"' => "\\\"",
                _ when c < 0x20 || c is '\ufffe' => string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                _ => c.ToString(),
            });
        }

        return builder.ToString();
    }

    private static string Repeat(string text, int times) => new StringBuilder(text.Length * times).Insert(0, text, times).ToString();

    private static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo") { ArgumentList = { path }, UseShellExecute = false })!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }
}

/// <summary>Tests that measure time: run after the parallel ones, one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimedCollection
{
    public const string Name = "timed";
}
