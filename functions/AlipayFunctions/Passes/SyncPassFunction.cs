using AlipayFunctions.Hosting;
using AlipayFunctions.Loyalty;
using AlipayFunctions.Observability;
using AlipayFunctions.Settings;
using AlipayHK.OpenApi.Client;
using AlipayHK.OpenApi.Passes;
using AlipayHK.OpenApi.Results;

namespace AlipayFunctions.Passes;

/// <summary>
/// Queue function <c>SyncPass</c> (queue <c>pass-sync</c>): makes the card show the current balance. The message
/// carries no amount: the function reads the member and calls updatePass with the absolute balance only when the
/// card shows an older version, so a burst of payments coalesces into one or two calls, and a repeat is harmless.
/// </summary>
internal sealed partial class SyncPassFunction(
    LoyaltyLedger ledger,
    AlipayHKClient alipay,
    TemplateCache templates,
    AppSettings settings,
    AppMetrics metrics,
    ILogger<SyncPassFunction> logger) : IQueueFunction
{
    private const string Api = "updatePass";

    public string Name => "SyncPass";

    public string QueueName => AppStorage.PassSyncQueue;

    public async Task<QueueWorkResult> RunAsync(QueueWorkItem item, CancellationToken cancellationToken)
    {
        if (MemberWork.Read(item.Body) is not { } message)
        {
            return QueueWorkResult.Poison;
        }
        var member = await ledger.GetMemberAsync(message.UserId, cancellationToken).ConfigureAwait(false);
        if (member is null || !member.NeedsSync)
        {
            return QueueWorkResult.Done; // no card yet (creation shows the balance), or already current
        }

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
        try
        {
            var response = await alipay.UpdatePassAsync(request, cancellationToken).ConfigureAwait(false);
            metrics.AlipayCall(Api, ResultCodes.Success);
            await ledger.RecordSyncedAsync(member.UserId, member.BalanceVersion, cancellationToken).ConfigureAwait(false);
            LogSynced(member.MemberId, member.Points, member.BalanceVersion, response.TracerId);
            return QueueWorkResult.Done;
        }
        catch (AlipayHKException e)
        {
            metrics.AlipayCall(Api, e.ResultCode);
            if (e.IsRetryable)
            {
                LogRetry(member.MemberId, e.ResultCode, e.HttpStatus, e.TracerId, item.DequeueCount);
                return QueueWorkResult.Retry;
            }
            await ledger.RecordPassProblemAsync(member.UserId, PassState.Failed, $"{Api} {e.ResultCode}: {e.Result?.ResultMessage ?? e.Message}", cancellationToken).ConfigureAwait(false);
            LogFailed(member.MemberId, e.ResultCode, e.Result?.ResultMessage ?? e.Message, e.TracerId);
            return QueueWorkResult.Done;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Card of member {MemberId} shows {Points} points (version {Version}), Tracer-Id {TracerId}")]
    private partial void LogSynced(string memberId, long points, long version, string? tracerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "updatePass for member {MemberId}: {ResultCode} (HTTP {HttpStatus}, Tracer-Id {TracerId}) on delivery {DequeueCount}; will retry")]
    private partial void LogRetry(string memberId, string? resultCode, int? httpStatus, string? tracerId, long dequeueCount);

    [LoggerMessage(Level = LogLevel.Error, Message = "updatePass for member {MemberId} failed: {ResultCode} {ResultMessage} (Tracer-Id {TracerId}); recorded for an operator")]
    private partial void LogFailed(string memberId, string? resultCode, string? resultMessage, string? tracerId);
}
