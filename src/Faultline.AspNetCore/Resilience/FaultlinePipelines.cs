namespace Faultline.AspNetCore;

/// <summary>Names of the request-path pipelines every dependency gets in Polly's registry (<c>ResiliencePipelineProvider&lt;string&gt;</c>).</summary>
public static class FaultlinePipelines
{
    /// <summary>The suffix of the idempotent pipeline's key.</summary>
    public const string IdempotentSuffix = "/idempotent";

    /// <summary>
    /// The key of <paramref name="dependency"/>'s pipeline with retries, for calls that are safe to repeat
    /// (reads, idempotent writes). The plain pipeline is under the dependency's own name.
    /// </summary>
    public static string Idempotent(string dependency) => dependency + IdempotentSuffix;
}
