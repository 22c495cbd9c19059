using Polly;

namespace Faultline.AspNetCore;

/// <summary>Why a request-path call to a dependency was not made or not finished.</summary>
public enum DependencyUnavailableReason
{
    /// <summary>The dependency's circuit breaker is open (or isolated): the call was refused without trying.</summary>
    CircuitOpen,

    /// <summary>The call did not finish within the dependency's request timeout (<c>Faultline:Requests:&lt;name&gt;:Timeout</c>).</summary>
    TimedOut,
}

/// <summary>
/// Thrown by a dependency's request-path pipeline instead of Polly's <c>BrokenCircuitException</c> and
/// <c>TimeoutRejectedException</c>, so the caller knows which dependency is unavailable and why — e.g. to
/// answer 503 naming it. Failures the dependency itself reports (a lost connection, a server error) pass
/// through unchanged.
/// </summary>
public sealed class DependencyUnavailableException : ExecutionRejectedException
{
    public DependencyUnavailableException()
        : this("a dependency is unavailable")
    {
    }

    public DependencyUnavailableException(string message)
        : base(message)
    {
        Dependency = string.Empty;
    }

    public DependencyUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
        Dependency = string.Empty;
    }

    internal DependencyUnavailableException(string dependency, DependencyUnavailableReason reason, TimeSpan? retryAfter, TimeSpan? timeout, Exception innerException)
        : base(Describe(dependency, reason, retryAfter, timeout), innerException)
    {
        Dependency = dependency;
        Reason = reason;
        RetryAfter = retryAfter;
        Timeout = timeout;
    }

    /// <summary>The dependency's name (as given to <c>AddDependency</c>).</summary>
    public string Dependency { get; }

    public DependencyUnavailableReason Reason { get; }

    /// <summary>For <see cref="DependencyUnavailableReason.CircuitOpen"/>: when the breaker lets the next trial through, when Polly knows it.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>For <see cref="DependencyUnavailableReason.TimedOut"/>: the request timeout that passed.</summary>
    public TimeSpan? Timeout { get; }

    private static string Describe(string dependency, DependencyUnavailableReason reason, TimeSpan? retryAfter, TimeSpan? timeout) => reason switch
    {
        DependencyUnavailableReason.CircuitOpen => retryAfter is { } after && after > TimeSpan.Zero
            ? $"{dependency} is unavailable: its circuit breaker is open after repeated failures (next trial in {Core.Model.Durations.Describe(after)})"
            : $"{dependency} is unavailable: its circuit breaker is open after repeated failures",
        _ => $"{dependency} did not answer within {(timeout is { } t ? Core.Model.Durations.Describe(t) : "its request timeout")}",
    };
}
