namespace Faultline.Lab.Tests.Scenarios;

/// <summary>Paths of the repository the tests run from (found upwards from the test assembly).</summary>
internal static class LabPaths
{
    public static string RepositoryRoot { get; } = Find();

    public static string ExamplesDirectory => Path.Combine(RepositoryRoot, "examples", "lab");

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Faultline.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Faultline.slnx not found above " + AppContext.BaseDirectory);
    }
}
