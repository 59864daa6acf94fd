using System.Text.Json;
using System.Text.Json.Nodes;
using LocalFunctionsHost.Protocol;

namespace LocalFunctionsHost.Configuration;

/// <summary>One binding from the worker's metadata (<c>raw_bindings</c>), with <c>%setting%</c> expressions resolved.</summary>
internal sealed record BindingDescription(string Name, string Type, bool IsOutput, JsonObject Raw)
{
    public string? Text(string property) => Raw[property] is JsonValue v && v.TryGetValue<string>(out var s) ? s : Raw[property]?.ToJsonString();

    public bool Flag(string property) => Raw[property] is JsonValue v && (v.TryGetValue<bool>(out var b) ? b : bool.TryParse(v.ToString(), out b) && b);
}

/// <summary>A function as the worker described it, ready for the host's listeners.</summary>
internal sealed class FunctionDescription
{
    /// <summary>The binding types this host serves; any other stops start-up.</summary>
    private static readonly HashSet<string> Supported = new(StringComparer.OrdinalIgnoreCase) { "httpTrigger", "http", "queueTrigger", "queue", "timerTrigger" };

    private FunctionDescription(RpcFunctionMetadata metadata, BindingDescription trigger, IReadOnlyList<BindingDescription> bindings)
    {
        Metadata = metadata;
        Trigger = trigger;
        Bindings = bindings;
    }

    public RpcFunctionMetadata Metadata { get; }

    public string Name => Metadata.Name;

    public BindingDescription Trigger { get; }

    public IReadOnlyList<BindingDescription> Bindings { get; }

    public IEnumerable<BindingDescription> QueueOutputs => Bindings.Where(b => b.IsOutput && b.Type.Equals("queue", StringComparison.OrdinalIgnoreCase));

    /// <exception cref="LocalHostException">A binding is not valid JSON, is unsupported, or the function has no trigger.</exception>
    public static FunctionDescription Create(RpcFunctionMetadata metadata, AppSettings settings)
    {
        var bindings = new List<BindingDescription>();
        foreach (var raw in metadata.RawBindings)
        {
            JsonObject json;
            try
            {
                json = JsonNode.Parse(raw) as JsonObject ?? throw new LocalHostException($"Function '{metadata.Name}': a binding is not a JSON object: {raw}");
            }
            catch (JsonException e)
            {
                throw new LocalHostException($"Function '{metadata.Name}': a binding is not valid JSON: {raw}", e);
            }

            var type = json["type"]?.GetValue<string>() ?? throw new LocalHostException($"Function '{metadata.Name}': a binding has no type: {raw}");
            if (!Supported.Contains(type))
            {
                throw new LocalHostException($"Function '{metadata.Name}' uses the binding type '{type}', which this host does not support (it serves httpTrigger, http, queueTrigger, queue and timerTrigger).");
            }

            foreach (var property in new[] { "queueName", "schedule", "route", "connection" })
            {
                if (json[property] is JsonValue v && v.TryGetValue<string>(out var text))
                {
                    json[property] = settings.Resolve(text, metadata.Name);
                }
            }

            var direction = json["direction"]?.GetValue<string>();
            bindings.Add(new BindingDescription(
                json["name"]?.GetValue<string>() ?? "",
                type,
                string.Equals(direction, "out", StringComparison.OrdinalIgnoreCase),
                json));
        }

        var triggers = bindings.Where(b => b.Type.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase)).ToList();
        if (triggers.Count != 1)
        {
            throw new LocalHostException($"Function '{metadata.Name}' has {triggers.Count} trigger bindings; a function has exactly one.");
        }

        return new FunctionDescription(metadata, triggers[0], bindings);
    }
}
