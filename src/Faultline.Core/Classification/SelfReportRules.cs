using System.Globalization;
using Faultline.Core.Model;

namespace Faultline.Core.Classification;

/// <summary>
/// A service whose health document gives its own status but names no component (it lists them only for a caller with
/// its API key, or its startup has not finished): a failing status fails the target, any other is a warning.
/// </summary>
internal static class SelfReportRules
{
    /// <summary>True for an observation whose inside view is a health document without components and no error yet.</summary>
    public static bool Applies(Observation observation) =>
        observation is { Error: null, Components.Count: 0, Http: not null, Remote.Source: ComponentSources.Endpoint };

    /// <summary><paramref name="observation"/> with the error (a failing status) or the warning the service's own status gives.</summary>
    public static Observation Judge(Observation observation)
    {
        var remote = observation.Remote!;
        var http = observation.Http!;
        if (Classifier.ComponentStatus(remote.Status ?? "unknown") != ResultStatus.Fail)
        {
            return observation with { Warnings = [.. observation.Warnings, $"the service reports {remote.Status ?? "no status"} but lists no components; with an apiKey it shows them"] };
        }

        var why = remote.Startup is { } startup && !string.Equals(startup, "completed", StringComparison.OrdinalIgnoreCase)
            ? $"its startup is {startup}"
            : "set apiKey to read its components";
        var error = new ProbeError(ErrorKind.UnexpectedStatus, string.Create(CultureInfo.InvariantCulture, $"the service reports itself {remote.Status} (HTTP {http.StatusCode}) without naming a component: {why}"))
        {
            Phase = "fetch",
            Code = http.StatusCode.ToString(CultureInfo.InvariantCulture),
        };
        return observation with { Error = error };
    }
}
