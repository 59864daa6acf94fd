namespace AlipayFunctions.Deployment.Tests;

/// <summary>Paths in the repository the tests read (the source of truth, not copies).</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string HostJson => Path.Combine(Root, "host.json");

    public static string MainBicep => Path.Combine(Root, "infra", "main.bicep");

    public static string AppSource => Path.Combine(Root, "functions", "AlipayFunctions");

    public static string FunctionsSource => Path.Combine(AppSource, "Functions");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AlipayFunctions.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("The tests run from inside the repository (no AlipayFunctions.sln above " + AppContext.BaseDirectory + ").");
    }
}

/// <summary>A temporary directory, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "alipayfunctions-deploy-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
