namespace Faultline.Cli;

/// <summary>Exit codes of check (and later validate and lab run). Documented in docs/report.md.</summary>
internal static class ExitCodes
{
    /// <summary>Every critical target passed.</summary>
    public const int Ok = 0;

    /// <summary>At least one critical target failed.</summary>
    public const int CriticalFailure = 1;

    /// <summary>Invalid configuration or usage.</summary>
    public const int Usage = 2;

    /// <summary>Faultline itself failed.</summary>
    public const int Internal = 3;

    /// <summary>Interrupted by the user (Ctrl-C, SIGINT): 128 + 2, as shells expect.</summary>
    public const int Interrupted = 130;

    /// <summary>Asked to stop (SIGTERM, e.g. by a CI runner or a service manager): 128 + 15, as shells expect.</summary>
    public const int Terminated = 143;
}
