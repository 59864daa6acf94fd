using System.Globalization;
using System.Text.Json.Nodes;

namespace LocalFunctionsHost.Configuration;

/// <summary>
/// The parts of host.json this host honours: the HTTP route prefix and request limits, the queue settings, the
/// function timeout.
/// </summary>
internal sealed record HostJson(string RoutePrefix, QueueSettings Queues, TimeSpan FunctionTimeout)
{
    /// <summary><c>extensions.http.maxConcurrentRequests</c>: HTTP functions running at once; -1 (the default outside Windows Consumption) is unbounded.</summary>
    public int MaxConcurrentRequests { get; init; } = -1;

    /// <summary><c>extensions.http.maxOutstandingRequests</c>: HTTP requests waiting or running; beyond it 429. -1 (the default) is unbounded.</summary>
    public int MaxOutstandingRequests { get; init; } = -1;

    /// <summary>The real host's default when host.json names none (Premium and Dedicated plans, and Core Tools).</summary>
    public static readonly TimeSpan DefaultFunctionTimeout = TimeSpan.FromMinutes(30);

    /// <summary>The app setting prefix through which the real host lets app settings override host.json values.</summary>
    private const string OverridePrefix = "AzureFunctionsJobHost";

    /// <summary>
    /// Reads host.json, with <c>AzureFunctionsJobHost__path__to__value</c> app settings applied over it as the real
    /// host applies them (a test or an operator changes a queue setting without editing the file).
    /// </summary>
    public static HostJson Read(string scriptRoot, IReadOnlyDictionary<string, string>? settings = null)
    {
        var path = Path.Combine(scriptRoot, "host.json");
        var root = (File.Exists(path) ? JsonFile.Parse(path) as JsonObject : null) ?? [];
        foreach (var (key, setting) in settings ?? new Dictionary<string, string>())
        {
            var names = key.Split(["__", ":"], StringSplitOptions.None);
            if (names.Length > 1 && names[0].Equals(OverridePrefix, StringComparison.OrdinalIgnoreCase) && names.Skip(1).All(n => n.Length > 0))
            {
                Override(root, names[1..], setting);
            }
        }
        var http = root?["extensions"]?["http"];
        var queues = root?["extensions"]?["queues"];
        var prefix = http?["routePrefix"] is JsonValue value ? value.GetValue<string>() : "api";
        var timeout = root?["functionTimeout"] is JsonValue t && TimeSpan.TryParse(t.GetValue<string>(), CultureInfo.InvariantCulture, out var parsed) && parsed > TimeSpan.Zero
            ? parsed
            : DefaultFunctionTimeout;
        return new HostJson(prefix.Trim('/'), QueueSettings.Read(queues as JsonObject), timeout)
        {
            MaxConcurrentRequests = Limit(http as JsonObject, "maxConcurrentRequests"),
            MaxOutstandingRequests = Limit(http as JsonObject, "maxOutstandingRequests"),
        };
    }

    // The real host hands these to a dataflow block, which accepts -1 (unbounded) or a positive number and fails
    // start-up on anything else.
    private static int Limit(JsonObject? http, string name)
    {
        if (http?[name] is not JsonValue value)
        {
            return -1;
        }

        var parsed = value.TryGetValue<int>(out var number) ? number
            : int.TryParse(value.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out number) ? number
            : 0;
        return parsed == -1 || parsed > 0
            ? parsed
            : throw new LocalHostException($"host.json extensions.http.{name} is '{value}': it must be -1 (unbounded) or a positive whole number.");
    }

    // Configuration keys are case-insensitive: an override replaces host.json's property whatever its casing.
    private static void Override(JsonObject node, string[] names, string value)
    {
        var existing = node.FirstOrDefault(p => p.Key.Equals(names[0], StringComparison.OrdinalIgnoreCase));
        var name = existing.Key ?? names[0];
        if (names.Length == 1)
        {
            node[name] = JsonValue.Create(value);
            return;
        }
        if (existing.Value is not JsonObject child)
        {
            child = [];
            node[name] = child;
        }
        Override(child, names[1..], value);
    }
}

/// <summary>host.json <c>extensions.queues</c>, with the real host's defaults (local development's 2 s polling cap).</summary>
internal sealed record QueueSettings(int BatchSize, int NewBatchThreshold, TimeSpan MaxPollingInterval, TimeSpan VisibilityTimeout, int MaxDequeueCount, bool Base64)
{
    public static QueueSettings Read(JsonObject? queues)
    {
        var batchSize = Math.Clamp(Int(queues, "batchSize") ?? 16, 1, 32);
        return new QueueSettings(
            batchSize,
            Math.Max(0, Int(queues, "newBatchThreshold") ?? batchSize / 2 * Environment.ProcessorCount),
            Span(queues, "maxPollingInterval") is { } max && max >= TimeSpan.FromMilliseconds(100) ? max : TimeSpan.FromSeconds(2),
            Span(queues, "visibilityTimeout") ?? TimeSpan.Zero,
            Math.Max(1, Int(queues, "maxDequeueCount") ?? 5),
            !string.Equals(queues?["messageEncoding"]?.GetValue<string>(), "none", StringComparison.OrdinalIgnoreCase));
    }

    private static int? Int(JsonObject? node, string name) => node?[name] is JsonValue v
        ? v.TryGetValue<int>(out var i) ? i : int.Parse(v.GetValue<string>(), CultureInfo.InvariantCulture)
        : null;

    private static TimeSpan? Span(JsonObject? node, string name) => node?[name] is JsonValue v
        ? TimeSpan.Parse(v.GetValue<string>(), CultureInfo.InvariantCulture)
        : null;
}
