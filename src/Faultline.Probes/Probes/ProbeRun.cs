using Faultline.Core.Model;
using Faultline.Core.Running;

namespace Faultline.Probes.Probes;

/// <summary>The mutable state of one probe run: clock, current phase, phase timings, addresses. Not shared between runs.</summary>
internal sealed class ProbeRun
{
    private readonly ProbeContext _context;
    private readonly long _started;
    private long _phaseStarted;
    private bool _phaseTimed;
    private double? _dnsMs;
    private double? _connectMs;
    private double? _tlsMs;
    private double? _firstByteMs;
    private double? _transferMs;

    public ProbeRun(ProbeContext context)
    {
        _context = context;
        _started = context.StartTimestamp();
        _phaseStarted = _started;
    }

    /// <summary>dns, connect, tls, request, response, read, ...</summary>
    public string Phase { get; private set; } = "start";

    public bool Connected { get; set; }

    public IReadOnlyList<string> Addresses { get; set; } = [];

    public TimeSpan Elapsed => _context.Time.GetElapsedTime(_started);

    /// <summary>Time spent in the current phase so far.</summary>
    public TimeSpan PhaseElapsed => _context.Time.GetElapsedTime(_phaseStarted);

    public long Timestamp() => _context.Time.GetTimestamp();

    public double MillisecondsSince(long timestamp) => _context.Time.GetElapsedTime(timestamp).TotalMilliseconds;

    public void Enter(string phase)
    {
        Phase = phase;
        _phaseStarted = _context.Time.GetTimestamp();
        _phaseTimed = false;
    }

    /// <summary>Adds the current phase's time to its timing (phases repeat across redirects).</summary>
    public double CompleteDns() => Add(ref _dnsMs);

    public double CompleteConnect() => Add(ref _connectMs);

    public double CompleteTls() => Add(ref _tlsMs);

    public void AddFirstByte(double ms) => _firstByteMs = (_firstByteMs ?? 0) + Math.Max(0, ms);

    public double CompleteTransfer() => Add(ref _transferMs);

    public PhaseTimings Timings => new()
    {
        DnsMs = Round(_dnsMs),
        ConnectMs = Round(_connectMs),
        TlsMs = Round(_tlsMs),
        FirstByteMs = Round(_firstByteMs),
        TransferMs = Round(_transferMs),
    };

    /// <summary>
    /// An observation with this run's timings, addresses and connection state. On an error, the phase
    /// that failed is timed up to now (a DNS failure still has a DNS time).
    /// </summary>
    public Observation Observe(string target, ProbeError? error)
    {
        if (error is not null && !_phaseTimed)
        {
            _ = Phase switch
            {
                "dns" => CompleteDns(),
                "connect" => CompleteConnect(),
                "tls" => CompleteTls(),
                "response" => CompleteTransfer(),
                _ => 0,
            };
        }

        return Build(target, error);
    }

    private Observation Build(string target, ProbeError? error) => new()
    {
        Target = _context.Redactor.Redact(target),
        Connected = Connected,
        Elapsed = Elapsed,
        Phases = Timings,
        Addresses = Addresses,
        Error = error is null ? null : error with { Message = _context.Redactor.Redact(error.Message) },
    };

    private double Add(ref double? slot)
    {
        var ms = PhaseElapsed.TotalMilliseconds;
        slot = (slot ?? 0) + ms;
        _phaseTimed = true;
        return ms;
    }

    private static double? Round(double? value) => value is null ? null : Math.Round(value.Value, 3);
}
