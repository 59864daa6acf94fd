using System.Text.Json;
using System.Text.Json.Nodes;

namespace AlipayFunctions.Deployment;

/// <summary>
/// The deployable app folder of the .NET isolated worker: the <c>dotnet publish</c> output of
/// functions/AlipayFunctions, zipped as it is for <c>az functionapp deploy</c>. The Functions host reads three files
/// from it: <c>host.json</c>, <c>worker.config.json</c> (how to start the worker) and <c>functions.metadata</c> (the
/// functions and their triggers, generated from the <c>[Function]</c> attributes). <see cref="Check"/> is what
/// tools/publish.sh and the deployment tests run.
/// </summary>
public static class AppLayout
{
    /// <summary>The host configuration file at the app root.</summary>
    public const string HostJsonFile = "host.json";

    /// <summary>How the host starts the worker.</summary>
    public const string WorkerConfigFile = "worker.config.json";

    /// <summary>The functions and their bindings, written by the Worker SDK at build and publish.</summary>
    public const string MetadataFile = "functions.metadata";

    /// <summary>
    /// Checks a publish folder. Returns the problems found, each a sentence naming the file at fault; empty when the
    /// folder is deployable.
    /// </summary>
    /// <param name="appDirectory">The publish output.</param>
    /// <param name="expected">The functions it must hold (<see cref="FunctionContract.Expected"/>).</param>
    public static IReadOnlyList<string> Check(string appDirectory, IReadOnlyList<ExpectedFunction> expected)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(appDirectory);
        ArgumentNullException.ThrowIfNull(expected);
        var problems = new List<string>();
        if (!Directory.Exists(appDirectory))
        {
            problems.Add($"{appDirectory}: no such folder (run bash tools/publish.sh).");
            return problems;
        }
        CheckHost(appDirectory, problems);
        CheckWorkerConfig(appDirectory, problems);
        CheckMetadata(appDirectory, expected, problems);
        return problems;
    }

    private static JsonNode? Read(string appDirectory, string file, List<string> problems)
    {
        var path = Path.Combine(appDirectory, file);
        if (!File.Exists(path))
        {
            problems.Add($"{file}: missing from the app folder.");
            return null;
        }
        try
        {
            return JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })
                ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            problems.Add($"{file}: not valid JSON ({e.Message}).");
            return null;
        }
    }

    private static void CheckHost(string appDirectory, List<string> problems)
    {
        if (Read(appDirectory, HostJsonFile, problems) is not JsonObject host)
        {
            return;
        }
        if ((string?)host["version"] != "2.0")
        {
            problems.Add($"{HostJsonFile}: \"version\" must be \"2.0\".");
        }
        if (host["customHandler"] is not null)
        {
            problems.Add($"{HostJsonFile}: \"customHandler\" is left from the custom-handler app; the isolated worker is started from {WorkerConfigFile}.");
        }
        if (host["extensions"]?["http"]?["routePrefix"] is not JsonValue prefix || (string?)prefix != "")
        {
            problems.Add($"{HostJsonFile}: extensions.http.routePrefix must be \"\" (AlipayHK calls /<merchantTag>/points/..., not /api/...).");
        }
        if (host["extensions"]?["queues"] is not JsonObject queues)
        {
            problems.Add($"{HostJsonFile}: extensions.queues is missing (maxDequeueCount, visibilityTimeout, batchSize, messageEncoding).");
        }
        else if (queues["messageEncoding"] is JsonValue encoding && !string.Equals((string?)encoding, "base64", StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"{HostJsonFile}: extensions.queues.messageEncoding must be base64: the app sends with MessageEncoding.Base64.");
        }
    }

    private static void CheckWorkerConfig(string appDirectory, List<string> problems)
    {
        if (Read(appDirectory, WorkerConfigFile, problems) is not JsonObject config)
        {
            return;
        }
        var description = config["description"];
        if ((string?)description?["language"] != "dotnet-isolated")
        {
            problems.Add($"{WorkerConfigFile}: description.language must be dotnet-isolated (FUNCTIONS_WORKER_RUNTIME).");
        }
        if ((string?)description?["defaultWorkerPath"] is not { Length: > 0 } worker)
        {
            problems.Add($"{WorkerConfigFile}: description.defaultWorkerPath is missing.");
        }
        else if (!File.Exists(Path.Combine(appDirectory, worker)))
        {
            problems.Add($"{WorkerConfigFile}: the worker '{worker}' is not in the app folder.");
        }
    }

    private static void CheckMetadata(string appDirectory, IReadOnlyList<ExpectedFunction> expected, List<string> problems)
    {
        if (Read(appDirectory, MetadataFile, problems) is not { } node)
        {
            return;
        }
        if (node is not JsonArray functions)
        {
            problems.Add($"{MetadataFile}: not a JSON array of functions.");
            return;
        }
        var byName = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var function in functions.OfType<JsonObject>())
        {
            var name = (string?)function["name"] ?? "";
            if (!byName.TryAdd(name, function))
            {
                problems.Add($"{MetadataFile}: function '{name}' is listed twice.");
            }
        }
        foreach (var function in expected)
        {
            if (!byName.Remove(function.Name, out var entry))
            {
                problems.Add($"{MetadataFile}: function '{function.Name}' is missing.");
                continue;
            }
            CheckFunction(appDirectory, function, entry, problems);
        }
        foreach (var (name, route) in FunctionContract.Optional)
        {
            if (byName.Remove(name, out var entry) && Trigger(entry) is { } trigger && (string?)trigger["route"] != route)
            {
                problems.Add($"{MetadataFile}: {name}: route '{(string?)trigger["route"]}' is not '{route}'.");
            }
        }
        foreach (var extra in byName.Keys.Order(StringComparer.Ordinal))
        {
            problems.Add($"{MetadataFile}: function '{extra}' is not one of the app's functions ({string.Join(", ", expected.Select(f => f.Name))}).");
        }
    }

    private static JsonObject? Trigger(JsonObject entry)
    {
        var triggers = (entry["bindings"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(b => ((string?)b["type"])?.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase) == true)
            .ToList();
        return triggers.Count == 1 ? triggers[0] : null;
    }

    private static void CheckFunction(string appDirectory, ExpectedFunction function, JsonObject entry, List<string> problems)
    {
        var where = $"{MetadataFile}: {function.Name}";
        if ((string?)entry["scriptFile"] is not { Length: > 0 } script || !File.Exists(Path.Combine(appDirectory, script)))
        {
            problems.Add($"{where}: its scriptFile '{(string?)entry["scriptFile"]}' is not in the app folder.");
        }
        var triggers = (entry["bindings"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(b => ((string?)b["type"])?.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase) == true)
            .ToList();
        if (triggers.Count != 1)
        {
            problems.Add($"{where}: has {triggers.Count} triggers, not one.");
            return;
        }
        var trigger = triggers[0];
        var type = (string?)trigger["type"];
        if (!string.Equals(type, function.TriggerType, StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"{where}: is a {type}, not a {function.TriggerType}.");
            return;
        }
        if (function.TriggerType == FunctionContract.HttpTrigger)
        {
            if ((string?)trigger["route"] != function.Route)
            {
                problems.Add($"{where}: route '{(string?)trigger["route"]}' is not '{function.Route}' (the URL registered with AlipayHK / the mini-app).");
            }
            var methods = (trigger["methods"] as JsonArray ?? []).Select(m => ((string?)m)?.ToUpperInvariant()).ToList();
            if (methods.Count > 0 && !methods.Contains("POST"))
            {
                problems.Add($"{where}: methods [{string.Join(", ", methods)}] do not include POST (AlipayHK and the mini-app POST).");
            }
            if (!string.Equals((string?)trigger["authLevel"], "Anonymous", StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"{where}: authLevel '{(string?)trigger["authLevel"]}' must be Anonymous: callers send no function key (the signature is the authentication).");
            }
        }
        else if (function.TriggerType == FunctionContract.TimerTrigger)
        {
            if ((string?)trigger["schedule"] != function.Schedule)
            {
                problems.Add($"{where}: schedule '{(string?)trigger["schedule"]}' is not '{function.Schedule}'.");
            }
        }
        else
        {
            if ((string?)trigger["queueName"] != function.QueueName)
            {
                problems.Add($"{where}: reads queue '{(string?)trigger["queueName"]}', not '{function.QueueName}'.");
            }
            var connection = (string?)trigger["connection"];
            if (connection is { Length: > 0 } && connection != FunctionContract.StorageConnection)
            {
                problems.Add($"{where}: connection '{connection}' is not {FunctionContract.StorageConnection} (the one storage setting of the app).");
            }
        }
    }
}
