namespace GoldenPath;

/// <summary>
/// <c>Secrets:Directory</c> (env <c>Secrets__Directory</c>): one file per secret, the file name being
/// the key with <c>__</c> for <c>:</c> (<c>Jwt__Secret</c>, <c>ConnectionStrings__Postgres</c>). Files
/// override environment variables, so a drill can remove or rotate a secret by editing the directory;
/// a file that is present but empty overrides with nothing and so counts as missing.
/// </summary>
internal static class SecretsDirectory
{
    public static IConfigurationBuilder AddSecretsDirectory(this IConfigurationManager configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var directory = configuration[SampleSettings.SecretsDirectoryKey];
        if (string.IsNullOrWhiteSpace(directory))
        {
            return configuration;
        }

        // Optional: a missing directory is reported by the configuration phase as a typed failure,
        // not by an exception before the startup plan runs.
        return configuration.AddKeyPerFile(Path.GetFullPath(directory), optional: true);
    }
}
