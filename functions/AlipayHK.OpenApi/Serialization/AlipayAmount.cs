using System.Text.Json;
using System.Text.Json.Serialization;

namespace AlipayHK.OpenApi.Serialization;

/// <summary>An amount: <c>{"currency":"HKD","value":1250}</c>, <c>value</c> in minor units (number or string on input).</summary>
public sealed class AlipayAmount
{
    /// <summary>ISO-4217 currency code, e.g. <c>HKD</c>.</summary>
    public string? Currency { get; set; }

    /// <summary>The amount in minor units (1250 = HKD 12.50). Null when absent.</summary>
    [JsonConverter(typeof(NullableMinorUnitsConverter))]
    public long? Value { get; set; }

    /// <summary>Fields this library does not model.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary><see cref="MinorUnitsConverter"/> for an optional value.</summary>
public sealed class NullableMinorUnitsConverter : JsonConverter<long?>
{
    private static readonly MinorUnitsConverter Inner = new();

    /// <inheritdoc />
    public override bool HandleNull => false;

    /// <inheritdoc />
    public override long? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Inner.Read(ref reader, typeof(long), options);

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, long? value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is { } v)
        {
            writer.WriteNumberValue(v);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
