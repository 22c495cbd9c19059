using Faultline.Core.Classification;
using Faultline.Core.Config;
using Faultline.Core.Model;

namespace Faultline.Core.Tests.Classification;

/// <summary>Who owns a configuration finding: the error kind's default, and a target's <c>owner</c> over it.</summary>
public class ConfigurationOwnerTests
{
    public static TheoryData<ErrorKind, string, Side> Defaults => new()
    {
        // Provisioned by the platform: the secret store and the database and cache users.
        { ErrorKind.SecretMissing, TargetKinds.Secret, Side.Infrastructure },
        { ErrorKind.DatabaseAuthFailed, TargetKinds.Postgres, Side.Infrastructure },
        { ErrorKind.CacheAuthFailed, TargetKinds.Redis, Side.Infrastructure },

        // The service's own rules and settings.
        { ErrorKind.SecretInvalid, TargetKinds.Secret, Side.Application },
        { ErrorKind.ConfigInvalid, TargetKinds.Http, Side.Application },
        { ErrorKind.ProtocolError, TargetKinds.Http, Side.Application },
        { ErrorKind.DatabaseNotFound, TargetKinds.Postgres, Side.Application },
    };

    [Theory]
    [MemberData(nameof(Defaults))]
    public void Classify_NoOwner_ConfigurationSideByErrorKind(ErrorKind kind, string targetKind, Side side)
    {
        var result = Classifier.Classify(Samples.Target(targetKind), Samples.Failed(targetKind, kind), []);

        Assert.Equal((Layer.Configuration, side), (result.Layer, result.Side));
        Assert.DoesNotContain(result.Evidence, e => e.StartsWith("owner:", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Defaults))]
    public void SideOf_ConfigurationAndErrorKind_AgreesWithClassify(ErrorKind kind, string targetKind, Side side)
    {
        var classified = Classifier.Classify(Samples.Target(targetKind), Samples.Failed(targetKind, kind), []);

        Assert.Equal(side, Classifier.SideOf(Layer.Configuration, kind));
        Assert.Equal(classified.Side, Classifier.SideOf(classified.Layer, kind));
    }

    [Theory]
    [InlineData(Layer.Configuration, Side.Application)]
    [InlineData(Layer.Application, Side.Application)]
    [InlineData(Layer.Database, Side.Infrastructure)]
    [InlineData(Layer.Unknown, Side.Infrastructure)]
    public void SideOf_NoErrorKind_TheLayerDefault(Layer layer, Side side) =>
        Assert.Equal(side, Classifier.SideOf(layer));

    [Fact]
    public void SideOf_ErrorKindOfAnotherLayer_TheLayerDefault() =>
        Assert.Equal(Side.Application, Classifier.SideOf(Layer.Configuration, ErrorKind.ConnectTimeout));

    [Theory]
    [InlineData(ErrorKind.DatabaseAuthFailed, TargetKinds.Postgres, Side.Application)]
    [InlineData(ErrorKind.SecretMissing, TargetKinds.Secret, Side.Application)]
    [InlineData(ErrorKind.SecretInvalid, TargetKinds.Secret, Side.Infrastructure)]
    [InlineData(ErrorKind.ConfigInvalid, TargetKinds.Http, Side.Infrastructure)]
    public void Classify_OwnerOnTheTarget_DecidesTheConfigurationSide(ErrorKind kind, string targetKind, Side owner)
    {
        var target = Samples.Target(targetKind) with { Owner = owner };

        var result = Classifier.Classify(target, Samples.Failed(targetKind, kind), []);

        Assert.Equal((Layer.Configuration, owner), (result.Layer, result.Side));
        Assert.Contains($"owner: {owner.Wire()} (the config gives this target's configuration findings to the {owner.Wire()} side)", result.Evidence);
    }

    [Fact]
    public void Classify_OwnerSameAsTheDefault_NoOwnerLine()
    {
        var target = Samples.Target(TargetKinds.Secret) with { Owner = Side.Infrastructure };

        var result = Classifier.Classify(target, Samples.Failed(TargetKinds.Secret, ErrorKind.SecretMissing), []);

        Assert.Equal(Side.Infrastructure, result.Side);
        Assert.DoesNotContain(result.Evidence, e => e.StartsWith("owner:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(ErrorKind.ConnectionRefused, TargetKinds.Postgres, Side.Application, Layer.Database, Side.Infrastructure)]
    [InlineData(ErrorKind.CacheOutOfMemory, TargetKinds.Redis, Side.Application, Layer.Cache, Side.Infrastructure)]
    [InlineData(ErrorKind.DatabaseSqlError, TargetKinds.Postgres, Side.Infrastructure, Layer.Application, Side.Application)]
    [InlineData(ErrorKind.TlsExpired, TargetKinds.Http, Side.Application, Layer.Tls, Side.Infrastructure)]
    public void Classify_OwnerOnTheTarget_LeavesOtherLayersAlone(ErrorKind kind, string targetKind, Side owner, Layer layer, Side side)
    {
        var target = Samples.Target(targetKind) with { Owner = owner };

        var result = Classifier.Classify(target, Samples.Failed(targetKind, kind), []);

        Assert.Equal((layer, side), (result.Layer, result.Side));
    }

    [Fact]
    public void Classify_OwnerOnAnHttpTarget_DecidesARejectedCredentialsResponse()
    {
        var target = Samples.Target(TargetKinds.Http) with { Owner = Side.Infrastructure };

        var result = Classifier.Classify(target, Samples.Response(401, "unauthorised"), Samples.Failing("[STATUS] == 200", "401"));

        Assert.Equal((Layer.Configuration, Side.Infrastructure), (result.Layer, result.Side));
    }

    [Fact]
    public void ClassifyComponent_OwnerOnTheRemoteTarget_WinsOverTheSideTheServiceReports()
    {
        var api = new TargetSpec { Name = "api", Kind = TargetKinds.Remote, Url = "https://api.lab.test/health/infrastructure", Owner = Side.Application };
        var component = new ComponentObservation
        {
            Name = "configuration",
            Status = "unhealthy",
            Layer = Layer.Configuration,
            Side = Side.Infrastructure,
            ErrorKind = "secret-missing",
            Source = ComponentSources.TerminationFile,
            Service = "api",
        };

        var verdict = Classifier.ClassifyComponent(api, component);

        Assert.Equal((Layer.Configuration, Side.Application), (verdict.Layer, verdict.Side));
    }

    [Fact]
    public void ClassifyComponent_OwnerOnTheRemoteTarget_LeavesOtherLayersAlone()
    {
        var api = new TargetSpec { Name = "api", Kind = TargetKinds.Remote, Url = "https://api.lab.test/health/infrastructure", Owner = Side.Application };
        var component = new ComponentObservation { Name = "database", Status = "unhealthy", ErrorKind = "connect-timeout", Source = ComponentSources.Endpoint, Service = "api" };

        var verdict = Classifier.ClassifyComponent(api, component);

        Assert.Equal((Layer.Database, Side.Infrastructure), (verdict.Layer, verdict.Side));
    }

    [Fact]
    public void ClassifyComponent_ConfigurationLayerWithoutASide_TheErrorKindRuleDecides()
    {
        var api = new TargetSpec { Name = "api", Kind = TargetKinds.Remote, Url = "https://api.lab.test/health/infrastructure" };
        var missing = new ComponentObservation { Name = "configuration", Status = "unhealthy", Layer = Layer.Configuration, ErrorKind = "secret-missing", Source = ComponentSources.Endpoint, Service = "api" };
        var invalid = missing with { ErrorKind = "secret-invalid" };

        Assert.Equal(Side.Infrastructure, Classifier.ClassifyComponent(api, missing).Side);
        Assert.Equal(Side.Application, Classifier.ClassifyComponent(api, invalid).Side);
    }
}
