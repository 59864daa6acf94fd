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
public sealed partial class AlipayJsonContext : JsonSerializerContext;
