namespace Faultline.Lab.Stack;

/// <summary>
/// A lab operation failed for a reason the user can act on (a missing package, a port in use, a
/// service that did not start). The message says what and how to fix it; print it, not a stack trace.
/// </summary>
public sealed class LabException : Exception
{
    public LabException()
    {
    }

    public LabException(string message)
        : base(message)
    {
    }

    public LabException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
