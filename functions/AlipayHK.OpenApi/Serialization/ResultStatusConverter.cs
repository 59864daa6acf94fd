using System.Text.Json;
using System.Text.Json.Serialization;
using AlipayHK.OpenApi.Results;

namespace AlipayHK.OpenApi.Serialization;

/// <summary>Reads <c>S</c>/<c>F</c>/<c>U</c> in any case; anything else reads as U (unknown outcome, retry).</summary>
public sealed class ResultStatusConverter : JsonConverter<ResultStatus>
{
    /// <inheritdoc />
    public override ResultStatus Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException("resultStatus must be a string (S, F or U).");
        }
        if (reader.ValueTextEquals("S"u8) || reader.ValueTextEquals("s"u8))
        {
            return ResultStatus.Success;
        }
        return reader.ValueTextEquals("F"u8) || reader.ValueTextEquals("f"u8) ? ResultStatus.Failed : ResultStatus.Unknown;
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, ResultStatus value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(ToCode(value));
    }

    /// <summary>The wire letter of a status.</summary>
    public static string ToCode(ResultStatus status) => status switch
    {
        ResultStatus.Success => "S",
        ResultStatus.Failed => "F",
        _ => "U",
    };
}
