using System.Text.Json;
using System.Text.Json.Serialization;
using AlipayHK.OpenApi.Client;
using AlipayHK.OpenApi.Results;
using AlipayHK.OpenApi.Serialization;

namespace AlipayHK.OpenApi.Passes;

/// <summary>Template detail (<c>/api/open/alipay/v1/ipass/template/manage/detail</c>): read a card template.</summary>
public sealed class TemplateDetailRequest
{
    /// <summary>The template (required).</summary>
    public string? TemplateCode { get; set; }

    /// <summary>The merchant id (required).</summary>
    public string? MerchantId { get; set; }

    /// <summary>Checks the fields against AlipayHK's template detail page (both required, ≤ 64) before sending.</summary>
    /// <exception cref="ArgumentException">A field is missing or too long; <see cref="ArgumentException.ParamName"/> is its JSON name.</exception>
    public void Validate()
    {
        RequestChecks.Required("templateDetail", "templateCode", TemplateCode, 64);
        RequestChecks.Required("templateDetail", "merchantId", MerchantId, 64);
    }

    /// <summary>Fields this library does not model.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary>A card template as AlipayHK describes it.</summary>
public sealed class TemplateDetailResponse : AlipayResponse
{
    /// <summary>The template.</summary>
    public string? TemplateCode { get; set; }

    /// <summary>Start of validity (epoch ms).</summary>
    public AlipayTimestamp? StartDate { get; set; }

    /// <summary>End of validity (epoch ms).</summary>
    public AlipayTimestamp? EndDate { get; set; }

    /// <summary><c>valid</c>, <c>frozen</c>, <c>paused</c>, <c>expired</c> or <c>closed</c>.</summary>
    public string? Status { get; set; }

    /// <summary><c>barcode</c>, <c>qrcode</c>, <c>promocode</c> (or <c>none</c>).</summary>
    public string? CodeType { get; set; }

    /// <summary>The code standard under its correct spelling <c>codeStandard</c>.</summary>
    public string? CodeStandard { get; set; }

    /// <summary>The code standard as one AlipayHK page spells it, <c>codeStandrad</c>.</summary>
    [JsonPropertyName("codeStandrad")]
    public string? CodeStandrad { get; set; }

    /// <summary>The code standard (<c>CODE128</c>, <c>EAN-13</c>, <c>QRCODE</c>) under either spelling.</summary>
    [JsonIgnore]
    public string? EffectiveCodeStandard => CodeStandard ?? CodeStandrad;

    /// <summary>The card image.</summary>
    public string? ImageUrl { get; set; }

    /// <summary>Button settings (shape not documented; kept as JSON).</summary>
    public JsonElement? Button { get; set; }

    /// <summary>Texts per locale (<c>en_US</c>, <c>zh_HK</c> ...).</summary>
    public Dictionary<string, TemplateLocaleInfo>? LocaleInfo { get; set; }

    /// <summary>The merchant logo.</summary>
    public string? MerchantLogo { get; set; }

    /// <summary>Selling price.</summary>
    public AlipayAmount? CurrentAmount { get; set; }

    /// <summary>Original price.</summary>
    public AlipayAmount? OriginalAmount { get; set; }

    /// <summary>Discount rate, 1-100.</summary>
    public int? Discount { get; set; }

    /// <summary>Total stock.</summary>
    public long? Stock { get; set; }

    /// <summary>Stock left.</summary>
    public long? AvailableStock { get; set; }

    /// <summary>Where the user buys the card.</summary>
    public string? OrderPageLink { get; set; }

    /// <summary>Categories (shape not documented).</summary>
    public JsonElement? Categories { get; set; }

    /// <summary>Merchant ids the card is valid at (shape not documented).</summary>
    public JsonElement? BizMids { get; set; }

    /// <summary>Exposure settings (shape not documented).</summary>
    public JsonElement? Exposure { get; set; }

    /// <summary>Extra pass information (shape not documented: an object or a JSON string).</summary>
    public JsonElement? PassExtInfo { get; set; }
}

/// <summary>A template's texts in one locale.</summary>
public sealed class TemplateLocaleInfo
{
    /// <summary>Card name.</summary>
    public string? Name { get; set; }

    /// <summary>Subtitle.</summary>
    public string? SubName { get; set; }

    /// <summary>Description.</summary>
    public string? Description { get; set; }

    /// <summary>Shops (shape not documented).</summary>
    public JsonElement? Shops { get; set; }

    /// <summary>Brand name.</summary>
    public string? BrandName { get; set; }

    /// <summary>Custom tabs (shape not documented).</summary>
    public JsonElement? CustomTabs { get; set; }

    /// <summary>Fields this library does not model.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}
