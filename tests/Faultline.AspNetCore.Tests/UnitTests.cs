using System.Net.Sockets;
using Faultline.AspNetCore.Health;
using Faultline.AspNetCore.Probing;
using Faultline.AspNetCore.Startup;
using Faultline.Core.Classification;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Microsoft.Extensions.Configuration;
using Polly.Timeout;

namespace Faultline.AspNetCore.Tests;

public sealed class UnitTests
{
    private static ResolvedPhase Phase(Layer layer, PhaseTiming timing = PhaseTiming.Connection) =>
        new(new PhaseDefinition("database", (_, _) => Task.CompletedTask, [], true, layer, "database", timing), true, TimeSpan.FromSeconds(2), 2, TimeSpan.FromSeconds(5), TimeSpan.Zero, TimeSpan.Zero);

    [Theory]
    [InlineData(FaultlineProfile.Development, PhaseTiming.Connection, 20)]
    [InlineData(FaultlineProfile.Test, PhaseTiming.Connection, 15)]
    [InlineData(FaultlineProfile.Staging, PhaseTiming.Connection, 75)]
    [InlineData(FaultlineProfile.Production, PhaseTiming.Connection, 60)]
    [InlineData(FaultlineProfile.Staging, PhaseTiming.Init, 95)]
    [InlineData(FaultlineProfile.Production, PhaseTiming.Schema, 45)]
    [InlineData(FaultlineProfile.Test, PhaseTiming.HealthCheck, 5)]
    [InlineData(FaultlineProfile.Lab, PhaseTiming.Connection, 2)]
    [InlineData(FaultlineProfile.Lab, PhaseTiming.Init, 3)]
    public void AttemptTimeout_ProfileAndTiming_MatchesDocumentedTable(FaultlineProfile profile, PhaseTiming timing, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), ProfileDefaults.AttemptTimeout(profile, timing));

    [Fact]
    public void Retries_CloudLocalAndLab_MatchDocumentedPolicies()
    {
        Assert.Equal(5, ProfileDefaults.Attempts(FaultlineProfile.Production, PhaseTiming.Connection));
        Assert.Equal(TimeSpan.FromSeconds(2), ProfileDefaults.BaseDelay(FaultlineProfile.Staging));
        Assert.Equal(TimeSpan.FromSeconds(30), ProfileDefaults.MaxDelay(FaultlineProfile.Staging));
        Assert.Equal(3, ProfileDefaults.Attempts(FaultlineProfile.Development, PhaseTiming.Connection));
        Assert.Equal(TimeSpan.FromSeconds(1), ProfileDefaults.BaseDelay(FaultlineProfile.Test));
        Assert.Equal(TimeSpan.FromSeconds(10), ProfileDefaults.MaxDelay(FaultlineProfile.Test));
        Assert.Equal(2, ProfileDefaults.Attempts(FaultlineProfile.Lab, PhaseTiming.Connection));
        Assert.Equal(1, ProfileDefaults.Attempts(FaultlineProfile.Production, PhaseTiming.Init));
        Assert.Equal(FaultlineProfile.Staging, ProfileDefaults.FromEnvironment("staging"));
        Assert.Equal(FaultlineProfile.Production, ProfileDefaults.FromEnvironment("qa-7"));
    }

    [Fact]
    public void Create_ConfigurationOverridesRegistrationAndProfile()
    {
        var phases = new List<PhaseDefinition>
        {
            new("database", (_, _) => Task.CompletedTask, [], true, Layer.Database, "database", PhaseTiming.Connection) { Attempts = 4 },
        };
        var options = new FaultlineOptions();
        options.Startup.Phases["database"] = new PhaseOptions { AttemptTimeout = TimeSpan.FromSeconds(7), Critical = false };

        var phase = StartupPlan.Create(phases, options, FaultlineProfile.Staging).Phases.Single();

        Assert.Equal(TimeSpan.FromSeconds(7), phase.AttemptTimeout);
        Assert.Equal(4, phase.Attempts);
        Assert.False(phase.Critical);
        Assert.Equal((TimeSpan.FromSeconds(7) * 4) + (TimeSpan.FromSeconds(30) * 3), phase.Budget);
    }

    [Fact]
    public void Validate_Cycle_NamesThePath()
    {
        var phases = new List<PhaseDefinition>
        {
            new("a", (_, _) => Task.CompletedTask, ["b"], true, Layer.Application, "a", PhaseTiming.Init),
            new("b", (_, _) => Task.CompletedTask, ["c"], true, Layer.Application, "b", PhaseTiming.Init),
            new("c", (_, _) => Task.CompletedTask, ["a"], true, Layer.Application, "c", PhaseTiming.Init),
        };

        var errors = StartupPlan.Validate(phases, new FaultlineOptions(), FaultlineProfile.Test);

        Assert.Equal("startup phases form a cycle (each depends on the next): a → b → c → a", Assert.Single(errors));
    }

    [Fact]
    public void Describe_SocketRefused_ConnectionRefusedAttributedToDatabase()
    {
        var phase = Phase(Layer.Database);
        var error = AttemptErrors.Describe(new SocketException((int)SocketError.ConnectionRefused), phase, 1, budgetCut: false, null);
        var failure = AttemptErrors.Attribute(phase, error, null, new SecretScrubber());

        Assert.Equal(ErrorKind.ConnectionRefused, error.Kind);
        Assert.Equal(Layer.Database, failure.Layer);
        Assert.Equal(Side.Infrastructure, failure.Side);
    }

    [Fact]
    public void Describe_AttemptTimeout_ConnectTimeoutForConnectionPhases()
    {
        var error = AttemptErrors.Describe(new TimeoutRejectedException(), Phase(Layer.Cache), 2, budgetCut: false, null);
        Assert.Equal(ErrorKind.ConnectTimeout, error.Kind);
        Assert.Contains("attempt 2", error.Message, StringComparison.Ordinal);

        var init = AttemptErrors.Describe(new TimeoutRejectedException(), Phase(Layer.Application, PhaseTiming.Init), 1, budgetCut: false, null);
        Assert.Equal(ErrorKind.Timeout, init.Kind);
    }

    [Fact]
    public void Describe_DatabaseAuthFailed_AttributedToConfigurationOnTheInfrastructureSide()
    {
        var phase = Phase(Layer.Database);
        var error = new ProbeError(ErrorKind.DatabaseAuthFailed, "rejected") { Code = "28P01" };
        var failure = AttemptErrors.Attribute(phase, AttemptErrors.Describe(new ProbeException(error), phase, 1, false, null), null, new SecretScrubber());

        Assert.Equal(Layer.Configuration, failure.Layer);
        Assert.Equal(Side.Infrastructure, failure.Side);
        Assert.Equal(ErrorKind.DatabaseAuthFailed, failure.Kind);
    }

    [Theory]
    [InlineData(ErrorKind.SecretMissing, Layer.Configuration, TargetKinds.Secret, Side.Infrastructure)]
    [InlineData(ErrorKind.SecretInvalid, Layer.Configuration, TargetKinds.Secret, Side.Application)]
    [InlineData(ErrorKind.ConfigInvalid, Layer.Configuration, TargetKinds.Secret, Side.Application)]
    [InlineData(ErrorKind.DatabaseAuthFailed, Layer.Database, TargetKinds.Postgres, Side.Infrastructure)]
    [InlineData(ErrorKind.DatabaseNotFound, Layer.Database, TargetKinds.Postgres, Side.Application)]
    [InlineData(ErrorKind.CacheAuthFailed, Layer.Cache, TargetKinds.Redis, Side.Infrastructure)]
    public void Attribute_ConfigurationErrorKinds_TheSideCheckGivesTheSameFailure(ErrorKind kind, Layer phaseLayer, string targetKind, Side side)
    {
        var phase = Phase(phaseLayer);
        var error = new ProbeError(kind, "the probe's message");
        var failure = AttemptErrors.Attribute(phase, AttemptErrors.Describe(new ProbeException(error), phase, 1, false, null), null, new SecretScrubber());
        var check = Classifier.Classify(new TargetSpec { Name = "dependency", Kind = targetKind }, new Observation { Target = "dependency", Error = error }, []);

        Assert.Equal((Layer.Configuration, side), (failure.Layer, failure.Side));
        Assert.Equal((check.Layer, check.Side), (failure.Layer, failure.Side));
    }

    [Fact]
    public void Describe_OtherException_PhaseLayerWithoutExceptionText()
    {
        var phase = Phase(Layer.Database);
        var error = AttemptErrors.Describe(new InvalidOperationException("Password=hunter2 is wrong"), phase, 1, false, null);
        var failure = AttemptErrors.Attribute(phase, error, null, new SecretScrubber());

        Assert.Equal(ErrorKind.Internal, error.Kind);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
        Assert.Contains("InvalidOperationException", error.Message, StringComparison.Ordinal);
        Assert.Equal(Layer.Database, failure.Layer);
        Assert.Equal(Side.Application, failure.Side);
    }

    [Fact]
    public void Scrub_ConfiguredSecretsAndCredentialShapes_AreMasked()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = "Host=db;Password=pg-pass-123",
            ["Jwt:Secret"] = "jwt-secret-value-abc",
        }).Build();
        var scrubber = new SecretScrubber(configuration);

        var text = scrubber.Scrub("pg-pass-123 and jwt-secret-value-abc and redis://:r3dis-pw@host:6379 and pwd=other");

        Assert.DoesNotContain("pg-pass-123", text, StringComparison.Ordinal);
        Assert.DoesNotContain("jwt-secret-value-abc", text, StringComparison.Ordinal);
        Assert.DoesNotContain("r3dis-pw", text, StringComparison.Ordinal);
        Assert.DoesNotContain("other", text, StringComparison.Ordinal);
    }

    [Fact]
    public void KeysMatch_OnlyTheExactKey()
    {
        Assert.True(DetailAccess.KeysMatch("abc-123", "abc-123"));
        Assert.False(DetailAccess.KeysMatch("abc-12", "abc-123"));
        Assert.False(DetailAccess.KeysMatch("ABC-123", "abc-123"));
        Assert.False(DetailAccess.KeysMatch(null, "abc-123"));
    }

    [Fact]
    public void TerminationLine_Failure_OneJsonLineWithTheContractFields()
    {
        var line = FailureReporter.TerminationLine(new StartupFailure("database", Layer.Database, Side.Infrastructure, ErrorKind.ConnectTimeout, "no answer", 5, 1234.56));
        Assert.Equal("{\"phase\":\"database\",\"layer\":\"database\",\"side\":\"infrastructure\",\"errorKind\":\"connect-timeout\",\"message\":\"no answer\",\"attempts\":5,\"elapsedMs\":1234.6}", line);
    }
}
