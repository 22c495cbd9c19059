using Faultline.Core.Model;
using static Faultline.Core.Tests.Config.ConfigTestSupport;

namespace Faultline.Core.Tests.Config;

/// <summary>The <c>owner</c> key of a target and of <c>defaults</c>.</summary>
public class ConfigOwnerKeyTests
{
    [Fact]
    public void LoadText_NoOwner_NullEverywhere()
    {
        var config = Load("targets:\n  - { name: db, kind: tcp, host: db.lab.test, port: 5432 }\n");

        Assert.Null(config.Defaults.Owner);
        Assert.Null(Assert.Single(config.Targets).Owner);
    }

    [Theory]
    [InlineData("infrastructure", Side.Infrastructure)]
    [InlineData("application", Side.Application)]
    public void LoadText_OwnerOnATarget_IsThatSide(string owner, Side side)
    {
        var config = Load($"targets:\n  - {{ name: secrets, kind: secret, required: [JWT_SECRET], owner: {owner} }}\n");

        Assert.Equal(side, Assert.Single(config.Targets).Owner);
    }

    [Fact]
    public void LoadText_OwnerInDefaults_InheritedByTargetsWithoutTheirOwn()
    {
        const string yaml = """
            defaults:
              owner: application
            targets:
              - { name: secrets, kind: secret, required: [JWT_SECRET] }
              - { name: db, kind: postgres, connectionString: "Host=db.lab.test;Username=app", owner: infrastructure }
            """;

        var config = Load(yaml);

        Assert.Equal(Side.Application, config.Defaults.Owner);
        Assert.Equal(Side.Application, config.Targets[0].Owner);
        Assert.Equal(Side.Infrastructure, config.Targets[1].Owner);
    }

    [Fact]
    public void LoadText_OwnerOnARemoteTarget_IsAccepted()
    {
        var config = Load("targets:\n  - { name: api, kind: remote, url: \"https://api.lab.test/health/infrastructure\", owner: application }\n");

        Assert.Equal(Side.Application, Assert.Single(config.Targets).Owner);
    }

    [Fact]
    public void LoadText_UnknownOwnerOnATarget_ErrorAtTheValueNamingTheChoices()
    {
        var error = SingleError("targets:\n  - { name: db, kind: tcp, host: db.lab.test, port: 5432, owner: infra }\n", 2, 66);

        Assert.Equal("unknown owner \"infra\" in target 'db' (kind tcp)", error.Message);
        Assert.Contains("infrastructure, application", error.Hint, StringComparison.Ordinal);
        Assert.StartsWith("faultline.yaml:2:66: ", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_UnknownOwnerInDefaults_ErrorAtTheValue()
    {
        var error = SingleError("defaults:\n  owner: platform\ntargets:\n  - { name: db, kind: tcp, host: db.lab.test, port: 5432 }\n", 2, 10);

        Assert.Contains("unknown owner \"platform\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("write one of infrastructure, application", error.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_OwnerInAnotherCase_IsAnError()
    {
        var error = SingleError("targets:\n  - name: db\n    kind: tcp\n    host: db.lab.test\n    port: 5432\n    owner: Infrastructure\n", 6, 12);

        Assert.Contains("did you mean 'infrastructure'?", error.Hint, StringComparison.Ordinal);
    }
}
