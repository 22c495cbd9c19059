namespace Faultline.Cli.Tests;

/// <summary>Runs the faultline command line in-process, capturing stdout and stderr.</summary>
internal static class CliHarness
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await Cli.InvokeAsync(Program.BuildRoot(output, error), args, error);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>A temporary directory deleted on dispose.</summary>
    public sealed class TempDir : IDisposable
    {
        public TempDir()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "faultline-cli-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public string Write(string name, string content)
        {
            var file = System.IO.Path.Combine(Path, name);
            File.WriteAllText(file, content);
            return file;
        }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    /// <summary>Walks up from the test binaries to the repository root (the directory holding Faultline.slnx).</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Faultline.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Faultline.slnx not found above " + AppContext.BaseDirectory);
    }
}
