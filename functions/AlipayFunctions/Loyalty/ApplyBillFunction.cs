using System.Text.Json;
using AlipayFunctions.Hosting;
using AlipayFunctions.Observability;
using AlipayFunctions.Passes;
using AlipayFunctions.Settings;
using AlipayFunctions.Storage.Queues;

namespace AlipayFunctions.Loyalty;

/// <summary>
/// Queue function <c>ApplyBill</c> (queue <c>bills</c>): awards a bill's points exactly once, then asks for the
/// card to show the new balance. The pass-sync message is queued with a short delay so that a burst of payments
/// costs one updatePass, not one each.
/// </summary>
internal sealed partial class ApplyBillFunction(
    LoyaltyLedger ledger,
    AppSettings settings,
    QueueServiceClient queues,
    AppMetrics metrics,
    ILogger<ApplyBillFunction> logger) : IQueueFunction
{
    public string Name => "ApplyBill";

    public string QueueName => AppStorage.BillsQueue;

    public async Task<QueueWorkResult> RunAsync(QueueWorkItem item, CancellationToken cancellationToken)
    {
        BillMessage? bill;
        try
        {
            bill = JsonSerializer.Deserialize(item.Body, MessageJsonContext.Default.BillMessage);
        }
        catch (JsonException)
        {
            bill = null;
        }
        if (bill is null || string.IsNullOrEmpty(bill.UserId) || string.IsNullOrEmpty(bill.BillNo))
        {
            LogMalformed(item.MessageId);
            return QueueWorkResult.Poison;
        }

        var earning = settings.Loyalty.EarnRules.Earn(bill.Currency, bill.Value);
        // A queued sync covers every bill applied within its delay and processing window: one message per burst.
        var applied = await ledger.ApplyBillAsync(bill, earning, cancellationToken, settings.Queues.PassSyncDelay + settings.Queues.VisibilityTimeout).ConfigureAwait(false);
        var outcome = applied.Outcome;
        metrics.Bill(outcome.ToString());
        LogApplied(bill.BillNo, LogMask.UserId(bill.UserId), bill.TracerId, outcome, earning.Points, earning.ZeroReason);

        // A redelivered bill (a crash after the transaction, before the sync was queued) still owes the card its sync.
        var needsSync = outcome switch
        {
            BillOutcome.Applied => applied.SyncRequested,
            BillOutcome.Duplicate => (await ledger.GetMemberAsync(bill.UserId, cancellationToken).ConfigureAwait(false))?.NeedsSync == true,
            _ => false,
        };
        if (needsSync)
        {
            await MemberWork.QueuePassSyncAsync(queues, bill.UserId, bill.TracerId, settings.Queues.PassSyncDelay, cancellationToken).ConfigureAwait(false);
        }
        return QueueWorkResult.Done;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Message {MessageId} on the bills queue is not a bill; moved to the poison queue")]
    private partial void LogMalformed(string messageId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Bill {BillNo} of user {UserId} (Tracer-Id {TracerId}): {Outcome}, {Points} points {ZeroReason}")]
    private partial void LogApplied(string billNo, string userId, string? tracerId, BillOutcome outcome, long points, string? zeroReason);
}
