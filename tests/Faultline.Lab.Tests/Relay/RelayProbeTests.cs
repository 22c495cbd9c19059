using System.Net;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Faultline.Lab.Relay;
using Faultline.Probes;
using Faultline.Probes.Net;
using Faultline.TestSupport;

namespace Faultline.Lab.Tests.Relay;

/// <summary>Faultline's own tcp and http probes, through the relay, name each fault with the documented error kind.</summary>
public sealed class RelayProbeTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(1.5);

    public static TheoryData<string, string, ErrorKind?> Cases => new()
    {
        { "none", TargetKinds.Http, null },
        { "blackhole", TargetKinds.Http, ErrorKind.ReadTimeout },
        { "slow-accept", TargetKinds.Http, ErrorKind.ReadTimeout },
        { "latency", TargetKinds.Http, ErrorKind.ReadTimeout },
        { "reset", TargetKinds.Http, ErrorKind.ConnectionReset },
        { "drop", TargetKinds.Http, ErrorKind.ConnectionClosed },
        { "connection-cap", TargetKinds.Http, ErrorKind.ConnectionClosed },
        { "refuse", TargetKinds.Tcp, ErrorKind.ConnectionRefused },
        { "refuse", TargetKinds.Http, ErrorKind.ConnectionRefused },
        { "blackhole", TargetKinds.Tcp, null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Probe_ThroughFaultedRelay_ReportsTheDocumentedKind(string fault, string kind, ErrorKind? expected)
    {
        await using var upstream = TestServers.Http(TestServers.RawResponse(200, "OK", "ok"));
        await using var host = await RelayHost.StartAsync(
            [new RelayLink("app", new IPEndPoint(IPAddress.Loopback, 0), upstream.EndPoint)], null, CancellationToken.None);
        host.SetFault("app", fault switch
        {
            "none" => null,
            "latency" => FaultSpec.Latency(TimeSpan.FromSeconds(5)),
            "slow-accept" => FaultSpec.SlowAccept(TimeSpan.FromSeconds(5)),
            "drop" => FaultSpec.Drop(1),
            "connection-cap" => FaultSpec.ConnectionCap(1),
            _ => Assert.IsType<FaultSpec>(FaultSpec.TryParse(new Dictionary<string, string> { ["fault"] = fault }, out var spec, out _) ? spec : null),
        });
        using var holder = fault == "connection-cap" ? await Client.ConnectAsync(host.ListenEndPoint("app")) : null;
        if (holder is not null)
        {
            await Client.EventuallyAsync(() => upstream.Accepted == 1, "the first connection holds the only slot");
        }

        var port = host.ListenEndPoint("app").Port;
        var target = new TargetSpec
        {
            Name = "app",
            Kind = kind,
            Url = kind == TargetKinds.Http ? $"http://127.0.0.1:{port}/health" : null,
            Host = kind == TargetKinds.Tcp ? "127.0.0.1" : null,
            Port = kind == TargetKinds.Tcp ? port : null,
        };

        var observation = await ProbeAsync(target);

        Assert.True(expected == observation.Error?.Kind, $"expected {expected?.Wire() ?? "no error"} but got {observation.Error?.Kind.Wire() ?? "no error"}: {observation.Error?.Message}");
        if (expected is null)
        {
            Assert.True(observation.Connected);
        }
    }

    private static async Task<Observation> ProbeAsync(TargetSpec target)
    {
        var context = new ProbeContext
        {
            Time = TimeProvider.System,
            Timeout = Deadline,
            Resolver = HostResolvers.System,
            Redactor = new SecretRedactor(),
            GetEnvironmentVariable = _ => null,
        };
        using var deadline = new CancellationTokenSource(context.Timeout);
        var probe = BuiltInProbes.Create().Single(p => p.Kind == target.Kind);
        return await probe.ProbeAsync(target, context, deadline.Token);
    }
}
