using Faultline.Core.Config;
using Faultline.Core.Running;

namespace Faultline.Probes.Tests;

public sealed class BuiltInProbesTests
{
    [Fact]
    public void Create_ReturnsOneProbePerBuiltInKind()
    {
        var kinds = BuiltInProbes.Create().Select(p => p.Kind).ToList();

        Assert.Equal([TargetKinds.Http, TargetKinds.Tls, TargetKinds.Dns, TargetKinds.Tcp, TargetKinds.Secret, TargetKinds.WebSocket, TargetKinds.Remote, TargetKinds.Startup], kinds);
    }

    [Theory]
    [InlineData(TargetKinds.Http, "[STATUS] < 400")]
    [InlineData(TargetKinds.Startup, LoadChecks.DefaultCondition)]
    [InlineData(TargetKinds.Concurrency, LoadChecks.DefaultCondition)]
    [InlineData(TargetKinds.Tcp, null)]
    [InlineData(TargetKinds.Remote, null)]
    public void EffectiveConditions_TargetWithoutConditions_ItsKindsDefault(string kind, string? condition)
    {
        var conditions = BuiltInProbes.Create().EffectiveConditions(new TargetSpec { Name = "x", Kind = kind });

        Assert.Equal(condition is null ? [] : [condition], conditions);
    }

    [Fact]
    public void TimeoutOf_StartupWithoutTimeout_DeadlinePlusTheStopAllowanceOthersTheDefault()
    {
        var catalog = BuiltInProbes.Create();
        var startup = new TargetSpec { Name = "s", Kind = TargetKinds.Startup, Deadline = TimeSpan.FromSeconds(60) };

        Assert.Equal(TimeSpan.FromSeconds(75), catalog.TimeoutOf(startup, new DefaultsSpec()));
        Assert.Equal(TimeSpan.FromSeconds(75), catalog.TimeoutOf(startup with { Deadline = null }, new DefaultsSpec()));
        Assert.Equal(TimeSpan.FromSeconds(3), catalog.TimeoutOf(startup with { Timeout = TimeSpan.FromSeconds(3) }, new DefaultsSpec()));
        Assert.Equal(DefaultsSpec.DefaultTimeout, catalog.TimeoutOf(new TargetSpec { Name = "h", Kind = TargetKinds.Http }, new DefaultsSpec()));
    }

    [Fact]
    public void With_AProbeOfAKnownKind_ReplacesItInPlaceAndLeavesTheOriginal()
    {
        var catalog = BuiltInProbes.Create();
        var http = catalog.Find(TargetKinds.Http)!;
        var replacement = BuiltInProbes.Create().Find(TargetKinds.Http)!;

        var replaced = catalog.With(replacement);

        Assert.Same(replacement, replaced.Find(TargetKinds.Http));
        Assert.Same(http, catalog.Find(TargetKinds.Http));
        Assert.Equal(catalog.Kinds, replaced.Kinds);
        Assert.Null(catalog.Find(TargetKinds.Postgres));
    }
}
