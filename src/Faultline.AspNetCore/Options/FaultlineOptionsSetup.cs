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
    public void Configure(FaultlineOptions options)
    {
        try
        {
            section.Bind(options, binder => binder.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            // The binder's messages name the key path; values converted from text are settings, never secrets (ApiKey is a string and always binds).
            // Inside a dictionary (Pools, Breakers, Startup:Phases) the binder wraps the message that names the key in a generic one.
            var specific = ex;
            while (specific.InnerException is InvalidOperationException inner)
            {
                specific = inner;
            }

            options.BindingErrors.Add(specific.Message);
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
