namespace Faultline.AspNetCore;

/// <summary>The process exit codes <c>RunFaultlineAsync</c> returns (see the library README).</summary>
public static class FaultlineExitCodes
{
    /// <summary>The host stopped cleanly (startup completed or was interrupted by a shutdown).</summary>
    public const int Clean = 0;

    /// <summary>
    /// Startup failed: a critical phase failed, or the configuration is invalid (options, phase graph,
    /// a missing required secret). The phase, layer and cause are on stderr, in the startup timeline and
    /// in the termination-message file.
    /// </summary>
    public const int StartupFailed = 3;
}
