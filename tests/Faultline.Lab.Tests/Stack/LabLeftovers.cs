using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Faultline.Lab.Stack;

namespace Faultline.Lab.Tests.Stack;

/// <summary>What a lab may leave behind: processes started from its directory, and listeners on its ports.</summary>
internal static class LabLeftovers
{
    /// <summary>Every lab port of <paramref name="env"/>.</summary>
    public static int[] Ports(LabEnvironment env) =>
    [
        env.PostgresPort, env.RedisPort, env.RedisTlsPort, env.NginxPort, env.LoadBalancerPort, env.DnsPort, env.AppPort,
        env.RelayControlPort, env.RelayDbPort, env.RelayCachePort, env.RelayUpstreamPort,
    ];

    /// <summary>
    /// The processes whose command line names <paramref name="directory"/> (PostgreSQL's data directory, nginx's
    /// prefix, dnsmasq's pid file); Redis, the relay and the app do not name it and are found by their ports.
    /// </summary>
    public static List<string> ProcessesOf(string directory)
    {
        var found = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var commandLine = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim();
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var state = stat[stat.LastIndexOf(')') + 2];
                if (state is not ('Z' or 'X') && commandLine.Contains(directory, StringComparison.Ordinal))
                {
                    found.Add($"{pid.ToString(CultureInfo.InvariantCulture)}: {commandLine}");
                }
            }
            catch (IOException)
            {
                // The process ended while listing.
            }
            catch (UnauthorizedAccessException)
            {
                // Not readable: not one of ours.
            }
        }

        return found;
    }

    /// <summary>The ports of <paramref name="ports"/> on which something still accepts a TCP connection.</summary>
    public static async Task<List<int>> ListeningAsync(IEnumerable<int> ports)
    {
        var open = new List<int>();
        foreach (var port in ports)
        {
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(2));
                open.Add(port);
            }
            catch (SocketException)
            {
                // Refused: nothing listens.
            }
            catch (TimeoutException)
            {
                open.Add(port);
            }
        }

        return open;
    }

    /// <summary>Asserts that no process of the lab in <paramref name="directory"/> runs and that none of <paramref name="ports"/> is listened on.</summary>
    public static async Task AssertNothingRunsAsync(string directory, IEnumerable<int> ports, string when)
    {
        var processes = ProcessesOf(directory);
        Assert.True(processes.Count == 0, $"lab processes still run {when}:\n{string.Join('\n', processes)}");
        var open = await ListeningAsync(ports);
        Assert.True(open.Count == 0, $"lab ports still listened on {when}: {string.Join(", ", open)}");
    }
}
