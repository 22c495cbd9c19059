using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Faultline.Lab.Stack;
using Faultline.Probes;
using Faultline.Probes.Net;
using Faultline.Probes.Postgres;
using Faultline.Probes.Redis;
using Faultline.TestSupport;

namespace Faultline.Lab.Tests.Stack;

/// <summary>
/// The lab stack tests start real processes on their own ports; they run alone (no other test
/// collection in parallel), one class after the other.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LabStackCollection : ICollectionFixture<LabFixture>
{
    public const string Name = "lab-stack";
}

/// <summary>A private lab (temp state dir, free ports) brought up once for the action tests and purged at the end.</summary>
public sealed class LabFixture : IAsyncLifetime
{
    private LabStack? _stack;

    public LabStack Stack => _stack ?? throw new InvalidOperationException("the lab did not start");

    public List<string> Progress { get; } = [];

    public async Task InitializeAsync()
    {
        TestTiers.RequireServer("the lab stack");
        _stack = NewLab();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await _stack.UpAsync(new SyncProgress(Progress), timeout.Token);
    }

    public async Task DisposeAsync()
    {
        if (_stack is not null)
        {
            await _stack.DownAsync(purge: true, null, CancellationToken.None);
            await _stack.DisposeAsync();
        }
    }

    /// <summary>A lab in a fresh temp directory on free loopback ports.</summary>
    internal static LabStack NewLab()
    {
        var dir = Path.Combine(Path.GetTempPath(), "faultline-lab-test-" + Guid.NewGuid().ToString("N")[..8]);
        return LabStack.Open(LocalServices.FindRepositoryRoot(), dir, FreePorts(LabStack.PortNames), TimeProvider.System);
    }

    internal static Dictionary<string, int> FreePorts(IReadOnlyList<string> names)
    {
        var listeners = names.Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return names.Zip(listeners, (name, l) => (name, ((IPEndPoint)l.LocalEndpoint).Port)).ToDictionary(p => p.name, p => p.Port);
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    /// <summary>A check of the lab from outside, as <c>faultline check</c> runs it: through dnsmasq, trusting the lab CA.</summary>
    internal static async Task<Report> CheckAsync(LabEnvironment lab)
    {
        var p = (int port) => port.ToString(CultureInfo.InvariantCulture);
        var yaml = $$"""
            resolver: "127.0.0.1:{{p(lab.DnsPort)}}"
            defaults: { timeout: 4s }
            targets:
              - name: api
                kind: http
                url: "https://api.lab.test:{{p(lab.LoadBalancerPort)}}/health/ready"
                tls: { caFile: "{{lab.CaFile}}" }
                conditions: ["[STATUS] == 200"]
              - name: db
                kind: postgres
                connectionString: "postgres://faultline:{{lab.PostgresPassword}}@db.lab.test:{{p(lab.RelayDbPort)}}/faultline?sslmode=disable"
              - name: cache
                kind: redis
                connectionString: "redis://:{{lab.RedisPassword}}@cache.lab.test:{{p(lab.RelayCachePort)}}/0"
            """;
        var config = ConfigLoader.LoadText(yaml, "lab-test.yaml", lab.Directory);
        var runner = new CheckRunner([.. BuiltInProbes.Create(), PostgresProbes.Create(), RedisProbes.Create()], HostResolvers.For, TimeProvider.System);
        return await runner.RunAsync(config);
    }

    internal static string Describe(Report report) =>
        string.Join("; ", report.Results.Select(r => $"{r.Name}: {r.Status} {r.Layer} {r.Error?.Kind} {r.Error?.Message}"));

    internal sealed class SyncProgress(List<string> lines) : IProgress<string>
    {
        public void Report(string value)
        {
            lock (lines)
            {
                lines.Add(value);
            }
        }
    }
}
