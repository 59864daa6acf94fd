using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using AlipayHK.OpenApi.Signing;

namespace AlipayHK.OpenApi.Serialization;

/// <summary>
/// A time field whose form AlipayHK does not pin down: epoch milliseconds (number or string), ISO-8601, or
/// <c>yyyy-MM-dd HH:mm:ss</c> (one createPass sample). The raw value is kept and written back in the same form;
/// <see cref="TryGetTime"/> interprets it.
/// </summary>
[JsonConverter(typeof(AlipayTimestampConverter))]
public readonly record struct AlipayTimestamp
{
    private AlipayTimestamp(string raw, bool isNumber)
    {
        Raw = raw;
        IsNumber = isNumber;
    }

    /// <summary>The value as received (the digits of a number, or the string's text).</summary>
    public string Raw { get; }

    /// <summary>Whether the value is a JSON number (written back as one).</summary>
    public bool IsNumber { get; }

    /// <summary>Epoch milliseconds as a JSON number, the form AlipayHK's pass API documents.</summary>
    public static AlipayTimestamp FromUnixMilliseconds(DateTimeOffset time) =>
        new(time.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), isNumber: true);

    /// <summary>A string value kept as given.</summary>
    public static AlipayTimestamp FromText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new(text, isNumber: false);
    }

    internal static AlipayTimestamp FromNumber(string digits) => new(digits, isNumber: true);

    /// <summary>
    /// Interprets the value: all digits = epoch milliseconds; otherwise ISO-8601 with an offset; otherwise
    /// <c>yyyy-MM-dd HH:mm:ss</c>, taken as Hong Kong time (assumed: the public pages name no zone).
    /// </summary>
    public bool TryGetTime(out DateTimeOffset time)
    {
        time = default;
        var raw = Raw?.Trim();
        if (string.IsNullOrEmpty(raw))
        {
            return false;
        }
        if (long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
        {
            if (ms > 253402300799999)
            {
                return false;
            }
            time = DateTimeOffset.FromUnixTimeMilliseconds(ms);
            return true;
        }
        if (DateTime.TryParseExact(raw, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            time = new DateTimeOffset(local, AlipayTime.HongKongOffset);
            return true;
        }
        return raw.Contains('T', StringComparison.Ordinal) && AlipayTime.TryParse(raw, out time);
    }

    /// <inheritdoc />
    public override string ToString() => Raw ?? string.Empty;
}

/// <summary>Reads and writes <see cref="AlipayTimestamp"/> keeping its JSON form (number or string).</summary>
public sealed class AlipayTimestampConverter : JsonConverter<AlipayTimestamp>
{
    /// <inheritdoc />
    public override AlipayTimestamp Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.Number when reader.TryGetInt64(out var ms) => AlipayTimestamp.FromNumber(ms.ToString(CultureInfo.InvariantCulture)),
            JsonTokenType.String => AlipayTimestamp.FromText(reader.GetString()!),
            _ => throw new JsonException("A time must be epoch milliseconds or an ISO-8601 string."),
        };

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, AlipayTimestamp value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value.IsNumber)
        {
            writer.WriteNumberValue(long.Parse(value.Raw, CultureInfo.InvariantCulture));
        }
        else
        {
            writer.WriteStringValue(value.Raw);
        }
    }
}
