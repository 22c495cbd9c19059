using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Faultline.Probes;
using Faultline.Probes.Net;
using Microsoft.Extensions.Logging;

namespace Faultline.AspNetCore.Probing;

/// <summary>
/// Runs one Faultline target through Core's <see cref="CheckRunner"/> (probe → conditions → classifier,
/// secrets redacted). The one way the library probes anything: startup requirements, background
/// dependency checks and probes registered as health checks.
/// </summary>
internal sealed class ProbeRunner
{
    /// <summary>Deadline of a probe when neither the target nor the caller gives one.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The <see cref="ProbeError.Code"/> of the error made for a result that failed on a condition, not on a probe error.</summary>
    public const string ConditionCode = "condition";

    private readonly CheckRunner _runner;
    private readonly SecretScrubber _scrubber;

    public ProbeRunner(ProbeCatalog probes, TimeProvider time, ILoggerFactory loggerFactory, SecretScrubber scrubber)
    {
        _runner = new CheckRunner(probes, HostResolvers.For, time, loggerFactory);
        _scrubber = scrubber;
    }

    /// <summary>
    /// The built-in probes (http, tls, dns, tcp, secret, ...) with <paramref name="custom"/> ones replacing a kind or adding
    /// one — among them the postgres and redis probes that <c>AddPostgres</c> / <c>AddRedis</c> add. Without them, a
    /// postgres or redis target fails with config-invalid naming the package to add.
    /// </summary>
    public static ProbeCatalog Catalog(IEnumerable<IProbe> custom) =>
        BuiltInProbes.Create().With(DriverPackages.Placeholders()).With(custom);

    /// <summary>The kinds that <see cref="Catalog"/> can really probe (no placeholder for a missing driver package).</summary>
    public static IReadOnlySet<string> ProbedKinds(IEnumerable<IProbe> custom) =>
        Catalog(custom).Where(p => !DriverPackages.IsPlaceholder(p)).Select(p => p.Kind).ToHashSet(StringComparer.Ordinal);

    /// <summary>Runs <paramref name="target"/> under its own timeout, or <paramref name="timeout"/> when it has none; the error message scrubbed.</summary>
    public async Task<TargetResult> RunAsync(TargetSpec target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var context = new FaultlineConfig { Defaults = new DefaultsSpec { Timeout = timeout } };
        var results = await _runner.RunTargetAsync(context, target with { Timeout = target.Timeout ?? timeout }, new CheckOptions { KnownSecrets = _scrubber.KnownValues }, cancellationToken).ConfigureAwait(false);
        var result = results[0];
        return result.Error is { } error ? result with { Error = error with { Message = _scrubber.Scrub(error.Message) } } : result;
    }

    /// <summary>The typed error of a failed result: the probe's own, or one naming the failed conditions.</summary>
    public static ProbeError ErrorOf(TargetResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Observation?.Error is { } observed)
        {
            return result.Error is { } redacted ? observed with { Message = redacted.Message } : observed;
        }

        var failed = result.Conditions.Where(c => !c.Ok).Select(c => c.Actual is null ? c.Expr : $"{c.Expr} (actual {c.Actual})");
        return new ProbeError(ErrorKind.ProtocolError, $"{result.Name}: condition failed: {string.Join("; ", failed)}") { Code = ConditionCode };
    }

    /// <summary>True when <paramref name="error"/> stands for failed conditions rather than an observed error kind.</summary>
    public static bool IsCondition(ProbeError error) => string.Equals(error.Code, ConditionCode, StringComparison.Ordinal);
}
