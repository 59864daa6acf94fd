using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AlipayHK.Simulator.Protocol;

/// <summary>
/// Reads request fields from a parsed body the way AlipayHK validates them: a missing mandatory field is
/// <c>PARAM_ILLEGAL</c> naming it. Numbers are accepted as JSON numbers or numeric strings (protocol §2.4).
/// </summary>
internal static class JsonFields
{
    public static string RequiredString(JsonObject body, string name, int maxLength = int.MaxValue, string? path = null) =>
        OptionalString(body, name, maxLength, path) ?? throw SimulatedFailureException.ParamIllegal(path ?? name);

    public static string? OptionalString(JsonObject body, string name, int maxLength = int.MaxValue, string? path = null)
    {
        var node = body[name];
        if (node is null)
        {
            return null;
        }
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
        {
            throw SimulatedFailureException.ParamIllegal(path ?? name, "must be a string.");
        }
        var text = value.GetValue<string>();
        if (text.Length > maxLength)
        {
            throw SimulatedFailureException.ParamIllegal(path ?? name, $"is longer than {maxLength} characters.");
        }
        return string.IsNullOrWhiteSpace(text) ? null : text;
    }

    /// <summary>How bodies are written and JSON lengths measured: only what JSON requires is escaped (a <c>+</c> stays <c>+</c>).</summary>
    public static readonly JsonSerializerOptions Wire = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A Date field: epoch milliseconds, a JSON number or a numeric string (seed pages: "millisecond timestamp format").</summary>
    public static long RequiredEpochMilliseconds(JsonObject body, string name) =>
        OptionalEpochMilliseconds(body, name) ?? throw SimulatedFailureException.ParamIllegal(name);

    public static long? OptionalEpochMilliseconds(JsonObject body, string name)
    {
        long? value;
        try
        {
            value = OptionalInt64(body, name);
        }
        catch (SimulatedFailureException)
        {
            throw SimulatedFailureException.ParamIllegal(name, "must be epoch milliseconds (a JSON number).");
        }
        return value < 0 ? throw SimulatedFailureException.ParamIllegal(name, "must be epoch milliseconds (a JSON number).") : value;
    }

    /// <summary>A field the pages limit by the length of its JSON text.</summary>
    public static void MaxJsonLength(JsonNode node, string name, int maxLength)
    {
        var length = node.ToJsonString(Wire).Length;
        if (length > maxLength)
        {
            throw SimulatedFailureException.ParamIllegal(name, $"is {length} characters of JSON; at most {maxLength} are allowed.");
        }
    }

    public static JsonObject RequiredObject(JsonObject body, string name, string? path = null) =>
        OptionalObject(body, name, path) ?? throw SimulatedFailureException.ParamIllegal(path ?? name);

    public static JsonObject? OptionalObject(JsonObject body, string name, string? path = null) => body[name] switch
    {
        null => null,
        JsonObject o => o,
        _ => throw SimulatedFailureException.ParamIllegal(path ?? name, "must be a JSON object."),
    };

    public static long RequiredInt64(JsonObject body, string name, string? path = null) =>
        OptionalInt64(body, name, path) ?? throw SimulatedFailureException.ParamIllegal(path ?? name);

    public static long? OptionalInt64(JsonObject body, string name, string? path = null)
    {
        var node = body[name];
        if (node is null)
        {
            return null;
        }
        if (node is JsonValue value)
        {
            if (value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<long>(out var number))
            {
                return number;
            }
            if (value.GetValueKind() == JsonValueKind.String
                && long.TryParse(value.GetValue<string>(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number))
            {
                return number;
            }
        }
        throw SimulatedFailureException.ParamIllegal(path ?? name, "must be an integer (a JSON number or a numeric string).");
    }

    /// <summary>One of a fixed set of values, compared case-insensitively; answers the canonical spelling.</summary>
    public static string RequiredEnum(JsonObject body, string name, params string[] allowed) => RequiredEnum(body, name, int.MaxValue, allowed);

    /// <summary>One of a fixed set of values, at most <paramref name="maxLength"/> characters.</summary>
    public static string RequiredEnum(JsonObject body, string name, int maxLength, params string[] allowed)
    {
        var text = RequiredString(body, name, maxLength);
        return allowed.FirstOrDefault(a => string.Equals(a, text, StringComparison.OrdinalIgnoreCase))
            ?? throw SimulatedFailureException.ParamIllegal(name, $"must be one of {string.Join(", ", allowed)}.");
    }
}
