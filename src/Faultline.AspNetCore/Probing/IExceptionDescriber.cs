using Faultline.Core.Model;

namespace Faultline.AspNetCore.Probing;

/// <summary>
/// Types an exception a driver threw inside a startup phase (a phase's own database or cache code, not a Faultline
/// probe), the way the driver's probe would: SQLSTATE 28P01 → database-auth-failed, NOAUTH → cache-auth-failed.
/// A driver package registers one; the library itself references no driver.
/// </summary>
internal interface IExceptionDescriber
{
    /// <summary>The typed error, or null when nothing in the exception's chain comes from this describer's driver.</summary>
    /// <param name="dependency">How the message names what failed, e.g. <c>'postgres'</c> (the phase's breaker).</param>
    ProbeError? Describe(Exception exception, string dependency);
}
