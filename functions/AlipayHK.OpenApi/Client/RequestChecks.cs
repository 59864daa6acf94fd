using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AlipayHK.OpenApi.Serialization;

namespace AlipayHK.OpenApi.Client;

/// <summary>
/// The checks behind each request's <c>Validate()</c>: strict in what we send (protocol §2.4), so a request that
/// AlipayHK would answer with PARAM_ILLEGAL never leaves. Each failure is an <see cref="ArgumentException"/> whose
/// <see cref="ArgumentException.ParamName"/> is the JSON field name.
/// </summary>
internal static class RequestChecks
{
    public static void Required(string api, string field, string? value, int maxLength = int.MaxValue)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException($"{api}: {field} is required.", field);
        }
        MaxLength(api, field, value, maxLength);
    }

    public static void Optional(string api, string field, string? value, int maxLength)
    {
        if (value is not null)
        {
            MaxLength(api, field, value, maxLength);
        }
    }

    public static void OneOf(string api, string field, string? value, bool required, int maxLength, params string[] allowed)
    {
        if (value is null && !required)
        {
            return;
        }
        Required(api, field, value, maxLength);
        if (!allowed.Contains(value, StringComparer.Ordinal))
        {
            throw new ArgumentException($"{api}: {field} must be one of {string.Join(", ", allowed)}.", field);
        }
    }

    /// <summary>A Date field: epoch milliseconds as a JSON number (the form AlipayHK's pass pages document).</summary>
    public static long? EpochMilliseconds(string api, string field, AlipayTimestamp? value, bool required)
    {
        if (value is null)
        {
            return required ? throw new ArgumentException($"{api}: {field} is required (epoch milliseconds).", field) : null;
        }
        if (!value.Value.IsNumber || !long.TryParse(value.Value.Raw, NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
        {
            throw new ArgumentException($"{api}: {field} must be epoch milliseconds (a JSON number), not '{value.Value.Raw}'.", field);
        }
        return ms;
    }

    /// <summary>A field AlipayHK documents as JSON text of at most <paramref name="maxLength"/> characters.</summary>
    public static void JsonLength<T>(string api, string field, T? value, JsonTypeInfo<T> type, int maxLength)
        where T : class
    {
        if (value is null)
        {
            return;
        }
        var length = JsonSerializer.Serialize(value, type).Length;
        if (length > maxLength)
        {
            throw new ArgumentException($"{api}: {field} is {length} characters of JSON; at most {maxLength} are allowed.", field);
        }
    }

    /// <summary>A string that must hold a JSON object (createPass <c>extInfo</c>).</summary>
    public static void JsonObjectText(string api, string field, string? value)
    {
        if (value is null)
        {
            return;
        }
        try
        {
            using var document = JsonDocument.Parse(value);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                return;
            }
        }
        catch (JsonException)
        {
        }
        throw new ArgumentException($"{api}: {field} must be a string holding a JSON object.", field);
    }

    public static void PositiveInteger(string api, string field, string? value)
    {
        Required(api, field, value);
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1)
        {
            throw new ArgumentException($"{api}: {field} must be a positive integer.", field);
        }
    }

    private static void MaxLength(string api, string field, string value, int maxLength)
    {
        if (value.Length > maxLength)
        {
            throw new ArgumentException($"{api}: {field} is {value.Length} characters; at most {maxLength} are allowed.", field);
        }
    }
}
