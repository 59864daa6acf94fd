using System.Text.Json;
using AlipayFunctions.Observability;
using AlipayFunctions.Passes;
using AlipayFunctions.Reconciliation;
using AlipayFunctions.Settings;
using AlipayFunctions.Storage;
using Azure.Storage.Queues;

namespace AlipayFunctions.Loyalty;

/// <summary>
/// The work behind queue function <c>ApplyBill</c> (queue <c>bills</c>): awards a bill's points exactly once, then
/// asks for the card to show the new balance. The pass-sync message is queued with a short delay so that a burst of
/// payments costs one updatePass, not one each. Throws when the delivery must be retried.
/// </summary>
internal sealed partial class BillWork(
    LoyaltyLedger ledger,
    AppSettings settings,
    QueueServiceClient queues,
    AppMetrics metrics,
    CrashPoints crash,
    TimeProvider clock,
    ILogger<BillWork> logger)
{
    public async Task ApplyAsync(QueueDelivery delivery, CancellationToken cancellationToken)
    {
        try
        {
            await ApplyOnceAsync(delivery, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            QueueWorkLog.Failed(logger, AppStorage.BillsQueue, delivery, settings.Queues.MaxDequeueCount, e);
            throw;
        }
    }

    private async Task ApplyOnceAsync(QueueDelivery delivery, CancellationToken cancellationToken)
    {
        metrics.QueueAge(AppStorage.BillsQueue, delivery, clock);
        BillMessage? bill;
        try
        {
            bill = JsonSerializer.Deserialize(delivery.Body, MessageJsonContext.Default.BillMessage);
        }
        catch (JsonException)
        {
            bill = null;
        }
        if (bill is null || string.IsNullOrEmpty(bill.UserId) || string.IsNullOrEmpty(bill.BillNo))
        {
            LogMalformed(delivery.Id, delivery.DequeueCount);
            throw new MalformedMessageException($"Message {delivery.Id} on the bills queue is not a bill.");
        }

        var earning = settings.Loyalty.EarnRules.Earn(bill.Currency, bill.Value);
        // A queued sync covers every bill applied within its delay and processing window: one message per burst.
        var applied = await ledger.ApplyBillAsync(bill, earning, cancellationToken, settings.Queues.PassSyncDelay + settings.Queues.VisibilityTimeout).ConfigureAwait(false);
        var outcome = applied.Outcome;
        if (outcome == BillOutcome.Applied)
        {
            crash.At(CrashPoint.BillApplied);
        }
        metrics.Bill(outcome.ToString());
        LogApplied(bill.BillNo, LogMask.UserId(bill.UserId), LogMask.TracerId(bill.TracerId), outcome, earning.Points, earning.ZeroReason);

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
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Message {MessageId} on the bills queue is not a bill (delivery {DequeueCount}); it goes to the poison queue after the last delivery")]
    private partial void LogMalformed(string messageId, long dequeueCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Bill {BillNo} of user {UserId} (Tracer-Id {TracerId}): {Outcome}, {Points} points {ZeroReason}")]
    private partial void LogApplied(string billNo, string userId, string tracerId, BillOutcome outcome, long points, string? zeroReason);
}
