using System.Text.Json;
using System.Text.Json.Serialization;
using AlipayHK.OpenApi.Client;
using AlipayHK.OpenApi.Results;
using AlipayHK.OpenApi.Serialization;

namespace AlipayHK.OpenApi.Passes;

/// <summary>
/// updatePass (<c>/api/open/alipay/v1/ipass/pass/manage/updatePass</c>): change a card (points balance,
/// validity) or close it. Send absolute values, never increments: a repeat is then harmless.
/// </summary>
public sealed class UpdatePassRequest
{
    /// <summary>The merchant id (required).</summary>
    public string? MerchantId { get; set; }

    /// <summary>The AlipayHK user id; this or <see cref="OpenId"/>.</summary>
    public string? UserId { get; set; }

    /// <summary>The user's open id; this or <see cref="UserId"/>.</summary>
    public string? OpenId { get; set; }

    /// <summary>The card template.</summary>
    public string? TemplateCode { get; set; }

    /// <summary>The card (required).</summary>
    public string? PassId { get; set; }

    /// <summary><c>UPDATE</c>, <c>CLOSED</c>, <c>USED</c> or <c>REFUND</c> (required).</summary>
    public string? Status { get; set; }

    /// <summary>With <c>UPDATE</c>: <c>UPDATE_DATA_INFO</c>, <c>UPDATE_VALIDITY</c> or <c>UPDATE_TEMPLATE</c>.</summary>
    public string? UpdateDetailType { get; set; }

    /// <summary>New template variable values per locale.</summary>
    public Dictionary<string, Dictionary<string, string>>? DataInfo { get; set; }

    /// <summary>The pass verification code.</summary>
    public string? PassVerifyCode { get; set; }

    /// <summary>With <c>UPDATE_VALIDITY</c>: the new start of validity (epoch ms).</summary>
    public AlipayTimestamp? StartDate { get; set; }

    /// <summary>With <c>UPDATE_VALIDITY</c>: the new end of validity (epoch ms).</summary>
    public AlipayTimestamp? EndDate { get; set; }

    /// <summary>
    /// Checks the fields against protocol §4 before anything is signed or sent. Lengths are assumed equal to
    /// createPass's (the updatePass page is not among AlipayHK's seed pages): ids 32, <c>passId</c> 32 (createPass
    /// answers it as ≤ 32), <c>dataInfo</c> 8192 characters of JSON.
    /// </summary>
    /// <exception cref="ArgumentException">A field is missing or invalid; <see cref="ArgumentException.ParamName"/> is its JSON name.</exception>
    public void Validate()
    {
        const string Api = "updatePass";
        RequestChecks.Required(Api, "merchantId", MerchantId, 32);
        RequestChecks.Optional(Api, "userId", UserId, 32);
        RequestChecks.Optional(Api, "openId", OpenId, 32);
        if (string.IsNullOrWhiteSpace(UserId) && string.IsNullOrWhiteSpace(OpenId))
        {
            throw new ArgumentException($"{Api}: userId or openId is required.", "userId");
        }
        RequestChecks.Optional(Api, "templateCode", TemplateCode, 32);
        RequestChecks.Required(Api, "passId", PassId, 32);
        RequestChecks.OneOf(Api, "status", Status, required: true, 32, "UPDATE", "CLOSED", "USED", "REFUND");
        RequestChecks.OneOf(Api, "updateDetailType", UpdateDetailType, required: Status == "UPDATE", 32,
            "UPDATE_DATA_INFO", "UPDATE_VALIDITY", "UPDATE_TEMPLATE");
        RequestChecks.JsonLength(Api, "dataInfo", DataInfo, AlipayJsonContext.Wire.DictionaryStringDictionaryStringString, 8192);
        var start = RequestChecks.EpochMilliseconds(Api, "startDate", StartDate, required: false);
        var end = RequestChecks.EpochMilliseconds(Api, "endDate", EndDate, required: false);
        if (Status == "UPDATE")
        {
            switch (UpdateDetailType)
            {
                case "UPDATE_DATA_INFO" when DataInfo is null || DataInfo.Count == 0:
                    throw new ArgumentException($"{Api}: dataInfo is required with UPDATE_DATA_INFO.", "dataInfo");
                case "UPDATE_VALIDITY" when start is null && end is null:
                    throw new ArgumentException($"{Api}: startDate or endDate is required with UPDATE_VALIDITY.", "startDate");
                case "UPDATE_TEMPLATE" when string.IsNullOrWhiteSpace(TemplateCode):
                    throw new ArgumentException($"{Api}: templateCode is required with UPDATE_TEMPLATE.", "templateCode");
            }
        }
        if (start is not null && end < start)
        {
            throw new ArgumentException($"{Api}: endDate is before startDate.", "endDate");
        }
    }

    /// <summary>Fields this library does not model.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary>updatePass's answer: the result only.</summary>
public sealed class UpdatePassResponse : AlipayResponse;
