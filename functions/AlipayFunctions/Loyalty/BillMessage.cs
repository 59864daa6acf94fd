using System.Text.Json;
using System.Text.Json.Serialization;
using AlipayHK.OpenApi.Webhooks;
using AlipayFunctions.Storage;
using Azure.Storage.Queues;

namespace AlipayFunctions.Loyalty;

/// <summary>
/// A payment to award points for, as queued on <c>bills</c>: the fields of a bill/notify (or of a bill the mall
/// mini-app uploaded) that the ledger needs, already validated. Small, so a queue message never nears 64 KiB.
/// <paramref name="MessageId"/> names the message in logs and in <c>alipayhk</c> (<see cref="MessageIds"/>).
/// </summary>
public sealed record BillMessage(
    string UserId,
    string BillNo,
    string PointsProvider,
    string Currency,
    long Value,
    string? PayTime,
    string Source,
    string? TracerId,
    string? MessageId = null)
{
    /// <summary>The bill/notify webhook.</summary>
    public const string FromNotify = "bill/notify";

    /// <summary>The mall mini-app's manual upload (bill/query).</summary>
    public const string FromMiniApp = "miniapp/bill-query";

    /// <summary>
    /// Queues a bill that passed <see cref="BillNotifyRequest.Validate"/>, whichever channel brought it, so both
    /// channels share one message shape and one dedupe key.
    /// </summary>
    public static Task QueueAsync(QueueClient bills, BillNotifyRequest bill, string source, string? tracerId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(bills);
        ArgumentNullException.ThrowIfNull(bill);
        var message = new BillMessage(bill.UserId!, bill.BillNo!, bill.PointsProvider!.ToUpperInvariant(), bill.OrderAmount!.Currency!.ToUpperInvariant(),
            bill.OrderAmount.Value!.Value, bill.PayTime?.ToString(), source, tracerId, MessageIds.New());
        return bills.SendMessageAsync(JsonSerializer.Serialize(message, MessageJsonContext.Default.BillMessage), cancellationToken: ct);
    }
}

/// <summary>A member whose card needs work, as queued on <c>pass-create</c> and <c>pass-sync</c>; <paramref name="MessageId"/> as for bills.</summary>
public sealed record MemberMessage(string UserId, string? TracerId, string? MessageId = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BillMessage))]
[JsonSerializable(typeof(MemberMessage))]
internal sealed partial class MessageJsonContext : JsonSerializerContext;
