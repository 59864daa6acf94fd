using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AlipayHK.OpenApi.Serialization;

/// <summary>
/// An amount in minor units (cents): read from a JSON integer or a string holding one (AlipayHK sends both,
/// protocol §2.4); always written as a number. A fraction, an exponent or anything else is an error, never rounded.
/// </summary>
public sealed class MinorUnitsConverter : JsonConverter<long>
{
    /// <inheritdoc />
    public override long Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number when reader.TryGetInt64(out var number):
                return number;
            case JsonTokenType.String when !reader.HasValueSequence && !reader.ValueIsEscaped:
                var text = reader.ValueSpan;
                if (Utf8Parser.TryParse(text, out long parsed, out var consumed) && consumed == text.Length && text.Length > 0)
                {
                    return parsed;
                }
                break;
            case JsonTokenType.String:
                if (long.TryParse(reader.GetString(), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var slow))
                {
                    return slow;
                }
                break;
        }
        throw new JsonException("An amount value must be a whole number of minor units (e.g. 1250 for HKD 12.50), as a JSON number or string.");
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, long value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteNumberValue(value);
    }
}
