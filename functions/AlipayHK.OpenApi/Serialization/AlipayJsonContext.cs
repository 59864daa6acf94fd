using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using AlipayHK.OpenApi.Authorization;
using AlipayHK.OpenApi.Mall;
using AlipayHK.OpenApi.Passes;
using AlipayHK.OpenApi.Results;
using AlipayHK.OpenApi.Webhooks;

namespace AlipayHK.OpenApi.Serialization;

/// <summary>
/// The source-generated JSON metadata for every AlipayHK message (trim- and AOT-safe): camelCase names, nulls
/// omitted on write, compact output, numbers also read from strings (AlipayHK sends both).
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(AlipayResult))]
[JsonSerializable(typeof(AlipayResultResponse))]
[JsonSerializable(typeof(CreatePassRequest))]
[JsonSerializable(typeof(CreatePassResponse))]
[JsonSerializable(typeof(PassExtInfo))]
[JsonSerializable(typeof(UpdatePassRequest))]
[JsonSerializable(typeof(UpdatePassResponse))]
[JsonSerializable(typeof(TemplateDetailRequest))]
[JsonSerializable(typeof(TemplateDetailResponse))]
[JsonSerializable(typeof(ApplyTokenRequest))]
[JsonSerializable(typeof(ApplyTokenResponse))]
[JsonSerializable(typeof(BillQueryRequest))]
[JsonSerializable(typeof(BillQueryResponse))]
[JsonSerializable(typeof(CircleStoreSaveRequest))]
[JsonSerializable(typeof(CircleStoreSaveResponse))]
[JsonSerializable(typeof(CircleStoreQueryPageRequest))]
[JsonSerializable(typeof(CircleStoreQueryPageResponse))]
[JsonSerializable(typeof(MemberCardCreateRequest))]
[JsonSerializable(typeof(BillNotifyRequest))]
public sealed partial class AlipayJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The encoder for every body this library writes: JSON-escapes only what JSON requires, so a time is sent as
    /// <c>+08:00</c>, not <c>\u002B08:00</c>, and Chinese text as UTF-8. Safe here: the bodies go to AlipayHK and
    /// are signed, never embedded in HTML.
    /// </summary>
    public static JavaScriptEncoder WireEncoder => JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>
    /// The same metadata as <see cref="Default"/> with <see cref="WireEncoder"/>: use it to serialise any body that
    /// goes on the wire (the client does).
    /// </summary>
    public static AlipayJsonContext Wire { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        Encoder = WireEncoder,
    });
}
