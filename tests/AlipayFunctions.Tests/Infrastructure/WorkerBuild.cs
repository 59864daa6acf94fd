using System.Reflection;

namespace AlipayFunctions.Tests.Infrastructure;

/// <summary>
/// The worker's build output, functions/AlipayFunctions/bin/&lt;Configuration&gt;/net10.0: a runnable script root
/// (worker.config.json, functions.metadata, host.json), built before the tests by the project reference.
/// </summary>
internal static class WorkerBuild
{
    private static readonly Lazy<string> Root = new(Find);

    public static string ScriptRoot => Root.Value;

    public static string RepoRoot
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "AlipayFunctions.sln")))
            {
                directory = directory.Parent;
            }
            return directory?.FullName ?? throw new InvalidOperationException("The repository root (AlipayFunctions.sln) is not above " + AppContext.BaseDirectory);
        }
    }

    private static string Find()
    {
        var configuration = typeof(WorkerBuild).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var root = Path.Combine(RepoRoot, "functions", "AlipayFunctions", "bin", configuration, "net10.0");
        return File.Exists(Path.Combine(root, "functions.metadata"))
            ? root
            : throw new InvalidOperationException($"The worker is not built at {root}: build functions/AlipayFunctions ({configuration}) first.");
    }
}
