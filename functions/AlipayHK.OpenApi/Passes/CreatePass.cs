using System.Text.Json;
using System.Text.Json.Serialization;
using AlipayHK.OpenApi.Client;
using AlipayHK.OpenApi.Results;
using AlipayHK.OpenApi.Serialization;

namespace AlipayHK.OpenApi.Passes;

/// <summary>
/// createPass (<c>/api/open/alipay/v1/ipass/pass/manage/createPass</c>): puts a member or gift card into the
/// user's AlipayHK wallet. Idempotent on <c>merchantId</c> + <c>templateCode</c> + <see cref="BizSerialId"/>.
/// </summary>
public sealed class CreatePassRequest
{
    /// <summary>The merchant id AlipayHK assigned (required).</summary>
    public string? MerchantId { get; set; }

    /// <summary>The AlipayHK user id; this or <see cref="OpenId"/> is required.</summary>
    public string? UserId { get; set; }

    /// <summary>The user's open id for this merchant; this or <see cref="UserId"/> is required.</summary>
    public string? OpenId { get; set; }

    /// <summary>The card template (required).</summary>
    public string? TemplateCode { get; set; }

    /// <summary>The merchant's own id for the card, ≤ 128 characters: the idempotency key (required).</summary>
    public string? BizSerialId { get; set; }

    /// <summary>Always <c>OUT_PLAT_FORM</c>.</summary>
    public string? BizSerialType { get; set; } = "OUT_PLAT_FORM";

    /// <summary>
    /// When the card becomes valid (required; epoch ms, <see cref="AlipayTimestamp.FromUnixMilliseconds"/>). Must lie
    /// within the template's validity.
    /// </summary>
    public AlipayTimestamp? StartDate { get; set; }

    /// <summary>When the card expires (required; epoch ms, not before <see cref="StartDate"/>).</summary>
    public AlipayTimestamp? EndDate { get; set; }

    /// <summary>When the card was created (required).</summary>
    public AlipayTimestamp? BizCreate { get; set; }

    /// <summary><c>CARD</c> or <c>COUPON</c>.</summary>
    public string? Type { get; set; }

    /// <summary><c>MEMBER_CARD</c> or <c>GIFT_CARD</c>.</summary>
    public string? Product { get; set; }

    /// <summary>The template's code variables, e.g. <c>$codemsg$</c> and <c>$codevalue$</c> (required).</summary>
    public Dictionary<string, string>? CodeInfo { get; set; }

    /// <summary>The template's variables per locale: <c>{"en_US": {"$points$": "120"}, "zh_HK": {...}}</c>.</summary>
    public Dictionary<string, Dictionary<string, string>>? DataInfo { get; set; }

    /// <summary>
    /// A JSON object sent as a JSON <em>string</em> (AlipayHK's format). Set it with <see cref="SetExtInfo"/> and
    /// read it with <see cref="GetExtInfo"/>.
    /// </summary>
    public string? ExtInfo { get; set; }

    /// <summary><c>FREE_GIVE</c>.</summary>
    public string? PublishScene { get; set; }

    /// <summary>Fields this library does not model.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }

    /// <summary>createPass's API name in messages.</summary>
    private const string Api = "createPass";

    /// <summary>
    /// Checks every field against AlipayHK's createPass page (presence, type, length, enumerations) before anything is
    /// signed or sent. <see cref="AlipayHKClient.CreatePassAsync"/> calls it after filling <c>merchantId</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A field is missing or invalid; <see cref="ArgumentException.ParamName"/> is its JSON name.</exception>
    public void Validate()
    {
        RequestChecks.Required(Api, "merchantId", MerchantId, 32);
        RequestChecks.Optional(Api, "userId", UserId, 32);
        RequestChecks.Optional(Api, "openId", OpenId, 32);
        if (string.IsNullOrWhiteSpace(UserId) && string.IsNullOrWhiteSpace(OpenId))
        {
            throw new ArgumentException($"{Api}: userId or openId is required.", "userId");
        }
        RequestChecks.Required(Api, "templateCode", TemplateCode, 32);
        RequestChecks.Required(Api, "bizSerialId", BizSerialId, 128);
        RequestChecks.OneOf(Api, "bizSerialType", BizSerialType, required: true, 32, "OUT_PLAT_FORM");
        var start = RequestChecks.EpochMilliseconds(Api, "startDate", StartDate, required: true);
        var end = RequestChecks.EpochMilliseconds(Api, "endDate", EndDate, required: true);
        if (end < start)
        {
            throw new ArgumentException($"{Api}: endDate is before startDate.", "endDate");
        }
        RequestChecks.EpochMilliseconds(Api, "bizCreate", BizCreate, required: true);
        RequestChecks.OneOf(Api, "type", Type, required: false, 32, "CARD", "COUPON");
        RequestChecks.OneOf(Api, "product", Product, required: false, 32, "MEMBER_CARD", "GIFT_CARD");
        if (CodeInfo is null || CodeInfo.Count == 0)
        {
            throw new ArgumentException($"{Api}: codeInfo is required.", "codeInfo");
        }
        RequestChecks.JsonLength(Api, "codeInfo", CodeInfo, AlipayJsonContext.Wire.DictionaryStringString, 512);
        RequestChecks.JsonLength(Api, "dataInfo", DataInfo, AlipayJsonContext.Wire.DictionaryStringDictionaryStringString, 8192);
        RequestChecks.JsonObjectText(Api, "extInfo", ExtInfo);
        RequestChecks.OneOf(Api, "publishScene", PublishScene, required: false, 32, "FREE_GIVE");
    }

    /// <summary>Serialises <paramref name="extInfo"/> into the <see cref="ExtInfo"/> string.</summary>
    public void SetExtInfo(PassExtInfo? extInfo) =>
        ExtInfo = extInfo is null ? null : JsonSerializer.Serialize(extInfo, AlipayJsonContext.Wire.PassExtInfo);

    /// <summary>Parses the <see cref="ExtInfo"/> string; null when absent.</summary>
    /// <exception cref="JsonException">The string is not the documented JSON object.</exception>
    public PassExtInfo? GetExtInfo() =>
        string.IsNullOrWhiteSpace(ExtInfo) ? null : JsonSerializer.Deserialize(ExtInfo, AlipayJsonContext.Default.PassExtInfo);
}

/// <summary>The object inside createPass's <c>extInfo</c> string.</summary>
public sealed class PassExtInfo
{
    /// <summary>The payment order behind a gift card.</summary>
    public string? PaymentOrderId { get; set; }

    /// <summary>The trade amount in cents.</summary>
    [JsonConverter(typeof(NullableMinorUnitsConverter))]
    public long? TradeAmountCent { get; set; }

    /// <summary>The trade currency, e.g. <c>HKD</c>.</summary>
    public string? CurrencyCode { get; set; }

    /// <summary><c>SALES_CARD</c>, <c>DIRECT_CARD</c> or <c>MEMBER_CARD</c>.</summary>
    public string? CardType { get; set; }

    /// <summary>Fields this library does not model.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary>createPass's answer: the result and the new card's <see cref="PassId"/>.</summary>
public sealed class CreatePassResponse : AlipayResponse
{
    /// <summary>The card's id in AlipayHK: store it the moment it arrives (no API returns it again).</summary>
    public string? PassId { get; set; }
}
