using System.Net;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Faultline.Core.Running;

/// <summary>Observes one kind of target. Implementations never decide pass/fail.</summary>
public interface IProbe
{
    /// <summary>The config <c>kind</c> this probe serves (see <see cref="TargetKinds"/>).</summary>
    string Kind { get; }

    /// <summary>
    /// The conditions a target of this kind is judged by when it lists none (http: <c>[STATUS] &lt; 400</c>); empty when
    /// only the error the probe observed decides.
    /// </summary>
    IReadOnlyList<string> DefaultConditions => [];

    /// <summary>What one attempt of this kind is called in a load check's evidence: <c>connects</c>, <c>requests</c>, ...</summary>
    string AttemptNoun => LoadChecks.DefaultAttemptNoun;

    /// <summary>The deadline of a target of this kind that sets no <c>timeout</c>; null for <c>defaults.timeout</c>.</summary>
    TimeSpan? DefaultTimeout(TargetSpec target) => null;

    /// <summary>
    /// Probe the target. <paramref name="cancellationToken"/> fires at the target's deadline or when
    /// the caller cancels; <see cref="ProbeContext.IsCallerCancellation"/> tells which. On a deadline
    /// the probe returns an observation whose error names the phase it was in (connect-timeout,
    /// read-timeout, dns-timeout, ...); only a caller cancellation may throw.
    /// </summary>
    Task<Observation> ProbeAsync(TargetSpec target, ProbeContext context, CancellationToken cancellationToken);
}

/// <summary>Resolves host names, through the system or a configured DNS server.</summary>
public interface IHostResolver
{
    /// <summary>Human-readable name of the resolver, e.g. <c>system</c> or <c>127.0.0.1:5353</c>.</summary>
    string Name { get; }

    /// <summary>Resolve; throws <see cref="ProbeException"/> with a Dns* kind on failure. IP literals return themselves.</summary>
    Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken);
}

/// <summary>Everything a probe may use besides its target: time, the resolver, the environment.</summary>
public sealed class ProbeContext
{
    public required TimeProvider Time { get; init; }

    /// <summary>The target's deadline, for probes that pass timeouts to client libraries.</summary>
    public required TimeSpan Timeout { get; init; }

    public required IHostResolver Resolver { get; init; }

    /// <summary>
    /// The directory of the config file: where a probe that runs a command starts it when the target names no working
    /// directory. Null when the config came from no file; the current directory then.
    /// </summary>
    public string? BaseDirectory { get; init; }

    /// <summary>Reads an environment variable (the secret probe); tests substitute their own.</summary>
    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>Values that must never appear in output; probes add what they read (secret values, passwords).</summary>
    public required SecretRedactor Redactor { get; init; }

    /// <summary>The caller's token (Ctrl-C), distinct from the deadline.</summary>
    public CancellationToken CallerToken { get; init; }

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>
    /// The <see cref="TimeProvider.GetTimestamp"/> at which the target's deadline started. Probes measure their
    /// elapsed time from here, so a probe scheduled late under load does not report less than it waited.
    /// Null when the caller sets no deadline clock; probes then start their own.
    /// </summary>
    public long? StartedTimestamp { get; init; }

    /// <summary>The timestamp a probe measures from: <see cref="StartedTimestamp"/>, or now.</summary>
    public long StartTimestamp() => StartedTimestamp ?? Time.GetTimestamp();

    /// <summary>True when a cancellation came from the caller rather than from the target's deadline.</summary>
    public bool IsCallerCancellation => CallerToken.IsCancellationRequested;
}
