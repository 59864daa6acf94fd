using System.Text.Json;
using System.Text.Json.Nodes;

namespace AlipayFunctions.Deployment;

/// <summary>
/// The deployable Azure Functions app folder of a custom handler: <c>host.json</c> at the root, one folder per
/// function holding its <c>function.json</c>, and the handler executable that <c>host.json</c> names. One place for
/// how the folder is put together (<see cref="Assemble"/>) and what makes it right (<see cref="Check"/>), used by
/// <c>tools/publish.sh</c> and by the tests.
/// </summary>
public static class AppLayout
{
    /// <summary>The host configuration file at the app root.</summary>
    public const string HostJsonFile = "host.json";

    /// <summary>The binding file in each function folder.</summary>
    public const string FunctionJsonFile = "function.json";

    /// <summary>The folder under the handler's output that holds one sub-folder per function.</summary>
    public const string FunctionsFolder = "Functions";

    /// <summary>
    /// Builds the app folder: the handler's files (a Native AOT or single-file publish: a flat folder; XML docs left out), then
    /// <paramref name="hostJsonPath"/> and each <c>Functions/&lt;Name&gt;/function.json</c> of the handler's
    /// output as <c>&lt;Name&gt;/function.json</c>. <paramref name="outputDirectory"/> is emptied first.
    /// </summary>
    /// <param name="handlerDirectory">The handler's publish (or build) output.</param>
    /// <param name="hostJsonPath">The app's host.json.</param>
    /// <param name="outputDirectory">The app folder to create.</param>
    public static void Assemble(string handlerDirectory, string hostJsonPath, string outputDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(handlerDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(hostJsonPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        var functions = Path.Combine(handlerDirectory, FunctionsFolder);
        if (!Directory.Exists(functions))
        {
            throw new DirectoryNotFoundException($"The handler output '{handlerDirectory}' has no {FunctionsFolder} folder with the function.json files.");
        }

        if (Directory.Exists(outputDirectory))
        {
            Directory.Delete(outputDirectory, recursive: true);
        }
        Directory.CreateDirectory(outputDirectory);

        // Top-level files only: a Native AOT or single-file publish is flat, and any sub-folder at the app root
        // would look to the Functions host like a function folder.
        foreach (var file in Directory.EnumerateFiles(handlerDirectory))
        {
            if (!file.EndsWith(".xml", StringComparison.OrdinalIgnoreCase))
            {
                File.Copy(file, Path.Combine(outputDirectory, Path.GetFileName(file)));
            }
        }

        File.Copy(hostJsonPath, Path.Combine(outputDirectory, HostJsonFile), overwrite: true);
        foreach (var functionJson in Directory.EnumerateFiles(functions, FunctionJsonFile, SearchOption.AllDirectories))
        {
            var name = Path.GetFileName(Path.GetDirectoryName(functionJson)!);
            var folder = Directory.CreateDirectory(Path.Combine(outputDirectory, name));
            File.Copy(functionJson, Path.Combine(folder.FullName, FunctionJsonFile));
        }
    }

    /// <summary>
    /// Checks an app folder against what the handler serves. Returns the problems found, each a sentence naming the
    /// file at fault; empty when the folder is deployable.
    /// </summary>
    public static IReadOnlyList<string> Check(string appDirectory, HandlerContract contract)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(appDirectory);
        ArgumentNullException.ThrowIfNull(contract);
        var problems = new List<string>();
        CheckHost(appDirectory, problems);

        var seenQueueFunctions = new HashSet<string>(StringComparer.Ordinal);
        foreach (var folder in Directory.EnumerateDirectories(appDirectory).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(folder);
            var path = Path.Combine(folder, FunctionJsonFile);
            if (!File.Exists(path))
            {
                problems.Add($"{name}/: a folder at the app root is a function folder, and this one has no {FunctionJsonFile}.");
                continue;
            }
            var bindings = ReadJson(path, problems)?["bindings"] as JsonArray;
            if (bindings is null)
            {
                problems.Add($"{name}/{FunctionJsonFile}: no \"bindings\" array.");
                continue;
            }
            var trigger = bindings.OfType<JsonObject>().Where(b => ((string?)b["type"])?.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase) == true).ToList();
            if (trigger.Count != 1)
            {
                problems.Add($"{name}/{FunctionJsonFile}: has {trigger.Count} triggers; a function has exactly one.");
                continue;
            }
            switch ((string?)trigger[0]["type"])
            {
                case "httpTrigger":
                    CheckHttp(name, trigger[0], bindings, contract, problems);
                    break;
                case "queueTrigger":
                    seenQueueFunctions.Add(name);
                    CheckQueue(name, trigger[0], contract, problems);
                    break;
                default:
                    problems.Add($"{name}/{FunctionJsonFile}: trigger '{trigger[0]["type"]}' is not one the handler serves (httpTrigger, queueTrigger).");
                    break;
            }
        }

        foreach (var missing in contract.QueueFunctions.Keys.Where(f => !seenQueueFunctions.Contains(f)).Order(StringComparer.Ordinal))
        {
            problems.Add($"{missing}/: the handler serves queue function '{missing}' (queue '{contract.QueueFunctions[missing]}'), but no folder triggers it.");
        }
        return problems;
    }

    private static void CheckHost(string appDirectory, List<string> problems)
    {
        var path = Path.Combine(appDirectory, HostJsonFile);
        if (!File.Exists(path))
        {
            problems.Add($"{HostJsonFile}: missing at the app root.");
            return;
        }
        var host = ReadJson(path, problems);
        if (host is null)
        {
            return;
        }
        var handler = host["customHandler"];
        var executable = (string?)handler?["description"]?["defaultExecutablePath"];
        if (string.IsNullOrWhiteSpace(executable))
        {
            problems.Add($"{HostJsonFile}: customHandler.description.defaultExecutablePath is not set.");
        }
        else
        {
            var file = Path.Combine(appDirectory, executable);
            if (!File.Exists(file))
            {
                problems.Add($"{HostJsonFile}: defaultExecutablePath '{executable}' is not in the app folder.");
            }
            else if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(file) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) == 0)
            {
                problems.Add($"{HostJsonFile}: defaultExecutablePath '{executable}' is not executable.");
            }
        }
        // The webhooks need the original request (raw body for the signature) at the root path AlipayHK calls.
        if ((bool?)handler?["enableForwardingHttpRequest"] != true)
        {
            problems.Add($"{HostJsonFile}: customHandler.enableForwardingHttpRequest must be true (webhook signatures cover the raw body).");
        }
        if ((string?)host["extensions"]?["http"]?["routePrefix"] != "")
        {
            problems.Add($"{HostJsonFile}: extensions.http.routePrefix must be \"\" (the handler serves its routes at the root).");
        }
    }

    private static void CheckHttp(string name, JsonObject trigger, JsonArray bindings, HandlerContract contract, List<string> problems)
    {
        var route = ((string?)trigger["route"])?.Trim('/');
        if (string.IsNullOrEmpty(route) || !contract.HttpRoutes.TryGetValue(route, out var served))
        {
            problems.Add($"{name}/{FunctionJsonFile}: route '{route}' is not served by the handler.");
            return;
        }
        // Forwarding (raw request in, raw answer out) only applies to exactly one httpTrigger and one http output.
        if (bindings.Count != 2 || !bindings.OfType<JsonObject>().Any(b => (string?)b["type"] == "http" && (string?)b["direction"] == "out"))
        {
            problems.Add($"{name}/{FunctionJsonFile}: an HTTP function needs exactly an httpTrigger and an http output, or the host does not forward the request.");
        }
        if (served.Methods.Count > 0 && trigger["methods"] is JsonArray methods)
        {
            foreach (var method in methods.Select(m => ((string?)m)?.ToUpperInvariant()).Where(m => m is not null && !served.Methods.Contains(m)))
            {
                problems.Add($"{name}/{FunctionJsonFile}: method {method} on '{route}' is not served by the handler.");
            }
        }
    }

    private static void CheckQueue(string name, JsonObject trigger, HandlerContract contract, List<string> problems)
    {
        var queue = (string?)trigger["queueName"];
        if (queue is null || !contract.Queues.Contains(queue))
        {
            problems.Add($"{name}/{FunctionJsonFile}: queue '{queue}' is not one of the app's queues ({string.Join(", ", contract.Queues.Order(StringComparer.Ordinal))}).");
        }
        if (!contract.QueueFunctions.TryGetValue(name, out var served))
        {
            problems.Add($"{name}/{FunctionJsonFile}: the handler has no queue function '{name}' (the host would call POST /{name}).");
        }
        else if (queue is not null && served != queue)
        {
            problems.Add($"{name}/{FunctionJsonFile}: triggers on queue '{queue}', but the handler's {name} reads queue '{served}'.");
        }
        if ((string?)trigger["name"] != HandlerContract.MessageBinding)
        {
            problems.Add($"{name}/{FunctionJsonFile}: the trigger binding must be named '{HandlerContract.MessageBinding}' (the handler reads Data.{HandlerContract.MessageBinding}).");
        }
        if ((string?)trigger["connection"] is { Length: > 0 } connection && connection != HandlerContract.StorageConnection)
        {
            problems.Add($"{name}/{FunctionJsonFile}: connection '{connection}' is not the handler's storage connection '{HandlerContract.StorageConnection}'.");
        }
    }

    private static JsonObject? ReadJson(string path, List<string> problems)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject;
        }
        catch (JsonException e)
        {
            problems.Add($"{Path.GetFileName(path)}: not valid JSON ({e.Message}).");
            return null;
        }
    }
}
