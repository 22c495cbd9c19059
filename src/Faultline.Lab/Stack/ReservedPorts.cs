using System.Globalization;

namespace Faultline.Lab.Stack;

/// <summary>
/// The lab listens on fixed loopback ports, most of them inside Linux's ephemeral range (32768–60999): any
/// outgoing connection on the machine may be given one of them as its source port, and a listener cannot
/// bind it while that connection lives ("Address already in use"). Adding the lab's ports to
/// <c>net.ipv4.ip_local_reserved_ports</c> keeps the kernel from handing them out. Best effort: it needs
/// root and a writable <c>/proc/sys</c>; without them nothing changes and the lab starts as before.
/// </summary>
internal static class ReservedPorts
{
    private const string File = "/proc/sys/net/ipv4/ip_local_reserved_ports";

    /// <summary>Adds <paramref name="ports"/> to the reserved list (keeping what is there); returns false when that was not possible.</summary>
    public static bool TryReserve(IEnumerable<int> ports)
    {
        try
        {
            if (!OperatingSystem.IsLinux() || !System.IO.File.Exists(File))
            {
                return false;
            }

            var current = System.IO.File.ReadAllText(File).Trim();
            var reserved = Parse(current);
            var wanted = ports.Where(p => p is > 0 and < 65536).ToHashSet();
            if (wanted.IsSubsetOf(reserved))
            {
                return true;
            }

            var text = string.Join(",", new[] { current }.Where(c => c.Length > 0)
                .Concat(wanted.Except(reserved).Order().Select(p => p.ToString(CultureInfo.InvariantCulture))));
            System.IO.File.WriteAllText(File, text);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary><c>55432,58190-58193</c> → the ports in it.</summary>
    internal static HashSet<int> Parse(string list)
    {
        var ports = new HashSet<int>();
        foreach (var part in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var range = part.Split('-', 2);
            if (int.TryParse(range[0], CultureInfo.InvariantCulture, out var from))
            {
                var to = range.Length == 2 && int.TryParse(range[1], CultureInfo.InvariantCulture, out var end) ? end : from;
                for (var p = from; p <= to && p - from < 65536; p++)
                {
                    ports.Add(p);
                }
            }
        }

        return ports;
    }
}
