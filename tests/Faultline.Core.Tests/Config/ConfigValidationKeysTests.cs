using Faultline.Core.Config;
using static Faultline.Core.Tests.Config.ConfigTestSupport;

namespace Faultline.Core.Tests.Config;

public class ConfigValidationKeysTests
{
    private const string Db = "targets:\n  - { name: db, kind: tcp, host: 127.0.0.1, port: 5432, category: database }\n";

    [Fact]
    public void LoadText_ValidationSection_MapsEveryKey()
    {
        const string yaml = """
            validation:
              minPassRate: 0.9
              runs: 5
              interval: 2s
              categories:
                - { name: connectivity, critical: true, minPassRate: 1.0 }
                - { name: database }
                - { name: agents, critical: false, minPassRate: .5 }
            targets:
              - { name: api, kind: tcp, host: 127.0.0.1, port: 80, category: connectivity }
              - { name: db, kind: tcp, host: 127.0.0.1, port: 5432, category: database }
            """;

        var validation = Load(yaml).Validation;

        Assert.NotNull(validation);
        Assert.Equal(0.9, validation.MinPassRate);
        Assert.Equal(5, validation.Runs);
        Assert.Equal(TimeSpan.FromSeconds(2), validation.Interval);
        Assert.Equal(["connectivity", "database", "agents"], validation.Categories.Select(c => c.Name));
        Assert.Equal((true, (double?)1.0), (validation.Categories[0].Critical, validation.Categories[0].MinPassRate));
        Assert.Equal((true, (double?)null), (validation.Categories[1].Critical, validation.Categories[1].MinPassRate));
        Assert.Equal((false, (double?)0.5), (validation.Categories[2].Critical, validation.Categories[2].MinPassRate));
    }

    [Fact]
    public void LoadText_NoValidationSection_IsNull()
    {
        Assert.Null(Load(Db).Validation);
    }

    [Fact]
    public void LoadText_EmptyValidationSection_UsesRecordDefaults()
    {
        var validation = Load("validation: {}\n" + Db).Validation;

        Assert.NotNull(validation);
        Assert.Equal(0.8, validation.MinPassRate);
        Assert.Equal(3, validation.Runs);
        Assert.Equal(TimeSpan.FromSeconds(5), validation.Interval);
        Assert.Empty(validation.Categories);
    }

    [Theory]
    [InlineData("0", 0.0)]
    [InlineData("1", 1.0)]
    [InlineData("0.75", 0.75)]
    [InlineData("\"0.5\"", 0.5)]
    public void LoadText_MinPassRate_AcceptsAShare(string written, double expected)
    {
        Assert.Equal(expected, Load($"validation: {{ minPassRate: {written} }}\n" + Db).Validation!.MinPassRate);
    }

    [Theory]
    [InlineData("80", "'minPassRate' in 'validation' at the top level is 80; it must be in 0..1", "a share is written as a fraction: minPassRate: 0.8 means 80 %")]
    [InlineData("\"80%\"", "'minPassRate' in 'validation' at the top level must be a number in 0..1, not a percentage (\"80%\")", "write the share as a fraction: minPassRate: 0.8 means 80 %")]
    [InlineData("-0.1", "'minPassRate' in 'validation' at the top level is -0.1; it must be in 0..1", "write a number in 0..1")]
    [InlineData("most", "'minPassRate' in 'validation' at the top level must be a number in 0..1, not \"most\"", "write minPassRate: 0.8")]
    [InlineData("NaN", "'minPassRate' in 'validation' at the top level must be a number in 0..1, not \"NaN\"", "write minPassRate: 0.8")]
    [InlineData("0,8", "'minPassRate' in 'validation' at the top level must be a number in 0..1, not \"0,8\"", "write minPassRate: 0.8")]
    public void LoadText_BadMinPassRate_ExplainsTheShare(string written, string message, string hint)
    {
        var error = SingleError($"validation:\n  minPassRate: {written}\n" + Db, 2, 16);

        Assert.Equal(message, error.Message);
        Assert.Equal(hint, error.Hint);
    }

    [Theory]
    [InlineData("runs: 0", 9, "'runs' in 'validation' at the top level is 0; it must be in 1..1000")]
    [InlineData("runs: 1001", 9, "'runs' in 'validation' at the top level is 1001; it must be in 1..1000")]
    [InlineData("interval: 5", 13, "bad duration \"5\" for 'interval' in 'validation' at the top level (a bare number has no unit)")]
    [InlineData("categories: database", 15, "'categories' in 'validation' at the top level must be a list")]
    public void LoadText_BadValidationValue_IsReportedAtTheValue(string line, int column, string message)
    {
        var error = SingleError($"validation:\n  {line}\n" + Db, 2, column);

        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("{ critical: true }", 7, "missing 'name' in 'categories' in 'validation' at the top level")]
    [InlineData("{ name: database, minPassRate: 1.5 }", 38, "'minPassRate' in 'categories' in 'validation' at the top level is 1.5; it must be in 0..1")]
    [InlineData("{ name: database, critical: maybe }", 35, "'critical' in 'categories' in 'validation' at the top level must be true or false, not \"maybe\"")]
    [InlineData("{ name: database, weight: 2 }", 25, "unknown key 'weight' in 'categories' in 'validation' at the top level")]
    public void LoadText_BadCategory_IsReportedWhereWritten(string category, int column, string message)
    {
        var error = SingleError($"validation:\n  categories:\n    - {category}\n" + Db, 3, column);

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void LoadText_DuplicateCategory_PointsAtTheFirst()
    {
        var yaml = "validation:\n  categories:\n    - { name: database }\n    - { name: database, critical: false }\n" + Db;

        var error = SingleError(yaml, 4, 15);

        Assert.Equal("duplicate category name 'database'", error.Message);
        Assert.Equal("it is already used at faultline.yaml:3:15; give each category its own name", error.Hint);
    }

    [Fact]
    public void LoadText_TargetInUndeclaredCategory_IsAnErrorAtItsCategory()
    {
        const string yaml = """
            validation:
              categories: [{ name: connectivity }, { name: database }]
            targets:
              - { name: db, kind: tcp, host: 127.0.0.1, port: 5432, category: databse }
            """;

        var error = SingleError(yaml, 4, 67);

        Assert.Equal("target 'db' is in category 'databse', which validation.categories does not declare", error.Message);
        Assert.Equal("did you mean 'database'? declared: connectivity, database", error.Hint);
    }

    [Fact]
    public void LoadText_TargetWithoutCategory_NeedsADeclaredOne()
    {
        const string yaml = """
            validation:
              categories: [{ name: connectivity }, { name: database }]
            targets:
              - { name: db, kind: tcp, host: 127.0.0.1, port: 5432 }
            """;

        var error = SingleError(yaml, 4, 5);

        Assert.Equal("target 'db' has no category, and validation.categories does not declare 'default'", error.Message);
        Assert.Equal("add category: connectivity (declared: connectivity, database)", error.Hint);
    }

    [Fact]
    public void LoadText_DeclaredDefaultCategory_CoversTargetsWithoutOne()
    {
        var config = Load("validation:\n  categories: [{ name: default }]\ntargets:\n  - { name: db, kind: tcp, host: h, port: 1 }\n");

        Assert.Equal("default", config.Targets[0].Category);
    }

    [Fact]
    public void LoadText_NoCategoriesDeclared_AcceptsAnyCategory()
    {
        var config = Load("validation: { runs: 2 }\ntargets:\n  - { name: db, kind: tcp, host: h, port: 1, category: anything }\n");

        Assert.Equal("anything", config.Targets[0].Category);
    }
}
