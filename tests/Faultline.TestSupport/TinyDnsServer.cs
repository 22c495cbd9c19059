using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Faultline.TestSupport;

/// <summary>
/// A minimal authoritative DNS server over UDP on 127.0.0.1 (random port), written against the wire format:
/// A and AAAA answers from <see cref="Addresses"/>, CNAME answers from <see cref="Aliases"/>, NOERROR with no
/// answer for a known name and another type, NXDOMAIN for unknown names, SERVFAIL for <see cref="ServFail"/>,
/// REFUSED for <see cref="Refused"/>, and no reply at all for <see cref="Silent"/> names or when <see cref="SilentAll"/>.
/// </summary>
public sealed class TinyDnsServer : IAsyncDisposable
{
    private const ushort TypeA = 1;
    private const ushort TypeCname = 5;
    private const ushort TypeAaaa = 28;

    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _queries;

    public TinyDnsServer()
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
        _loop = ServeAsync();
    }

    public int Port { get; }

    /// <summary><c>127.0.0.1:port</c>, the form <c>resolver:</c> takes.</summary>
    public string Address => $"127.0.0.1:{Port}";

    /// <summary>Name (lowercase, no trailing dot) → addresses; IPv4 answer A queries, IPv6 answer AAAA.</summary>
    public ConcurrentDictionary<string, IPAddress[]> Addresses { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Name → canonical name, answered for every query type (followed by the target's addresses when known).</summary>
    public ConcurrentDictionary<string, string> Aliases { get; } = new(StringComparer.OrdinalIgnoreCase);

    public ConcurrentDictionary<string, bool> ServFail { get; } = new(StringComparer.OrdinalIgnoreCase);

    public ConcurrentDictionary<string, bool> Refused { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Names never answered (the query is read and dropped).</summary>
    public ConcurrentDictionary<string, bool> Silent { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>When true, no query is answered.</summary>
    public bool SilentAll { get; set; }

    /// <summary>TTL of every answer.</summary>
    public int Ttl { get; set; } = 60;

    public int Queries => Volatile.Read(ref _queries);

    public TinyDnsServer Add(string name, params string[] addresses)
    {
        Addresses[name.TrimEnd('.')] = addresses.Select(IPAddress.Parse).ToArray();
        return this;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopping.
        }

        _stop.Dispose();
    }

    private async Task ServeAsync()
    {
        var buffer = new byte[4096];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                // ICMP errors from earlier replies surface here on some kernels; keep serving.
                continue;
            }

            Interlocked.Increment(ref _queries);
            var reply = Answer(buffer.AsSpan(0, received.ReceivedBytes));
            if (reply is not null)
            {
                await _socket.SendToAsync(reply, SocketFlags.None, received.RemoteEndPoint, _stop.Token).ConfigureAwait(false);
            }
        }
    }

    private byte[]? Answer(ReadOnlySpan<byte> query)
    {
        if (SilentAll || query.Length < 12)
        {
            return null;
        }

        var offset = 12;
        var labels = new List<string>();
        while (offset < query.Length && query[offset] != 0)
        {
            int length = query[offset];
            if ((length & 0xC0) != 0 || offset + 1 + length > query.Length)
            {
                return null;
            }

            labels.Add(Encoding.ASCII.GetString(query.Slice(offset + 1, length)));
            offset += 1 + length;
        }

        offset++; // root label
        if (offset + 4 > query.Length)
        {
            return null;
        }

        var type = (ushort)((query[offset] << 8) | query[offset + 1]);
        var questionEnd = offset + 4;
        var name = string.Join('.', labels);
        if (Silent.ContainsKey(name))
        {
            return null;
        }

        byte rcode = 0;
        var answers = new List<(ushort Type, byte[] Data, bool AtQuestion, string Owner)>();
        if (ServFail.ContainsKey(name))
        {
            rcode = 2;
        }
        else if (Refused.ContainsKey(name))
        {
            rcode = 5;
        }
        else if (Aliases.TryGetValue(name, out var canonical))
        {
            answers.Add((TypeCname, EncodeName(canonical), true, name));
            if (type != TypeCname && Addresses.TryGetValue(canonical, out var targets))
            {
                answers.AddRange(AddressAnswers(type, targets).Select(d => (type, d, false, canonical)));
            }
        }
        else if (Addresses.TryGetValue(name, out var addresses))
        {
            answers.AddRange(AddressAnswers(type, addresses).Select(d => (type, d, true, name)));
        }
        else
        {
            rcode = 3;
        }

        using var reply = new MemoryStream();
        reply.Write(query[..2]); // id
        var rd = (byte)(query[2] & 0x01);
        reply.WriteByte((byte)(0x80 | 0x04 | rd)); // QR, AA, RD copied
        reply.WriteByte((byte)(0x80 | rcode)); // RA, rcode
        WriteUInt16(reply, 1);
        WriteUInt16(reply, (ushort)answers.Count);
        WriteUInt16(reply, 0);
        WriteUInt16(reply, 0);
        reply.Write(query[12..questionEnd]);
        foreach (var (answerType, data, atQuestion, owner) in answers)
        {
            if (atQuestion)
            {
                WriteUInt16(reply, 0xC00C);
            }
            else
            {
                reply.Write(EncodeName(owner));
            }

            WriteUInt16(reply, answerType);
            WriteUInt16(reply, 1); // IN
            WriteUInt16(reply, (ushort)(Ttl >> 16));
            WriteUInt16(reply, (ushort)(Ttl & 0xFFFF));
            WriteUInt16(reply, (ushort)data.Length);
            reply.Write(data);
        }

        return reply.ToArray();
    }

    private static IEnumerable<byte[]> AddressAnswers(ushort type, IPAddress[] addresses) => type switch
    {
        TypeA => addresses.Where(a => a.AddressFamily == AddressFamily.InterNetwork).Select(a => a.GetAddressBytes()),
        TypeAaaa => addresses.Where(a => a.AddressFamily == AddressFamily.InterNetworkV6).Select(a => a.GetAddressBytes()),
        _ => [],
    };

    private static byte[] EncodeName(string name)
    {
        using var stream = new MemoryStream();
        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            var bytes = Encoding.ASCII.GetBytes(label);
            stream.WriteByte((byte)bytes.Length);
            stream.Write(bytes);
        }

        stream.WriteByte(0);
        return stream.ToArray();
    }

    private static void WriteUInt16(Stream stream, ushort value)
    {
        stream.WriteByte((byte)(value >> 8));
        stream.WriteByte((byte)value);
    }
}
