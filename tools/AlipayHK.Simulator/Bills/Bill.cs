using System.Globalization;
using System.Text.Json.Nodes;
using AlipayHK.OpenApi.Signing;

namespace AlipayHK.Simulator.Bills;

/// <summary>A payment by an AlipayHK user at a merchant: the body of bill/notify, and a line of a bill/query batch.</summary>
public sealed class Bill
{
    /// <summary>The paying user (<c>2160…</c> AlipayHK, <c>2088…</c> AlipayCN). Required.</summary>
    public string UserId { get; set; } = "";

    /// <summary>AlipayHK's bill number, the idempotency key; generated when empty.</summary>
    public string? BillNo { get; set; }

    /// <summary>The AlipayCN bill number, for AlipayCN users.</summary>
    public string? CnBillNo { get; set; }

    /// <summary>The merchant (shop) that was paid.</summary>
    public string? MerchantId { get; set; }

    /// <summary>Its name.</summary>
    public string? MerchantName { get; set; }

    /// <summary>ISO 4217 currency of <see cref="Value"/>.</summary>
    public string Currency { get; set; } = "HKD";

    /// <summary>The amount in minor units (cents).</summary>
    public long Value { get; set; }

    /// <summary>When the user paid; now when empty.</summary>
    public DateTimeOffset? PayTime { get; set; }

    /// <summary>Send <see cref="PayTime"/> as epoch milliseconds instead of ISO-8601 (the format is not stated publicly).</summary>
    public bool PayTimeAsEpochMilliseconds { get; set; }

    /// <summary><c>ALIPAYHK</c> or <c>ALIPAYCN</c>.</summary>
    public string PointsProvider { get; set; } = "ALIPAYHK";

    /// <summary>The merchant's own order number.</summary>
    public string? OutBillNo { get; set; }

    /// <summary>The shop's PMS label.</summary>
    public string? PmsLabel { get; set; }

    /// <summary>The JSON AlipayHK sends for this bill (protocol §4 bill/notify), filling generated values in place.</summary>
    internal JsonObject ToJson(TimeProvider clock)
    {
        BillNo ??= string.Create(CultureInfo.InvariantCulture, $"{clock.GetUtcNow():yyyyMMddHHmmss}{Random.Shared.Next(100_000, 999_999)}");
        PayTime ??= clock.GetUtcNow();
        var json = new JsonObject
        {
            ["userId"] = UserId,
            ["billNo"] = BillNo,
        };
        AddIfSet(json, "cnBillNo", CnBillNo);
        AddIfSet(json, "merchantId", MerchantId);
        AddIfSet(json, "merchantName", MerchantName);
        json["orderAmount"] = new JsonObject { ["currency"] = Currency, ["value"] = Value };
        json["payTime"] = PayTimeAsEpochMilliseconds ? PayTime.Value.ToUnixTimeMilliseconds() : AlipayTime.ToHeaderValue(PayTime.Value);
        json["pointsProvider"] = PointsProvider;
        AddIfSet(json, "outBillNo", OutBillNo);
        AddIfSet(json, "pmsLabel", PmsLabel);
        return json;
    }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(UserId))
        {
            throw new ArgumentException("A bill needs a userId.");
        }
        if (Value < 0 || string.IsNullOrWhiteSpace(Currency))
        {
            throw new ArgumentException("A bill needs a currency and a non-negative value in minor units.");
        }
    }

    private static void AddIfSet(JsonObject json, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            json[name] = value;
        }
    }
}
