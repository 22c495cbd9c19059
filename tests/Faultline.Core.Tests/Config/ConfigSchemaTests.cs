using System.Text.Json;
using Faultline.Core.Config;

namespace Faultline.Core.Tests.Config;

public class ConfigSchemaTests
{
    private static string RepositoryFile(string relativePath)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Faultline.slnx")))
            {
                return Path.Combine(dir.FullName, relativePath);
            }
        }

        throw new InvalidOperationException("Faultline.slnx not found above " + AppContext.BaseDirectory);
    }

    /// <summary>With FAULTLINE_REGENERATE_DOCS=1 the two generated documents are rewritten before they are compared.</summary>
    private static bool Regenerate => Environment.GetEnvironmentVariable("FAULTLINE_REGENERATE_DOCS") == "1";

    [Fact]
    public void Generate_CommittedSchema_IsUpToDate()
    {
        if (Regenerate)
        {
            File.WriteAllText(RepositoryFile("docs/config.schema.json"), ConfigSchema.Generate());
        }

        var committed = File.ReadAllText(RepositoryFile("docs/config.schema.json")).Replace("\r\n", "\n", StringComparison.Ordinal);

        Assert.True(
            string.Equals(ConfigSchema.Generate(), committed, StringComparison.Ordinal),
            "docs/config.schema.json is stale: write ConfigSchema.Generate() to it (see docs/config.md).");
    }

    [Fact]
    public void Reference_CommittedDocs_ContainGeneratedKeyReference()
    {
        if (Regenerate)
        {
            var text = File.ReadAllText(RepositoryFile("docs/config.md")).Replace("\r\n", "\n", StringComparison.Ordinal);
            var from = text.IndexOf(ConfigReference.StartMarker, StringComparison.Ordinal);
            var end = text.LastIndexOf(ConfigReference.EndMarker, StringComparison.Ordinal) + ConfigReference.EndMarker.Length;
            var rest = text[end..].TrimStart('\n');
            File.WriteAllText(RepositoryFile("docs/config.md"), text[..from] + ConfigReference.Markdown().TrimEnd('\n') + "\n" + (rest.Length > 0 ? "\n" + rest : string.Empty));
        }

        var docs = File.ReadAllText(RepositoryFile("docs/config.md")).Replace("\r\n", "\n", StringComparison.Ordinal);

        Assert.True(
            docs.Contains(ConfigReference.Markdown(), StringComparison.Ordinal),
            "the key reference in docs/config.md is stale: replace the block between the reference markers with ConfigReference.Markdown().");
    }

    [Fact]
    public void Generate_Schema_DescribesEveryKeyOfTheTable()
    {
        using var schema = JsonDocument.Parse(ConfigSchema.Generate());
        var root = schema.RootElement;
        var defs = root.GetProperty("$defs");

        Assert.Equal("https://json-schema.org/draft/2020-12/schema", root.GetProperty("$schema").GetString());
        Assert.False(root.GetProperty("additionalProperties").GetBoolean());
        foreach (var key in ConfigKeys.All)
        {
            var section = key.Scope == ConfigKeys.Root ? root : defs.GetProperty(key.Scope switch
            {
                ConfigKeys.SecretDir => "secretDirectory",
                ConfigKeys.SecretRule => "secretRule",
                _ => key.Scope,
            });
            Assert.False(section.GetProperty("additionalProperties").GetBoolean());
            var property = section.GetProperty("properties").GetProperty(key.Name);
            Assert.False(string.IsNullOrWhiteSpace(property.GetProperty("description").GetString()));
        }
    }

    [Fact]
    public void Generate_TargetSchema_HasKindEnumAndPerKindRules()
    {
        using var schema = JsonDocument.Parse(ConfigSchema.Generate());
        var target = schema.RootElement.GetProperty("$defs").GetProperty("target");

        Assert.Equal(TargetKinds.All, target.GetProperty("properties").GetProperty("kind").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        var rules = target.GetProperty("allOf").EnumerateArray().ToList();
        Assert.Equal(TargetKinds.All.Count, rules.Count);
        var tcp = rules.Single(r => r.GetProperty("if").GetProperty("properties").GetProperty("kind").GetProperty("const").GetString() == "tcp");
        Assert.Equal(["host", "port"], tcp.GetProperty("then").GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(JsonValueKind.False, tcp.GetProperty("then").GetProperty("properties").GetProperty("url").ValueKind);
    }

    [Fact]
    public void Generate_AlertSchema_HasPerKindRules()
    {
        using var schema = JsonDocument.Parse(ConfigSchema.Generate());
        var defs = schema.RootElement.GetProperty("$defs");
        var alert = defs.GetProperty("alert");

        Assert.Equal(AlertKinds.All, alert.GetProperty("properties").GetProperty("kind").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["name", "kind"], alert.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        var rules = alert.GetProperty("allOf").EnumerateArray().ToDictionary(r => r.GetProperty("if").GetProperty("properties").GetProperty("kind").GetProperty("const").GetString()!);
        Assert.Equal(["url"], rules["webhook"].GetProperty("then").GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["run"], rules["command"].GetProperty("then").GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        var log = rules["log"].GetProperty("then").GetProperty("properties");
        Assert.Equal(JsonValueKind.False, log.GetProperty("url").ValueKind);
        Assert.Equal(JsonValueKind.False, log.GetProperty("run").ValueKind);
        Assert.Equal("array", schema.RootElement.GetProperty("properties").GetProperty("alerts").GetProperty("type").GetString());
        Assert.False(schema.RootElement.GetProperty("properties").GetProperty("alerts").TryGetProperty("minItems", out _));
    }

    [Fact]
    public void Generate_NewSections_DescribeNumbersTimestampsAndLoadKinds()
    {
        using var schema = JsonDocument.Parse(ConfigSchema.Generate());
        var defs = schema.RootElement.GetProperty("$defs");

        var rate = defs.GetProperty("validation").GetProperty("properties").GetProperty("minPassRate").GetProperty("anyOf")[0];
        Assert.Equal(("number", 0, 1), (rate.GetProperty("type").GetString(), rate.GetProperty("minimum").GetInt32(), rate.GetProperty("maximum").GetInt32()));
        var from = defs.GetProperty("maintenance").GetProperty("properties").GetProperty("from").GetProperty("anyOf")[0];
        Assert.Equal("date-time", from.GetProperty("format").GetString());
        Assert.Matches(from.GetProperty("pattern").GetString()!, "2026-11-26T02:00:00Z");
        Assert.DoesNotMatch(from.GetProperty("pattern").GetString()!, "2026-11-26T02:00:00");
        var rules = defs.GetProperty("target").GetProperty("allOf").EnumerateArray().ToDictionary(r => r.GetProperty("if").GetProperty("properties").GetProperty("kind").GetProperty("const").GetString()!);
        Assert.Equal(["of"], rules["concurrency"].GetProperty("then").GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["run", "readyUrl"], rules["startup"].GetProperty("then").GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(JsonValueKind.False, rules["http"].GetProperty("then").GetProperty("properties").GetProperty("readyUrl").ValueKind);
        Assert.Matches(defs.GetProperty("monitor").GetProperty("properties").GetProperty("store").GetProperty("pattern").GetString()!, "sqlite:./faultline.db");
    }

    [Theory]
    [InlineData("250ms", true)]
    [InlineData("2s", true)]
    [InlineData("1.5s", true)]
    [InlineData("14d", true)]
    [InlineData("${TIMEOUT}", true)]
    [InlineData("10", false)]
    [InlineData("10 sec", false)]
    [InlineData("s", false)]
    public void DurationPattern_AgreesWithDurations(string text, bool valid)
    {
        var matches = System.Text.RegularExpressions.Regex.IsMatch(text, ConfigSchema.DurationPattern);

        Assert.Equal(valid, matches);
        if (!text.Contains('$', StringComparison.Ordinal))
        {
            Assert.Equal(valid, Core.Model.Durations.TryParse(text, out _));
        }
    }
}
