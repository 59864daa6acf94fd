using System.Text.Json.Nodes;

namespace LocalFunctionsHost.Configuration;

/// <summary>worker.config.json: how to start the worker (the executable and the worker's assembly).</summary>
internal sealed record WorkerConfig(string Executable, string? WorkerPath)
{
    public static WorkerConfig Read(string scriptRoot)
    {
        var path = Path.Combine(scriptRoot, "worker.config.json");
        if (!File.Exists(path))
        {
            throw new LocalHostException($"No worker.config.json in {scriptRoot}: point --script-root at the worker's build or publish output (bin/<Configuration>/net10.0).");
        }

        var description = JsonFile.Parse(path)?["description"] as JsonObject
            ?? throw new LocalHostException($"{path} has no \"description\".");
        var language = description["language"]?.GetValue<string>();
        if (!string.Equals(language, "dotnet-isolated", StringComparison.OrdinalIgnoreCase))
        {
            throw new LocalHostException($"{path} describes a '{language}' worker; this host runs only dotnet-isolated workers.");
        }

        var executable = Expand(description["defaultExecutablePath"]?.GetValue<string>() ?? "dotnet", scriptRoot);
        var workerPath = description["defaultWorkerPath"]?.GetValue<string>() is { Length: > 0 } p ? Path.Combine(scriptRoot, Expand(p, scriptRoot)) : null;
        return new WorkerConfig(executable, workerPath);
    }

    // Self-contained builds name the apphost as {WorkerRoot}<App>.
    private static string Expand(string value, string scriptRoot) =>
        value.Replace("{WorkerRoot}", scriptRoot.TrimEnd('/', '\\') + Path.DirectorySeparatorChar, StringComparison.OrdinalIgnoreCase);
}
