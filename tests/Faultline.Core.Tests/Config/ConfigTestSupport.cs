using Faultline.Core.Config;

namespace Faultline.Core.Tests.Config;

/// <summary>A temporary directory for config files and the files they point at.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("faultline-config-").FullName;
    }

    public string Path { get; }

    public string Write(string relativePath, string content)
    {
        var full = System.IO.Path.Combine(Path, relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

internal static class ConfigTestSupport
{
    public static Func<string, string?> Env(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
        return name => map.TryGetValue(name, out var value) ? value : null;
    }

    public static FaultlineConfig Load(string yaml, Func<string, string?>? env = null, string? baseDirectory = null) =>
        ConfigLoader.LoadText(yaml, "faultline.yaml", baseDirectory ?? System.IO.Path.GetTempPath(), env ?? Env());

    public static IReadOnlyList<ConfigError> Errors(string yaml, Func<string, string?>? env = null, string? baseDirectory = null)
    {
        var ex = Assert.Throws<ConfigException>(() => Load(yaml, env, baseDirectory));
        Assert.NotEmpty(ex.Errors);
        return ex.Errors;
    }

    /// <summary>The only error, asserted to be at <paramref name="line"/>:<paramref name="column"/>.</summary>
    public static ConfigError SingleError(string yaml, int line, int column, Func<string, string?>? env = null, string? baseDirectory = null)
    {
        var errors = Errors(yaml, env, baseDirectory);
        var error = Assert.Single(errors);
        Assert.Equal(new SourceLocation("faultline.yaml", line, column), error.Location);
        return error;
    }
}
