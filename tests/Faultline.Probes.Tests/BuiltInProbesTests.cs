using Faultline.Core.Config;

namespace Faultline.Probes.Tests;

public sealed class BuiltInProbesTests
{
    [Fact]
    public void Create_ReturnsOneProbePerBuiltInKind()
    {
        var kinds = BuiltInProbes.Create().Select(p => p.Kind).ToList();

        Assert.Equal([TargetKinds.Http, TargetKinds.Tls, TargetKinds.Dns, TargetKinds.Tcp, TargetKinds.Secret, TargetKinds.WebSocket, TargetKinds.Remote, TargetKinds.Startup], kinds);
    }
}
