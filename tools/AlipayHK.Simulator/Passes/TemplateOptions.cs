using System.Text.Json.Serialization;

namespace AlipayHK.Simulator.Passes;

/// <summary>A card template as AlipayHK holds it (what template/manage/detail answers).</summary>
public sealed class TemplateOptions
{
    /// <summary>The code that passes name in <c>templateCode</c>.</summary>
    public string TemplateCode { get; set; } = "";

    /// <summary><c>valid</c>, <c>frozen</c>, <c>paused</c>, <c>expired</c> or <c>closed</c>.</summary>
    public string Status { get; set; } = "valid";

    /// <summary>First day the template is usable.</summary>
    public DateTimeOffset StartDate { get; set; } = new(2025, 1, 1, 0, 0, 0, TimeSpan.FromHours(8));

    /// <summary>Last day the template is usable.</summary>
    public DateTimeOffset EndDate { get; set; } = new(2035, 12, 31, 23, 59, 59, TimeSpan.FromHours(8));

    /// <summary><c>barcode</c>, <c>qrcode</c> or <c>promocode</c>.</summary>
    public string CodeType { get; set; } = "qrcode";

    /// <summary>The code symbology, e.g. <c>QRCODE</c> or <c>CODE128</c>.</summary>
    public string CodeStandard { get; set; } = "QRCODE";

    /// <summary>The card image.</summary>
    public Uri? ImageUrl { get; set; } = new("https://simulator.invalid/images/member-card.png");

    /// <summary>The merchant logo.</summary>
    public Uri? MerchantLogo { get; set; } = new("https://simulator.invalid/images/logo.png");

    /// <summary><c>MEMBER_CARD</c> or <c>GIFT_CARD</c>.</summary>
    public string Product { get; set; } = "MEMBER_CARD";

    /// <summary>Texts per locale (<c>en_US</c>, <c>zh_HK</c>, ...).</summary>
    [JsonObjectCreationHandling(JsonObjectCreationHandling.Populate)]
    public IDictionary<string, TemplateLocaleOptions> LocaleInfo { get; } = new Dictionary<string, TemplateLocaleOptions>(StringComparer.Ordinal);

    /// <summary>The default template seeded when none is configured: a valid member card with a points variable.</summary>
    public static TemplateOptions DefaultMemberCard()
    {
        var template = new TemplateOptions { TemplateCode = "TPL-MEMBER" };
        template.LocaleInfo["en_US"] = new TemplateLocaleOptions { Name = "Member Card", SubName = "Points: $points$", Description = "Simulated member card", BrandName = "Simulated Merchant" };
        template.LocaleInfo["zh_HK"] = new TemplateLocaleOptions { Name = "會員卡", SubName = "積分: $points$", Description = "模擬會員卡", BrandName = "模擬商戶" };
        return template;
    }
}

/// <summary>A template's texts in one locale.</summary>
public sealed class TemplateLocaleOptions
{
    /// <summary>The card name.</summary>
    public string Name { get; set; } = "";

    /// <summary>The line under the name; may show template variables.</summary>
    public string SubName { get; set; } = "";

    /// <summary>The card description.</summary>
    public string Description { get; set; } = "";

    /// <summary>The brand shown on the card.</summary>
    public string BrandName { get; set; } = "";
}
