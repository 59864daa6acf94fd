using System.Text.Json;
using System.Text.Json.Serialization;
using AlipayHK.OpenApi.Client;
using AlipayHK.OpenApi.Results;
using AlipayHK.OpenApi.Serialization;
using AlipayHK.OpenApi.Webhooks;

namespace AlipayHK.OpenApi.Mall;

/// <summary>Which mall a request is about.</summary>
public sealed class BusinessDistrictSubject
{
    /// <summary>The mall group.</summary>
    public string? MallGroupLabel { get; set; }

    /// <summary>The mall.</summary>
    public string? MallLabel { get; set; }

    /// <summary>Fields this library does not model.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }

    internal static void Validate(string api, string field, BusinessDistrictSubject? subject)
    {
        if (subject is null)
        {
            throw new ArgumentException($"{api}: {field} is required.", field);
        }
        if (string.IsNullOrWhiteSpace(subject.MallLabel) && string.IsNullOrWhiteSpace(subject.MallGroupLabel))
        {
            throw new ArgumentException($"{api}: {field}.mallLabel or {field}.mallGroupLabel is required.", field + ".mallLabel");
        }
    }
}

/// <summary>
/// bill/query (<c>/api/open/alipayhk/businessdistrict/bill/query</c>): fetch the transactions a user submitted
/// in the mall mini-app. <see cref="AccessToken"/> is a secret: <see cref="ToString"/> never prints it.
/// </summary>
public sealed class BillQueryRequest
{
    /// <summary>The mall.</summary>
    public BusinessDistrictSubject? BusinessDistrictSubject { get; set; }

    /// <summary>The batch handed to the mini-app's <c>onShow</c>.</summary>
    public string? BatchNo { get; set; }

    /// <summary>The user's access token from applyToken (secret).</summary>
    public string? AccessToken { get; set; }

    /// <summary>The mini-app id.</summary>
    public string? AppId { get; set; }

    /// <summary>Fields this library does not model.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }

    /// <summary>Checks the fields before sending: the mall, <c>batchNo</c> and <c>accessToken</c> are required.</summary>
    /// <exception cref="ArgumentException">A field is missing; <see cref="ArgumentException.ParamName"/> is its JSON name.</exception>
    public void Validate()
    {
        BusinessDistrictSubject.Validate("bill/query", "businessDistrictSubject", BusinessDistrictSubject);
        RequestChecks.Required("bill/query", "batchNo", BatchNo);
        RequestChecks.Required("bill/query", "accessToken", AccessToken);
    }

    /// <summary>Describes the request without the token.</summary>
    public override string ToString() => $"BillQueryRequest {{ BatchNo = {BatchNo}, AppId = {AppId}, AccessToken = {Redaction.Mask(AccessToken)} }}";
}

/// <summary>
/// bill/query's answer. Not public: modelled as the subject plus bills shaped like bill/notify's body
/// (field name <c>bills</c> assumed); anything else is kept in <see cref="AlipayResponse.ExtensionData"/>.
/// </summary>
public sealed class BillQueryResponse : AlipayResponse
{
    /// <summary>The mall.</summary>
    public BusinessDistrictSubject? BusinessDistrictSubject { get; set; }

    /// <summary>The submitted transactions.</summary>
    public List<BillNotifyRequest>? Bills { get; set; }
}

/// <summary>A shop as the mall's PMS knows it.</summary>
public sealed class MerchantPms
{
    /// <summary>The partner id.</summary>
    public string? PartnerId { get; set; }

    /// <summary>The merchant id.</summary>
    public string? MerchantId { get; set; }

    /// <summary>The merchant name.</summary>
    public string? MerchantName { get; set; }

    /// <summary>The store id.</summary>
    public string? StoreId { get; set; }

    /// <summary>The store name.</summary>
    public string? StoreName { get; set; }

    /// <summary>Fields this library does not model.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary>A shop registered with a mall.</summary>
public sealed class CircleStore
{
    /// <summary>The shop.</summary>
    public MerchantPms? MerchantPms { get; set; }

    /// <summary>The mall.</summary>
    public BusinessDistrictSubject? BusinessDistrictSubject { get; set; }

    /// <summary>Fields this library does not model.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary>circleStore/save (<c>/api/open/alipayhk/businessdistrict/circleStore/save</c>): register a shop.</summary>
public sealed class CircleStoreSaveRequest
{
    /// <summary>How the shop is identified.</summary>
    public string? SaveWayType { get; set; }

    /// <summary>Register the shop from one of its transactions.</summary>
    public string? IpayTradeNo { get; set; }

    /// <summary>Or describe the shop directly.</summary>
    public CircleStore? CircleStore { get; set; }

    /// <summary>Checks the fields before sending: <c>ipayTradeNo</c> or a <c>circleStore</c> naming its merchant and mall.</summary>
    /// <exception cref="ArgumentException">A field is missing; <see cref="ArgumentException.ParamName"/> is its JSON name.</exception>
    public void Validate()
    {
        const string Api = "circleStore/save";
        if (CircleStore is null)
        {
            RequestChecks.Required(Api, "ipayTradeNo", IpayTradeNo);
            return;
        }
        if (CircleStore.MerchantPms is null)
        {
            throw new ArgumentException($"{Api}: circleStore.merchantPms is required.", "circleStore.merchantPms");
        }
        RequestChecks.Required(Api, "circleStore.merchantPms.merchantId", CircleStore.MerchantPms.MerchantId);
        BusinessDistrictSubject.Validate(Api, "circleStore.businessDistrictSubject", CircleStore.BusinessDistrictSubject);
    }

    /// <summary>Fields this library does not model.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary>circleStore/save's answer (not public: the result, everything else kept).</summary>
public sealed class CircleStoreSaveResponse : AlipayResponse;

/// <summary>Paging; the values are strings in AlipayHK's sample.</summary>
public sealed class PageInfo
{
    /// <summary>Page size (a string in AlipayHK's sample; a number is accepted too).</summary>
    [JsonConverter(typeof(StringOrNumberConverter))]
    public string? PageSize { get; set; }

    /// <summary>Page index (a string in AlipayHK's sample; a number is accepted too).</summary>
    [JsonConverter(typeof(StringOrNumberConverter))]
    public string? PageIndex { get; set; }

    /// <summary>Fields this library does not model (totals, in answers).</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary>circleStore/queryPage (<c>/api/open/alipayhk/businessdistrict/circleStore/queryPage</c>): page through registered shops.</summary>
public sealed class CircleStoreQueryPageRequest
{
    /// <summary>The mall.</summary>
    public BusinessDistrictSubject? BusinessDistrictSubject { get; set; }

    /// <summary>Which page.</summary>
    public PageInfo? PageInfo { get; set; }

    /// <summary>Checks the fields before sending: the mall and a page (size and index positive integers).</summary>
    /// <exception cref="ArgumentException">A field is missing or invalid; <see cref="ArgumentException.ParamName"/> is its JSON name.</exception>
    public void Validate()
    {
        const string Api = "circleStore/queryPage";
        BusinessDistrictSubject.Validate(Api, "businessDistrictSubject", BusinessDistrictSubject);
        if (PageInfo is null)
        {
            throw new ArgumentException($"{Api}: pageInfo is required.", "pageInfo");
        }
        RequestChecks.PositiveInteger(Api, "pageInfo.pageSize", PageInfo.PageSize);
        RequestChecks.PositiveInteger(Api, "pageInfo.pageIndex", PageInfo.PageIndex);
    }

    /// <summary>Fields this library does not model.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary>circleStore/queryPage's answer (not public: paging if present, everything else kept).</summary>
public sealed class CircleStoreQueryPageResponse : AlipayResponse
{
    /// <summary>Paging, if the answer carries it.</summary>
    public PageInfo? PageInfo { get; set; }
}
