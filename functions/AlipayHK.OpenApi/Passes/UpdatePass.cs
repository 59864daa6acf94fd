using System.Text.Json;
using System.Text.Json.Serialization;
using AlipayHK.OpenApi.Results;

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

    /// <summary>Fields this library does not model.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary>updatePass's answer: the result only.</summary>
public sealed class UpdatePassResponse : AlipayResponse;
