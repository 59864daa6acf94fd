using AlipayFunctions.Loyalty;
using AlipayFunctions.Observability;
using AlipayFunctions.Reconciliation;
using AlipayFunctions.Settings;
using AlipayFunctions.Storage;
using Azure.Storage.Queues;
using AlipayHK.OpenApi.Client;
using AlipayHK.OpenApi.Passes;
using AlipayHK.OpenApi.Results;

namespace AlipayFunctions.Passes;

/// <summary>
/// The work behind queue function <c>SyncPass</c> (queue <c>pass-sync</c>): makes the card show the current balance. The message
/// carries no amount: the function reads the member and calls updatePass with the absolute balance only when the
/// card shows an older version, so a burst of payments coalesces into one or two calls, and a repeat is harmless.
/// Deliveries for the same member that run at once (a batch, several instances) coordinate through a claim on the
/// member row (<see cref="LoyaltyLedger.ClaimSyncAsync"/>): only the holder calls updatePass. Throws when the
/// delivery must be retried.
/// </summary>
internal sealed partial class PassSync(
    LoyaltyLedger ledger,
    AlipayHKClient alipay,
    TemplateCache templates,
    QueueServiceClient queues,
    AppSettings settings,
    AppMetrics metrics,
    CrashPoints crash,
    TimeProvider clock,
    ILogger<PassSync> logger)
{
    private const string Api = "updatePass";
    private const int MaxRounds = 3;

    public async Task SyncAsync(QueueDelivery item, CancellationToken cancellationToken)
    {
        try
        {
            await SyncOnceAsync(item, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            QueueWorkLog.Failed(logger, AppStorage.PassSyncQueue, item, settings.Queues.MaxDequeueCount, e);
            throw;
        }
    }

    private async Task SyncOnceAsync(QueueDelivery item, CancellationToken cancellationToken)
    {
        metrics.QueueAge(AppStorage.PassSyncQueue, item, clock);
        var message = MemberWork.Read(item.Body)
            ?? throw new MalformedMessageException($"Message {item.Id} on the pass-sync queue is not a member message.");
        // Concurrent deliveries for one member (a burst of bills, several instances) would each see the card behind
        // and each call updatePass: one claims the sync and sends until the card is current; the others stop here.
        var owner = item.MessageId;
        for (var round = 0; round < MaxRounds; round++)
        {
            var member = await ledger.ClaimSyncAsync(message.UserId, owner, settings.Queues.VisibilityTimeout, cancellationToken).ConfigureAwait(false);
            if (member is null)
            {
                return; // no card yet (creation shows the balance), already current, or another delivery is on it
            }
            crash.At(CrashPoint.SyncClaimed);

            try
            {
                var template = await templates.GetAsync(cancellationToken).ConfigureAwait(false);
                var request = new UpdatePassRequest
                {
                    MerchantId = settings.AlipayHK.MerchantId,
                    UserId = member.UserId,
                    TemplateCode = settings.Loyalty.TemplateCode,
                    PassId = member.PassId,
                    Status = "UPDATE",
                    UpdateDetailType = "UPDATE_DATA_INFO",
                    DataInfo = PassContent.DataInfo(member, settings.Loyalty, templates.Locales(template)),
                };
                UpdatePassResponse response;
                try
                {
                    response = await alipay.UpdatePassAsync(request, cancellationToken).ConfigureAwait(false);
                }
                catch (ArgumentException e)
                {
                    // The client refused to build the request: nothing was sent, and the same data would fail again.
                    metrics.AlipayCall(Api, "REQUEST_INVALID");
                    await ledger.RecordPassProblemAsync(member.UserId, PassState.Failed, $"{Api} request invalid ({e.ParamName}): {e.Message}", cancellationToken, "REQUEST_INVALID").ConfigureAwait(false);
                    await ledger.ReleaseSyncAsync(member.UserId, owner, cancellationToken).ConfigureAwait(false);
                    LogFailed(member.MemberId, "REQUEST_INVALID", e.Message, LogMask.TracerId(null));
                    return;
                }
                metrics.AlipayCall(Api, ResultCodes.Success);
                crash.At(CrashPoint.SyncSent);
                LogSynced(member.MemberId, member.Points, member.BalanceVersion, LogMask.TracerId(response.TracerId));
                if (await ledger.CompleteSyncAsync(member.UserId, owner, member.BalanceVersion, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
                // The balance moved while we sent: send the new one (we still hold the claim).
            }
            catch (AlipayHKException e)
            {
                metrics.AlipayCall(Api, e.ResultCode);
                if (e.IsRetryable)
                {
                    LogRetry(member.MemberId, e.ResultCode, e.HttpStatus, LogMask.TracerId(e.TracerId), item.DequeueCount);
                    if (item.DequeueCount >= settings.Queues.MaxDequeueCount)
                    {
                        // This delivery is about to be poisoned: let the next one take over at once.
                        await ledger.ReleaseSyncAsync(member.UserId, owner, cancellationToken).ConfigureAwait(false);
                    }
                    throw; // the redelivery has the same message id, so it keeps the claim
                }
                await ledger.RecordPassProblemAsync(member.UserId, PassState.Failed, $"{Api} {e.ResultCode}: {e.Result?.ResultMessage ?? e.Message}", cancellationToken,
                    e.ResultCode, CardFailures.CanGoAway(e.ResultCode) ? failures => settings.Sweep.NextRetry(failures, clock.GetUtcNow()) : null).ConfigureAwait(false);
                await ledger.ReleaseSyncAsync(member.UserId, owner, cancellationToken).ConfigureAwait(false);
                LogFailed(member.MemberId, e.ResultCode, e.Result?.ResultMessage ?? e.Message, LogMask.TracerId(e.TracerId));
                return;
            }
        }
        // Bills keep arriving faster than we send: leave the rest to a fresh delivery rather than loop here.
        await ledger.ReleaseSyncAsync(message.UserId, owner, cancellationToken).ConfigureAwait(false);
        await MemberWork.QueuePassSyncAsync(queues, message.UserId, message.TracerId, settings.Queues.PassSyncDelay, cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Card of member {MemberId} shows {Points} points (version {Version}), Tracer-Id {TracerId}")]
    private partial void LogSynced(string memberId, long points, long version, string tracerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "updatePass for member {MemberId}: {ResultCode} (HTTP {HttpStatus}, Tracer-Id {TracerId}) on delivery {DequeueCount}; will retry")]
    private partial void LogRetry(string memberId, string? resultCode, int? httpStatus, string tracerId, long dequeueCount);

    [LoggerMessage(Level = LogLevel.Error, Message = "updatePass for member {MemberId} failed: {ResultCode} {ResultMessage} (Tracer-Id {TracerId}); recorded for an operator")]
    private partial void LogFailed(string memberId, string? resultCode, string? resultMessage, string tracerId);
}
