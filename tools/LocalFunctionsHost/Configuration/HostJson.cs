using System.Globalization;
using System.Text.Json.Nodes;

namespace LocalFunctionsHost.Configuration;

/// <summary>The parts of host.json this host honours: the HTTP route prefix, the queue settings, the function timeout.</summary>
internal sealed record HostJson(string RoutePrefix, QueueSettings Queues, TimeSpan FunctionTimeout)
{
    /// <summary>The real host's default when host.json names none (Premium and Dedicated plans, and Core Tools).</summary>
    public static readonly TimeSpan DefaultFunctionTimeout = TimeSpan.FromMinutes(30);

    public static HostJson Read(string scriptRoot)
    {
        var path = Path.Combine(scriptRoot, "host.json");
        var root = File.Exists(path) ? JsonFile.Parse(path) as JsonObject : null;
        var http = root?["extensions"]?["http"];
        var queues = root?["extensions"]?["queues"];
        var prefix = http?["routePrefix"] is JsonValue value ? value.GetValue<string>() : "api";
        var timeout = root?["functionTimeout"] is JsonValue t && TimeSpan.TryParse(t.GetValue<string>(), CultureInfo.InvariantCulture, out var parsed) && parsed > TimeSpan.Zero
            ? parsed
            : DefaultFunctionTimeout;
        return new HostJson(prefix.Trim('/'), QueueSettings.Read(queues as JsonObject), timeout);
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
