using Faultline.Core.Config;
using static Faultline.Core.Tests.Config.ConfigTestSupport;

namespace Faultline.Core.Tests.Config;

/// <summary>
/// A file nested thousands of levels deep would overflow the stack of the YAML representation model (the process
/// ends; no catch helps): it is a config error at the level where it goes too deep. Loaded on a thread-pool thread,
/// whose stack is the smallest the loader meets (the monitor reloads there).
/// </summary>
public class ConfigNestingTests
{
    [Theory]
    [InlineData("targets: ", "[", 1, 73)]
    [InlineData("targets: ", "{a: ", 1, 262)]
    [InlineData("targets:\n  ", "- ", 2, 129)]
    public async Task LoadText_NestedFarDeeperThanTheLimit_ErrorAtTheLevelPastIt(string prefix, string level, int line, int column)
    {
        // The position is where the 65th level opens (the root mapping is the first).
        var yaml = prefix + string.Concat(Enumerable.Repeat(level, 100_000)) + "x\n";

        var errors = await Task.Run(() => Errors(yaml));

        var error = Assert.Single(errors);
        Assert.Equal("invalid YAML: lists and mappings nested more than 64 levels deep", error.Message);
        Assert.Equal((line, column), (error.Location!.Line, error.Location.Column));
    }

    [Fact]
    public void LoadText_NestedToTheLimit_LoadsAsUsual()
    {
        var yaml = "targets:\n  - name: a\n    kind: http\n    url: http://127.0.0.1:1/\n    headers: { X-A: b }\nx: " + new string('[', 62) + new string(']', 62) + "\n";

        var error = Assert.Single(Errors(yaml));

        Assert.Contains("'x'", error.Message, StringComparison.Ordinal);
    }
}
