using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Faultline.TestSupport;

/// <summary>
/// A minimal authoritative DNS server over UDP and TCP on 127.0.0.1 (one random port for both), written against
/// the wire format: A and AAAA answers from <see cref="Addresses"/>, CNAME answers from <see cref="Aliases"/>,
/// NOERROR with no answer for a known name and another type, NXDOMAIN for unknown names, SERVFAIL for
/// <see cref="ServFail"/>, REFUSED for <see cref="Refused"/>, and no reply at all for <see cref="Silent"/> names or
/// when <see cref="SilentAll"/>. A UDP answer longer than <see cref="MaxUdpSize"/> is sent as the header and question
/// with the TC bit set, so the client asks again over TCP, where the whole answer comes. <see cref="Hostile"/> names
/// get a broken answer instead (<see cref="DnsHostileAnswer"/>), over UDP and TCP alike.
/// </summary>
public sealed class TinyDnsServer : IAsyncDisposable
{
    private const ushort TypeA = 1;
    private const ushort TypeCname = 5;
    private const ushort TypeTxt = 16;
    private const ushort TypeAaaa = 28;

    private readonly Socket _socket;
    private readonly Socket _tcp;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Task _tcpLoop;
    private readonly Lock _randomGate = new();
    private Random _random = new(0);
    private int _queries;
    private int _tcpQueries;

    public TinyDnsServer()
        : this(tcp: true)
    {
    }

    /// <summary>With <paramref name="tcp"/> false the server answers over UDP only: its TCP port is held but refuses connections.</summary>
    public TinyDnsServer(bool tcp)
    {
        // UDP and TCP on the same port number: bind UDP to a free port, then TCP to it (another if that one is taken).
        for (var attempt = 0; ; attempt++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
            var stream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                stream.Bind(new IPEndPoint(IPAddress.Loopback, port));
            }
            catch (SocketException) when (attempt < 20)
            {
                socket.Dispose();
                stream.Dispose();
                continue;
            }

            (_socket, _tcp, Port) = (socket, stream, port);
            break;
        }

        _loop = ServeAsync();
        if (tcp)
        {
            // Bound but not listening, the port answers a connection attempt with RST: refused.
            _tcp.Listen();
            _tcpLoop = ServeTcpAsync();
        }
        else
        {
            _tcpLoop = Task.CompletedTask;
        }
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

    /// <summary>Name → text, answered as a TXT record after the other answers, for every query type of a known name.</summary>
    public ConcurrentDictionary<string, string> Texts { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Names answered with a broken answer of the given kind.</summary>
    public ConcurrentDictionary<string, DnsHostileAnswer> Hostile { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The seed of the bytes of <see cref="DnsHostileAnswer.RandomBytes"/> answers.</summary>
    public int Seed
    {
        get;
        set
        {
            field = value;
            lock (_randomGate)
            {
                _random = new Random(value);
            }
        }
    }

    /// <summary>When true, no query is answered.</summary>
    public bool SilentAll { get; set; }

    /// <summary>The longest answer sent over UDP (RFC 1035: 512); a longer one goes out truncated, with the TC bit.</summary>
    public int MaxUdpSize { get; set; } = 512;

    /// <summary>Queries that came over TCP.</summary>
    public int TcpQueries => Volatile.Read(ref _tcpQueries);

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
        _tcp.Dispose();
        foreach (var loop in new[] { _loop, _tcpLoop })
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // Stopping.
            }
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
            var reply = Answer(buffer.AsSpan(0, received.ReceivedBytes), overTcp: false);
            if (reply is not null)
            {
                await _socket.SendToAsync(reply, SocketFlags.None, received.RemoteEndPoint, _stop.Token).ConfigureAwait(false);
            }
        }
    }

    private async Task ServeTcpAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _tcp.AcceptAsync(_stop.Token).ConfigureAwait(false);
                connections.Add(ServeConnectionAsync(client));
            }
        }
        finally
        {
            await Task.WhenAll(connections).ConfigureAwait(false);
        }
    }

    /// <summary>One TCP connection: length-prefixed queries, each answered in turn, until the client closes it.</summary>
    private async Task ServeConnectionAsync(Socket client)
    {
        await using var stream = new NetworkStream(client, ownsSocket: true);
        var prefix = new byte[2];
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await stream.ReadExactlyAsync(prefix, _stop.Token).ConfigureAwait(false);
                var query = new byte[(prefix[0] << 8) | prefix[1]];
                await stream.ReadExactlyAsync(query, _stop.Token).ConfigureAwait(false);
                Interlocked.Increment(ref _queries);
                Interlocked.Increment(ref _tcpQueries);
                var reply = Answer(query, overTcp: true);
                if (reply is null)
                {
                    continue;
                }

                var framed = new byte[reply.Length + 2];
                framed[0] = (byte)(reply.Length >> 8);
                framed[1] = (byte)reply.Length;
                reply.CopyTo(framed, 2);
                await stream.WriteAsync(framed, _stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // The client closed the connection, or the server is stopping.
        }
    }

    private byte[]? Answer(ReadOnlySpan<byte> query, bool overTcp)
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

        if (Hostile.TryGetValue(name, out var hostile))
        {
            return hostile == DnsHostileAnswer.RandomBytes ? RandomAnswer(query[..questionEnd], overTcp) : HostileAnswer(hostile, query[..questionEnd]);
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

        if (rcode == 0 && Texts.TryGetValue(name, out var text))
        {
            answers.Add((TypeTxt, EncodeText(text), true, name));
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

        if (!overTcp && reply.Length > MaxUdpSize)
        {
            // Too long for UDP: header and question only, TC set, no records (the client asks again over TCP).
            return Header(query[..questionEnd], flags2: (byte)(0x80 | rcode), answers: 0, truncated: true);
        }

        return reply.ToArray();
    }

    /// <summary>A broken answer to a query whose header and question are <paramref name="question"/>.</summary>
    private static byte[] HostileAnswer(DnsHostileAnswer kind, ReadOnlySpan<byte> question)
    {
        switch (kind)
        {
            case DnsHostileAnswer.Garbage:
                {
                    // A valid header announcing one answer, then bytes that are no question and no record:
                    // 0xFF starts a compression pointer to an offset far beyond the message.
                    var header = Header(question, flags2: 0x80, answers: 1, truncated: false).AsSpan(0, 12).ToArray();
                    return [.. header, .. Enumerable.Repeat((byte)0xFF, 40)];
                }

            case DnsHostileAnswer.WrongId:
                {
                    var reply = Header(question, flags2: 0x80, answers: 1, truncated: false);
                    var id = (ushort)(((reply[0] << 8) | reply[1]) ^ 0x5A5A);
                    reply[0] = (byte)(id >> 8);
                    reply[1] = (byte)id;
                    return [.. reply, .. AddressRecord()];
                }

            case DnsHostileAnswer.Cut:
                {
                    // A well-formed answer with one A record, cut off two bytes into the record's address.
                    byte[] whole = [.. Header(question, flags2: 0x80, answers: 1, truncated: false), .. AddressRecord()];
                    return whole[..^2];
                }

            case DnsHostileAnswer.TruncatedEverywhere:
                return Header(question, flags2: 0x80, answers: 0, truncated: true);

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    /// <summary>The query's id, QR set, no TC, then random bytes (half the time after the question); up to 1400 bytes over UDP, 3000 over TCP.</summary>
    private byte[] RandomAnswer(ReadOnlySpan<byte> question, bool overTcp)
    {
        byte[] reply;
        lock (_randomGate)
        {
            reply = new byte[_random.Next(12, overTcp ? 3000 : 1400)];
            _random.NextBytes(reply);
            if (_random.Next(2) == 0 && reply.Length >= question.Length + 4)
            {
                // Header and question as a real answer has them, one to four answers announced, then noise.
                Header(question, flags2: 0x80, answers: (ushort)_random.Next(1, 5), truncated: false).CopyTo(reply, 0);
            }
        }

        reply[0] = question[0];
        reply[1] = question[1];
        reply[2] = (byte)((reply[2] | 0x80) & ~0x02);
        reply[3] = (byte)(reply[3] & 0xF0);
        return reply;
    }

    /// <summary>An A record for the question's name (127.0.0.1, TTL 60).</summary>
    private static byte[] AddressRecord() => [0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1];

    /// <summary>A reply header (id and RD copied, QR, AA, RA) and the question, with <paramref name="answers"/> announced.</summary>
    private static byte[] Header(ReadOnlySpan<byte> question, byte flags2, ushort answers, bool truncated)
    {
        using var reply = new MemoryStream();
        reply.Write(question[..2]);
        reply.WriteByte((byte)(0x80 | 0x04 | (truncated ? 0x02 : 0) | (question[2] & 0x01)));
        reply.WriteByte(flags2);
        WriteUInt16(reply, 1);
        WriteUInt16(reply, answers);
        WriteUInt16(reply, 0);
        WriteUInt16(reply, 0);
        reply.Write(question[12..]);
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

    /// <summary>TXT data: the text in character-strings of at most 255 bytes each.</summary>
    private static byte[] EncodeText(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        using var stream = new MemoryStream();
        for (var offset = 0; offset < bytes.Length; offset += 255)
        {
            var length = Math.Min(255, bytes.Length - offset);
            stream.WriteByte((byte)length);
            stream.Write(bytes, offset, length);
        }

        return stream.ToArray();
    }

    private static void WriteUInt16(Stream stream, ushort value)
    {
        stream.WriteByte((byte)(value >> 8));
        stream.WriteByte((byte)value);
    }
}

/// <summary>Broken answers a <see cref="TinyDnsServer"/> sends for its <see cref="TinyDnsServer.Hostile"/> names.</summary>
public enum DnsHostileAnswer
{
    /// <summary>A valid header (the query's id, one answer announced), then bytes that do not parse.</summary>
    Garbage,

    /// <summary>A well-formed answer with another id than the query's.</summary>
    WrongId,

    /// <summary>A well-formed answer cut off in the middle of its record (no TC bit).</summary>
    Cut,

    /// <summary>The TC bit over UDP and over TCP alike: the answer never comes whole.</summary>
    TruncatedEverywhere,

    /// <summary>The query's id and the QR bit, then random bytes (from <see cref="TinyDnsServer.Seed"/>), sometimes after a valid header and question.</summary>
    RandomBytes,
}
