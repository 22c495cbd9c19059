using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Faultline.Lab.Stack;
using Faultline.TestSupport;

namespace Faultline.Lab.Tests.Stack;

/// <summary>Up and down of a lab of its own: nothing is left behind, also after a failed up.</summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LabStackCollection.Name)]
public sealed class LabStackLifecycleTests
{
    [Fact]
    public async Task DownAsync_AfterUp_LeavesNoProcessPortOrDirectory()
    {
        var stack = LabFixture.NewLab();
        await using var _ = stack;
        List<int> pids;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
            await stack.UpAsync(null, timeout.Token);
            pids = Pids(stack);
            Assert.Equal(6, pids.Count);
            Assert.All(pids, pid => Assert.True(Alive(pid), $"pid {pid} is not running after up"));
        }
        finally
        {
            await stack.DownAsync(purge: true, null, CancellationToken.None);
        }

        await AssertNothingLeftAsync(stack, pids);
    }

    [Fact]
    public async Task UpAsync_FailsAtTheLastStep_RollsBackEverythingItStartedInReverseOrder()
    {
        var stack = LabFixture.NewLab();
        await using var _ = stack;
        var progress = new List<string>();
        try
        {
            // Something else holds the app's port: up starts everything else, then fails with a clear message.
            using (var squatter = new TcpListener(IPAddress.Loopback, stack.Environment.AppPort))
            {
                squatter.Start();
                using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
                var error = await Assert.ThrowsAsync<LabException>(() => stack.UpAsync(new LabFixture.SyncProgress(progress), timeout.Token));

                Assert.Contains($"127.0.0.1:{stack.Environment.AppPort.ToString(CultureInfo.InvariantCulture)} (app) is already in use", error.Message, StringComparison.Ordinal);
                Assert.Contains("FAULTLINE_LAB_APP_PORT", error.Message, StringComparison.Ordinal);
                Assert.Empty(Pids(stack));
                Assert.StartsWith("up failed at step app: ", error.Message, StringComparison.Ordinal);
                Assert.EndsWith("; rolled back: stopped relay, dns, nginx, redis, postgres (what this up had started, in reverse order)", error.Message, StringComparison.Ordinal);
            }

            await LabLeftovers.AssertNothingRunsAsync(stack.Directory, LabLeftovers.Ports(stack.Environment), "after the failed up");
            var stops = progress.Where(line => line.EndsWith(" stopped", StringComparison.Ordinal)).Select(line => line.Split(' ')[0]);
            Assert.Equal(["relay", "dns", "nginx", "redis", "postgres"], stops);
        }
        finally
        {
            await stack.DownAsync(purge: true, null, CancellationToken.None);
        }

        await AssertNothingLeftAsync(stack, []);
    }

    [Fact]
    public async Task StatusAsync_NeverStarted_EveryServiceDown()
    {
        var stack = LabFixture.NewLab();
        await using var _ = stack;

        var status = await stack.StatusAsync();

        Assert.All(status, s => Assert.False(s.Up, s.Name));
        Assert.False(Directory.Exists(stack.Directory));
    }

    /// <summary>The pids of every lab process that has a pid file (postgres from postmaster.pid).</summary>
    private static List<int> Pids(LabStack stack)
    {
        var files = new[] { "app.pid", "relay.pid", "services/redis/redis.pid", "services/nginx/nginx.pid", "services/dns/dnsmasq.pid", "services/postgres/data/postmaster.pid" };
        var pids = new List<int>();
        foreach (var file in files.Select(f => Path.Combine(stack.Directory, f)).Where(File.Exists))
        {
            pids.Add(int.Parse(File.ReadLines(file).First().Trim(), CultureInfo.InvariantCulture));
        }

        return pids;
    }

    private static bool Alive(int pid)
    {
        var stat = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat";
        if (!File.Exists(stat))
        {
            return false;
        }

        var text = File.ReadAllText(stat);
        var state = text[text.LastIndexOf(')') + 2];
        return state is not ('Z' or 'X');
    }

    private static async Task AssertNothingLeftAsync(LabStack stack, List<int> pids)
    {
        Assert.All(pids, pid => Assert.False(Alive(pid), $"pid {pid} still runs after down"));
        var env = stack.Environment;
        int[] ports =
        [
            env.PostgresPort, env.RedisPort, env.RedisTlsPort, env.NginxPort, env.LoadBalancerPort, env.DnsPort, env.AppPort,
            env.RelayControlPort, env.RelayDbPort, env.RelayCachePort, env.RelayUpstreamPort,
        ];
        foreach (var port in ports)
        {
            using var client = new TcpClient();
            var error = await Assert.ThrowsAsync<SocketException>(() => client.ConnectAsync(IPAddress.Loopback, port));
            Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
        }

        Assert.False(Directory.Exists(stack.Directory), $"{stack.Directory} still exists after down --purge");
    }
}
