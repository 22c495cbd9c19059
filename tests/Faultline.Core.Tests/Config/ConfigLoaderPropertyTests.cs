using CsCheck;
using Faultline.Core.Config;

namespace Faultline.Core.Tests.Config;

public class ConfigLoaderPropertyTests
{
    private static readonly string[] Fragments =
    [
        "targets:", "\n", "\n  - ", "  ", "    ", "\t", "name: a", "name: a b", "kind: http", "kind: tcp", "kind: secret", "kind: htp",
        "url: http://h/", "url: ftp://x", "host: h", "port: 1", "port: 99999", "timeout: 2s", "timeout: 10", "{", "}", "[", "]", ",",
        ": ", "-", "\"", "'", "#", "&a", "*a", "!!str ", "---", "...", "${X}", "${", "$${", "${Y:-1}", "conditions: [\"[STATUS] == 200\"]",
        "conditions: [\"[STATUS] = 2\"]", "dependsOn: [a]", "tls: { caFile: x }", "source: { dir: d }", "rules: { A: { minLength: 1 } }",
        "required: [A]", "defaults: { timeout: 1s }", "resolver: 1.2.3.4", "environment: x", "? ", "|", ">", "%YAML 1.2", "é", "\0",
    ];

    [Fact]
    public void LoadText_AnyText_ReturnsConfigOrThrowsConfigException()
    {
        var texts = Gen.OneOf(
            Gen.OneOf(Fragments).Array[0, 24].Select(parts => string.Concat(parts)),
            Gen.String);

        texts.Sample(text =>
        {
            try
            {
                var config = ConfigLoader.LoadText(text, "fuzz.yaml", Path.GetTempPath(), _ => "v");
                Assert.NotEmpty(config.Targets);
            }
            catch (ConfigException ex)
            {
                Assert.NotEmpty(ex.Errors);
                Assert.All(ex.Errors, e => Assert.True(e.Location is null || (e.Location.Line >= 1 && e.Location.Column >= 1)));
            }
        }, iter: 5_000);
    }
}
