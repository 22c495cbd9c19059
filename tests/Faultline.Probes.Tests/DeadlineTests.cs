using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.TestSupport;
using static Faultline.Probes.Tests.ProbeHarness;

namespace Faultline.Probes.Tests;

/// <summary>Tests that hold a probe to its deadline within ±10%; they run alone so other tests do not skew the clock.</summary>
[CollectionDefinition(nameof(DeadlineTests), DisableParallelization = true)]
public sealed class DeadlineCollection;

[Collection(nameof(DeadlineTests))]
public sealed class DeadlineTests
{
    [Fact]
    public async Task HttpProbe_HungServer_ReportsReadTimeoutAtDeadline()
    {
        await using var server = TestServers.Hung();

        var observation = await RunAsync(new TargetSpec { Name = "http", Kind = TargetKinds.Http, Url = $"http://127.0.0.1:{server.Port}/" }, timeout: Short);

        var error = AssertError(observation, ErrorKind.ReadTimeout, "request");
        Assert.StartsWith($"connected to 127.0.0.1:{server.Port}, no response within", error.Message, StringComparison.Ordinal);
        Assert.True(observation.Connected);
        Assert.InRange(observation.Elapsed, TimeSpan.FromSeconds(1.8), TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task TlsProbe_ServerNeverAnswersHandshake_ReportsTlsTimeoutAtDeadline()
    {
        await using var server = TestServers.Hung();

        var observation = await RunAsync(new TargetSpec { Name = "tls", Kind = TargetKinds.Tls, Host = "127.0.0.1", Port = server.Port, Tls = new TlsSpec { Insecure = true } }, timeout: Short);

        var error = AssertError(observation, ErrorKind.TlsTimeout, "tls");
        Assert.Contains($"TLS handshake with 127.0.0.1:{server.Port} did not finish within ", error.Message, StringComparison.Ordinal);
        Assert.True(observation.Connected);
        Assert.InRange(observation.Elapsed, TimeSpan.FromSeconds(1.8), TimeSpan.FromSeconds(4));
    }
}
