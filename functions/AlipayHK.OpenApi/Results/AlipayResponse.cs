using System.Text.Json;
using System.Text.Json.Serialization;

namespace AlipayHK.OpenApi.Results;

/// <summary>
/// What every AlipayHK answer has: the result object (under <c>result</c>, or <c>resultInfo</c> in an older
/// sample; both are read and whichever came is written back) and any fields this library does not model.
/// </summary>
public abstract class AlipayResponse
{
    /// <summary>The result object under its usual name <c>result</c>.</summary>
    public AlipayResult? Result { get; set; }

    /// <summary>The result object under its older name <c>resultInfo</c>.</summary>
    public AlipayResult? ResultInfo { get; set; }

    /// <summary>Fields this library does not model, kept so nothing AlipayHK sends is lost.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }

    /// <summary>The result under either name; null when the answer has none.</summary>
    [JsonIgnore]
    public AlipayResult? EffectiveResult => Result ?? ResultInfo;

    /// <summary>AlipayHK's <c>Tracer-Id</c> header of the answer, set by the client (not part of the JSON).</summary>
    [JsonIgnore]
    public string? TracerId { get; set; }
}

/// <summary>An answer that carries nothing but the result (updatePass, circleStore/save ...).</summary>
public sealed class AlipayResultResponse : AlipayResponse;
