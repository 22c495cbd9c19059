using Faultline.AspNetCore.Probing;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Faultline.AspNetCore;

/// <summary>What a startup phase gets on each attempt.</summary>
public sealed class PhaseContext
{
    public required string Phase { get; init; }

    /// <summary>1 for the first attempt.</summary>
    public required int Attempt { get; init; }

    public required IServiceProvider Services { get; init; }

    public required TimeProvider Time { get; init; }

    public required ILogger Logger { get; init; }

    /// <summary>When this attempt's timeout fires (<see cref="TimeProvider.GetTimestamp"/> units); null when unknown.</summary>
    internal long? AttemptDeadline { get; init; }

    /// <summary>The last target that <see cref="RequireAsync"/> found failing, with its result, so the plan can attribute the failure precisely.</summary>
    internal RequirementFailure? LastFailure { get; private set; }

    /// <summary>
    /// Runs the Faultline probe for <paramref name="target"/> (its <see cref="TargetSpec.Kind"/>: http, tcp, dns, tls,
    /// secret, postgres, redis or a kind added with <c>AddProbe</c>), evaluates its conditions, and throws when it fails:
    /// a <see cref="ProbeException"/> carrying the typed error (connection-refused, connect-timeout,
    /// database-auth-failed, secret-missing, ...), so the phase fails with the layer and cause the probe saw.
    /// Without a <see cref="TargetSpec.Timeout"/> the probe gets what is left of this attempt.
    /// </summary>
    /// <exception cref="ProbeException">The probe observed an error, or a condition failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public async Task RequireAsync(TargetSpec target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var runner = Services.GetService<ProbeRunner>() ?? throw new InvalidOperationException("RequireAsync needs the services registered by AddFaultline");
        var timeout = target.Timeout ?? Remaining() ?? ProbeRunner.DefaultTimeout;
        var result = await runner.RunAsync(target, timeout, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (result.Status != ResultStatus.Fail)
        {
            return;
        }

        var error = ProbeRunner.ErrorOf(result);
        LastFailure = new RequirementFailure(target, result, error);
        throw new ProbeException(error);
    }

    /// <summary>
    /// Checks that every configuration key in <paramref name="keys"/> (e.g. <c>Jwt:Secret</c>,
    /// <c>ConnectionStrings:Postgres</c>) has a non-blank value; throws a <see cref="ProbeException"/> with
    /// <see cref="ErrorKind.SecretMissing"/> naming the missing keys (never a value) otherwise.
    /// </summary>
    /// <exception cref="ProbeException">At least one key is missing or blank.</exception>
    public void RequireSecrets(params string[] keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var configuration = Services.GetRequiredService<IConfiguration>();
        var missing = keys.Where(key => string.IsNullOrWhiteSpace(configuration[key])).ToList();
        if (missing.Count > 0)
        {
            var noun = missing.Count == 1 ? "secret" : "secrets";
            throw new ProbeException(new ProbeError(ErrorKind.SecretMissing, $"required {noun} {string.Join(", ", missing)} missing from the configuration") { Phase = "read" });
        }
    }

    private TimeSpan? Remaining()
    {
        if (AttemptDeadline is not { } deadline)
        {
            return null;
        }

        var left = Time.GetElapsedTime(Time.GetTimestamp(), deadline);
        // Leave the probe a little less than the attempt so its own, precise timeout (connect-timeout, read-timeout) fires first.
        var margin = TimeSpan.FromTicks(Math.Clamp(left.Ticks / 20, TimeSpan.FromMilliseconds(20).Ticks, TimeSpan.FromMilliseconds(500).Ticks));
        var timeout = left - margin;
        return timeout > TimeSpan.FromMilliseconds(50) ? timeout : TimeSpan.FromMilliseconds(50);
    }
}

/// <summary>A requirement that failed: the target, its result and the typed error thrown for it.</summary>
internal sealed record RequirementFailure(TargetSpec Target, TargetResult Result, ProbeError Error);
