using System.Text.Json;
using System.Text.Json.Serialization;

namespace AlipayHK.OpenApi.Results;

/// <summary>
/// The <c>result</c> object of every AlipayHK answer: <c>{resultCode, resultStatus, resultMessage}</c>.
/// One older sample spells the message <c>resultMsg</c>; both are read (see <see cref="Message"/>).
/// </summary>
public sealed class AlipayResult
{
    /// <summary>The result code, e.g. <c>SUCCESS</c> or <c>PARAM_ILLEGAL</c>; compare with <see cref="ResultCodes"/>.</summary>
    public string? ResultCode { get; set; }

    /// <summary>S, F or U.</summary>
    public ResultStatus ResultStatus { get; set; }

    /// <summary>The human-readable message.</summary>
    public string? ResultMessage { get; set; }

    /// <summary>The message under its older spelling <c>resultMsg</c>.</summary>
    [JsonPropertyName("resultMsg")]
    public string? ResultMsg { get; set; }

    /// <summary>Fields this library does not model, kept so nothing AlipayHK sends is lost.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }

    /// <summary>The message under either spelling.</summary>
    [JsonIgnore]
    public string? Message => ResultMessage ?? ResultMsg;

    /// <summary>Whether the status is S.</summary>
    [JsonIgnore]
    public bool IsSuccess => ResultStatus == ResultStatus.Success;

    /// <summary>The answer to a handled webhook: <c>SUCCESS</c>, S, <c>success</c>.</summary>
    public static AlipayResult Success() =>
        new() { ResultCode = ResultCodes.Success, ResultStatus = ResultStatus.Success, ResultMessage = "success" };

    /// <summary>A failure with a code and message.</summary>
    public static AlipayResult Failure(string code, string message, ResultStatus status = ResultStatus.Failed) =>
        new() { ResultCode = code, ResultStatus = status, ResultMessage = message };

    /// <inheritdoc />
    public override string ToString() => $"{ResultCode} ({ResultStatus}): {Message}";
}
