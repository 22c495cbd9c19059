using System.Runtime.InteropServices;

namespace Faultline.Cli;

/// <summary>
/// How a command is asked to stop: SIGINT (Ctrl-C) or SIGTERM cancels <see cref="Token"/>; the command stops what it
/// is doing (loading the config, probing, waiting between runs) and faultline exits 130 or 143 with one line on stderr
/// (<see cref="Line"/>). A command that has not returned <see cref="Grace"/> after the signal (or at a second signal)
/// is abandoned: <see cref="Overdue"/> completes and faultline exits all the same. <c>faultline monitor</c> treats a
/// signal once it is monitoring as its normal stop (exit 0).
/// </summary>
internal sealed class Termination : IDisposable
{
    /// <summary>How long a command may take to stop once signalled (monitor flushes alerts for up to 5 s).</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    private readonly CancellationTokenSource _cancellation = new();
    private readonly TaskCompletionSource _overdue = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly Lock _lock = new();
    private ITimer? _timer;
    private PosixSignal? _signal;

    /// <summary>Cancelled at the first signal.</summary>
    public CancellationToken Token => _cancellation.Token;

    /// <summary>The first signal received, if any.</summary>
    public PosixSignal? Signal
    {
        get
        {
            lock (_lock)
            {
                return _signal;
            }
        }
    }

    /// <summary>Completes <see cref="Grace"/> after the first signal, or at the second.</summary>
    public Task Overdue => _overdue.Task;

    /// <summary>130 for SIGINT (and for a cancellation without a signal), 143 for SIGTERM.</summary>
    public int ExitCode => Signal == PosixSignal.SIGTERM ? ExitCodes.Terminated : ExitCodes.Interrupted;

    /// <summary>A termination that listens to SIGINT and SIGTERM of this process (for <c>Main</c>).</summary>
    public static Termination ListenToSignals()
    {
        var termination = new Termination();
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
        {
            termination._registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                // Handled here: the process ends when the command has stopped, with the exit code for the signal.
                context.Cancel = true;
                termination.Request(context.Signal);
            }));
        }

        return termination;
    }

    /// <summary>The one stderr line for the signal: <c>faultline: interrupted</c> or <c>faultline: terminated</c>, then the detail.</summary>
    public string Line(string? detail = null) =>
        "faultline: " + (Signal == PosixSignal.SIGTERM ? "terminated" : "interrupted") + (string.IsNullOrEmpty(detail) ? string.Empty : "; " + detail);

    /// <summary>What a signal does (also called by tests in-process).</summary>
    public void Request(PosixSignal signal)
    {
        lock (_lock)
        {
            if (_signal is not null)
            {
                _overdue.TrySetResult();
                return;
            }

            _signal = signal;
            _timer = TimeProvider.System.CreateTimer(_ => _overdue.TrySetResult(), null, Grace, Timeout.InfiniteTimeSpan);
        }

        _cancellation.Cancel();
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        lock (_lock)
        {
            _timer?.Dispose();
        }

        _cancellation.Dispose();
    }
}
