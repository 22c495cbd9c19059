using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Faultline.AspNetCore.Options;

/// <summary>
/// Binds the <c>Faultline</c> section. Unknown keys and values that do not convert are not thrown here
/// (that would surface as an unhandled exception from wherever options are first read): they are kept
/// in <see cref="FaultlineOptions.BindingErrors"/> and reported by validation, at start, as a
/// configuration failure (exit code 3).
/// </summary>
internal sealed class FaultlineOptionsSetup(IConfiguration section) : IConfigureOptions<FaultlineOptions>
{
    /// <summary>
    /// The binder's message, with the inner one that names the key when the outer one does not (a value
    /// of a dictionary such as <c>Faultline:Requests:NAME</c> fails with a generic "binding has failed").
    /// </summary>
    internal static string Describe(InvalidOperationException exception)
    {
        var messages = new List<string>();
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (!messages.Contains(current.Message, StringComparer.Ordinal))
            {
                messages.Add(current.Message);
            }
        }

        return string.Join(": ", messages);
    }

    public void Configure(FaultlineOptions options)
    {
        try
        {
            section.Bind(options, binder => binder.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            // The binder's messages name the key path; values converted from text are settings, never secrets (ApiKey is a string and always binds).
            options.BindingErrors.Add(Describe(ex));
            // The binder stops at the first error; keep the plain strings the failure report itself needs.
            options.TerminationMessagePath ??= section[nameof(FaultlineOptions.TerminationMessagePath)];
            options.ApiKey ??= section[nameof(FaultlineOptions.ApiKey)];
            options.ServiceName ??= section[nameof(FaultlineOptions.ServiceName)];
        }
    }
}

/// <summary>Checks the options and the startup plan together, so every configuration mistake fails the start with one clear message.</summary>
internal sealed class FaultlineOptionsValidator(FaultlineBuilder builder, Microsoft.Extensions.Hosting.IHostEnvironment environment) : IValidateOptions<FaultlineOptions>
{
    public ValidateOptionsResult Validate(string? name, FaultlineOptions options)
    {
        var errors = new List<string>(options.BindingErrors.Select(e => $"Faultline configuration: {e}"));
        if (options.Profile is { } profile && !Enum.IsDefined(profile))
        {
            errors.Add($"Faultline:Profile must be one of {string.Join(", ", Enum.GetNames<FaultlineProfile>())}");
        }

        var health = options.Health;
        var paths = new[] { ("LivePath", health.LivePath), ("ReadyPath", health.ReadyPath), ("StartupPath", health.StartupPath), ("InfrastructurePath", health.InfrastructurePath) };
        foreach (var (key, path) in paths)
        {
            if (string.IsNullOrWhiteSpace(path) || !path.StartsWith('/'))
            {
                errors.Add($"Faultline:Health:{key} must start with '/'");
            }
        }

        if (paths.Select(p => p.Item2).Distinct(StringComparer.OrdinalIgnoreCase).Count() != paths.Length)
        {
            errors.Add("Faultline:Health paths must differ from each other");
        }

        if (health.Interval < TimeSpan.FromMilliseconds(100) || health.Interval > TimeSpan.FromHours(24))
        {
            errors.Add("Faultline:Health:Interval must be between 100 ms and 24 hours");
        }

        if (health.CheckTimeout is { } checkTimeout && (checkTimeout < TimeSpan.FromMilliseconds(10) || checkTimeout > TimeSpan.FromHours(1)))
        {
            errors.Add("Faultline:Health:CheckTimeout must be between 10 ms and 1 hour");
        }

        if (health.RetryAfterSeconds < 0)
        {
            errors.Add("Faultline:Health:RetryAfterSeconds must not be negative");
        }

        foreach (var (breaker, settings) in options.Breakers)
        {
            if (settings.FailureThreshold is < 2)
            {
                errors.Add($"Faultline:Breakers:{breaker}:FailureThreshold must be at least 2");
            }

            if (settings.BreakDuration is { } b && (b < TimeSpan.FromMilliseconds(500) || b > TimeSpan.FromDays(1)))
            {
                errors.Add($"Faultline:Breakers:{breaker}:BreakDuration must be between 500 ms and 1 day");
            }

            if (settings.SamplingDuration is { } s && (s < TimeSpan.FromMilliseconds(500) || s > TimeSpan.FromDays(1)))
            {
                errors.Add($"Faultline:Breakers:{breaker}:SamplingDuration must be between 500 ms and 1 day");
            }
        }

        foreach (var (dependency, settings) in options.Requests)
        {
            if (!builder.Dependencies.Any(d => string.Equals(d.Name, dependency, StringComparison.OrdinalIgnoreCase)))
            {
                errors.Add($"Faultline:Requests:{dependency} names no dependency (added with AddDependency: {(builder.Dependencies.Count == 0 ? "none" : string.Join(", ", builder.Dependencies.Select(d => d.Name)))})");
            }

            if (settings.Timeout is { } t && (t < TimeSpan.FromMilliseconds(1) || t > TimeSpan.FromMinutes(10)))
            {
                errors.Add($"Faultline:Requests:{dependency}:Timeout must be between 1 ms and 10 minutes");
            }

            if (settings.Retries is < 0 or > 10)
            {
                errors.Add($"Faultline:Requests:{dependency}:Retries must be between 0 and 10");
            }
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var probed = Probing.ProbeRunner.ProbedKinds(builder.Probes);
        foreach (var dependency in builder.Dependencies)
        {
            if (!names.Add(dependency.Name))
            {
                errors.Add($"dependency '{dependency.Name}' is added more than once");
            }

            if (!probed.Contains(dependency.Kind))
            {
                errors.Add(Probing.DriverPackages.Advice(dependency.Kind, dependency.Name) is { } advice
                    ? $"dependency '{dependency.Name}' is of kind {dependency.Kind}, which {advice}"
                    : $"dependency '{dependency.Name}' is of kind '{dependency.Kind}', which no registered probe serves (add one with AddProbe)");
            }
        }

        errors.AddRange(Pools.PoolOptionsValidation.Validate(options.Pools, builder.Pools));

        errors.AddRange(Startup.StartupPlan.Validate(builder.Phases, options, FaultlineOptionsReader.ProfileOf(options, environment)));

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
