using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;

namespace Faultline.Probes.Probes;

/// <summary>
/// Reads secrets from the environment or a directory (one file per secret) and reports presence,
/// length, rule results and an 8-hex SHA-256 fingerprint. Values are registered with the redactor
/// and never copied into the observation.
/// </summary>
internal sealed class SecretProbe() : TimedProbe(TargetKinds.Secret, "reads")
{
    private static readonly TimeSpan PatternTimeout = TimeSpan.FromSeconds(1);

    protected override async Task<Observation> ObserveAsync(TargetSpec target, ProbeContext context, ProbeRun run, CancellationToken cancellationToken)
    {
        var directory = target.Source?.Directory;
        var source = directory is null ? "env" : $"dir:{directory}";

        var names = target.Required.Concat(target.Rules.Keys).Distinct(StringComparer.Ordinal).ToList();
        if (directory is not null)
        {
            if (!Directory.Exists(directory))
            {
                return Finish(run, source, [], ProbeErrors.Config($"secret directory {directory} does not exist") with { Phase = "read" });
            }

            var bad = names.FirstOrDefault(n => n.Length == 0 || n is "." or ".." || n.IndexOfAny(['/', '\\', '\0']) >= 0);
            if (bad is not null)
            {
                return Finish(run, source, [], ProbeErrors.Config($"secret name '{bad}' cannot be a file name in {directory}") with { Phase = "read" });
            }
        }

        run.Enter("read");
        var entries = new List<SecretEntry>();
        var missing = new List<string>();
        var broken = new List<string>();
        foreach (var name in names)
        {
            string? value;
            try
            {
                value = directory is null ? context.GetEnvironmentVariable(name) : await ReadFileAsync(directory, name, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex) when (!context.IsCallerCancellation && cancellationToken.IsCancellationRequested)
            {
                var error = new ProbeError(ErrorKind.Timeout, $"reading secret {name} from {directory} did not finish within {Durations.Describe(run.Elapsed)}") { Phase = "read", Exception = ex };
                return Finish(run, source, entries, error);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                var error = ProbeErrors.Config($"secret {name} in {directory} cannot be read: {ex.GetType().Name}", ex) with { Phase = "read" };
                return Finish(run, source, entries, error);
            }

            context.Redactor.Add(value);
            var required = target.Required.Contains(name, StringComparer.Ordinal);
            var present = !string.IsNullOrEmpty(value);
            if (!present)
            {
                if (required)
                {
                    missing.Add(value is null ? name : $"{name} (empty)");
                }

                entries.Add(new SecretEntry { Name = name, Present = false, Required = required, Length = value is null ? null : 0 });
                continue;
            }

            var rules = target.Rules.TryGetValue(name, out var spec) ? Evaluate(spec, value!) : [];
            broken.AddRange(rules.Where(r => !r.Ok).Select(r => $"{name} breaks {r.Rule} ({r.Detail})"));
            entries.Add(new SecretEntry
            {
                Name = name,
                Present = true,
                Required = required,
                Length = value!.Length,
                Fingerprint = Fingerprint(value),
                Rules = rules,
            });
        }

        ProbeError? failure = null;
        if (missing.Count > 0)
        {
            var text = $"missing required secret{(missing.Count == 1 ? string.Empty : "s")} in {Describe(source)}: {string.Join(", ", missing)}";
            if (broken.Count > 0)
            {
                text += "; also " + string.Join("; ", broken);
            }

            failure = new ProbeError(ErrorKind.SecretMissing, text) { Phase = "read" };
        }
        else if (broken.Count > 0)
        {
            failure = new ProbeError(ErrorKind.SecretInvalid, string.Join("; ", broken)) { Phase = "rules" };
        }

        run.Enter("done");
        return Finish(run, source, entries, failure);
    }

    /// <summary>First 8 hex digits (lowercase) of the SHA-256 of the UTF-8 value.</summary>
    internal static string Fingerprint(string value) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..8];

    private static async Task<string?> ReadFileAsync(string directory, string name, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, name);
        if (!File.Exists(path))
        {
            return null;
        }

        var text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        return text.TrimEnd('\r', '\n');
    }

    private static List<SecretRuleResult> Evaluate(SecretRuleSpec spec, string value)
    {
        var results = new List<SecretRuleResult>();
        if (spec.MinLength is { } minLength)
        {
            var ok = value.Length >= minLength;
            results.Add(new SecretRuleResult($"minLength {minLength}", ok,
                ok ? string.Create(CultureInfo.InvariantCulture, $"length {value.Length}") : string.Create(CultureInfo.InvariantCulture, $"length {value.Length} < {minLength}")));
        }

        if (spec.Scheme is { Count: > 0 } schemes)
        {
            var wanted = $"[{string.Join(", ", schemes)}]";
            var scheme = SchemeOf(value);
            var ok = scheme is not null && schemes.Contains(scheme, StringComparer.OrdinalIgnoreCase);
            var detail = scheme is null ? $"not a URL with a scheme://, expected one of {wanted}"
                : ok ? $"scheme {scheme}"
                : $"scheme {scheme} is not one of {wanted}";
            results.Add(new SecretRuleResult($"scheme {wanted}", ok, detail));
        }

        if (spec.Pattern is { } pattern)
        {
            bool ok;
            string detail;
            try
            {
                ok = Regex.IsMatch(value, pattern, RegexOptions.CultureInvariant, PatternTimeout);
                detail = ok ? "matches" : $"does not match {pattern}";
            }
            catch (RegexMatchTimeoutException)
            {
                ok = false;
                detail = $"pattern {pattern} took longer than {Durations.Describe(PatternTimeout)}";
            }
            catch (ArgumentException)
            {
                ok = false;
                detail = $"pattern {pattern} is not a valid regular expression";
            }

            results.Add(new SecretRuleResult($"pattern {pattern}", ok, detail));
        }

        return results;
    }

    /// <summary>
    /// The URL scheme, only when the value has the shape <c>scheme://</c> with a plain scheme name; the
    /// scheme is then structure, not secret, and safe to name. Anything else yields null.
    /// </summary>
    private static string? SchemeOf(string value)
    {
        var separator = value.IndexOf("://", StringComparison.Ordinal);
        if (separator is <= 0 or > 32 || !Uri.TryCreate(value, UriKind.Absolute, out var uri))
        {
            return null;
        }

        var scheme = value[..separator];
        return string.Equals(scheme, uri.Scheme, StringComparison.OrdinalIgnoreCase)
            && scheme.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.')
            ? uri.Scheme
            : null;
    }

    private static string Describe(string source) => source == "env" ? "the environment" : source;

    private static Observation Finish(ProbeRun run, string source, List<SecretEntry> entries, ProbeError? error) =>
        run.Observe(source, error) with
        {
            Secrets = new SecretObservation { Source = source, Entries = entries },
        };
}
