using System.Text.Json;
using System.Text.Json.Serialization;
using AlipayHK.OpenApi.Serialization;

namespace AlipayHK.OpenApi.Webhooks;

/// <summary>
/// bill/notify (AlipayHK → merchant, <c>/{merchantTag}/points/bill/notify</c>): a payment by an authorised user.
/// Idempotency key: <see cref="BillNo"/> (with <see cref="PointsProvider"/>). Also the shape of each bill in
/// bill/query's answer. Unknown fields are kept.
/// </summary>
public sealed class BillNotifyRequest
{
    /// <summary>AlipayHK users.</summary>
    public const string AlipayHK = "ALIPAYHK";

    /// <summary>AlipayCN users.</summary>
    public const string AlipayCN = "ALIPAYCN";

    /// <summary>The paying user (required; <c>2160…</c> AlipayHK, <c>2088…</c> AlipayCN).</summary>
    public string? UserId { get; set; }

    /// <summary>AlipayHK's bill number: the idempotency key (required).</summary>
    public string? BillNo { get; set; }

    /// <summary>The AlipayCN bill number.</summary>
    public string? CnBillNo { get; set; }

    /// <summary>The shop's merchant id.</summary>
    public string? MerchantId { get; set; }

    /// <summary>The shop's name.</summary>
    public string? MerchantName { get; set; }

    /// <summary>What was paid (required): currency and value in minor units.</summary>
    public AlipayAmount? OrderAmount { get; set; }

    /// <summary>When it was paid (required): ISO-8601 or epoch ms, kept raw; see <see cref="TryGetPayTime"/>.</summary>
    public AlipayTimestamp? PayTime { get; set; }

    /// <summary><see cref="AlipayHK"/> or <see cref="AlipayCN"/> (required).</summary>
    public string? PointsProvider { get; set; }

    /// <summary>The merchant's own bill number.</summary>
    public string? OutBillNo { get; set; }

    /// <summary>The mall's PMS label of the shop.</summary>
    public string? PmsLabel { get; set; }

    /// <summary>Fields this library does not model.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }

    /// <summary>Interprets <see cref="PayTime"/>.</summary>
    public bool TryGetPayTime(out DateTimeOffset payTime)
    {
        payTime = default;
        return PayTime is { } raw && raw.TryGetTime(out payTime);
    }

    /// <summary>Reads a body: a malformed or mistyped body and missing fields come back as named errors.</summary>
    public static WebhookParseResult<BillNotifyRequest> Parse(ReadOnlySpan<byte> body) =>
        WebhookParsing.Parse(body, AlipayJsonContext.Default.BillNotifyRequest, static value => value.Validate());

    /// <summary>Every missing or ill-formed field, by name; empty when the bill can be applied.</summary>
    public List<WebhookFieldError> Validate()
    {
        var errors = new List<WebhookFieldError>();
        WebhookParsing.Require(errors, UserId, "userId");
        WebhookParsing.Require(errors, BillNo, "billNo");
        if (OrderAmount is null)
        {
            errors.Add(new WebhookFieldError("orderAmount", "is required"));
        }
        else
        {
            WebhookParsing.Require(errors, OrderAmount.Currency, "orderAmount.currency");
            if (OrderAmount.Value is null)
            {
                errors.Add(new WebhookFieldError("orderAmount.value", "is required"));
            }
            else if (OrderAmount.Value < 0)
            {
                errors.Add(new WebhookFieldError("orderAmount.value", "must not be negative"));
            }
        }
        if (PayTime is null)
        {
            errors.Add(new WebhookFieldError("payTime", "is required"));
        }
        else if (!TryGetPayTime(out _))
        {
            errors.Add(new WebhookFieldError("payTime", "must be ISO-8601 or epoch milliseconds"));
        }
        if (string.IsNullOrWhiteSpace(PointsProvider))
        {
            errors.Add(new WebhookFieldError("pointsProvider", "is required"));
        }
        else if (!string.Equals(PointsProvider, AlipayHK, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(PointsProvider, AlipayCN, StringComparison.OrdinalIgnoreCase))
        {
            errors.Add(new WebhookFieldError("pointsProvider", "must be ALIPAYHK or ALIPAYCN"));
        }
        return errors;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"BillNotifyRequest {{ BillNo = {BillNo}, UserId = {UserId}, PointsProvider = {PointsProvider}, OrderAmount = {OrderAmount?.Value} {OrderAmount?.Currency}, PayTime = {PayTime} }}";
}
