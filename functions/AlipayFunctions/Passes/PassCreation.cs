using AlipayFunctions.Loyalty;
using AlipayFunctions.Observability;
using AlipayFunctions.Reconciliation;
using AlipayFunctions.Settings;
using AlipayFunctions.Storage;
using Azure.Storage.Queues;
using AlipayHK.OpenApi.Client;
using AlipayHK.OpenApi.Passes;
using AlipayHK.OpenApi.Results;
using AlipayHK.OpenApi.Serialization;

namespace AlipayFunctions.Passes;

/// <summary>
/// The work behind queue function <c>CreatePass</c> (queue <c>pass-create</c>): puts the member card into the user's wallet with
/// createPass. <c>bizSerialId</c> is the member id, so a retry after a lost answer cannot make a second card; the
/// pass id is stored the moment it arrives. U results, timeouts, 5xx and 429 are retried by the queue; an F result
/// is recorded on the member for an operator and not retried. Throws when the delivery must be retried.
/// </summary>
internal sealed partial class PassCreation(
    LoyaltyLedger ledger,
    AlipayHKClient alipay,
    TemplateCache templates,
    QueueServiceClient queues,
    AppSettings settings,
    AppMetrics metrics,
    CrashPoints crash,
    TimeProvider clock,
    ILogger<PassCreation> logger)
{
    private const string Api = "createPass";

    public async Task CreateAsync(QueueDelivery item, CancellationToken cancellationToken)
    {
        try
        {
            await CreateOnceAsync(item, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            QueueWorkLog.Failed(logger, AppStorage.PassCreateQueue, item, settings.Queues.MaxDequeueCount, e);
            if (item.DequeueCount >= settings.Queues.MaxDequeueCount && MemberWork.Read(item.Body) is { } message)
            {
                // The host poisons the message now: free its claim so that a replay is not turned away as "claimed".
                try
                {
                    await ledger.ReleaseCreationAsync(message.UserId, item.MessageId, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception release) when (release is Azure.RequestFailedException or InvalidOperationException)
                {
                    // Not released: the claim lapses on its own and the sweep re-queues the card.
                }
            }
            throw;
        }
    }

    private async Task CreateOnceAsync(QueueDelivery item, CancellationToken cancellationToken)
    {
        metrics.QueueAge(AppStorage.PassCreateQueue, item, clock);
        var message = MemberWork.Read(item.Body)
            ?? throw new MalformedMessageException($"Message {item.Id} on the pass-create queue is not a member message.");
        var userId = message.UserId;
        // Bills that went pending while the membership was being created belong on the first card.
        await ledger.ApplyPendingBillsAsync(userId, cancellationToken).ConfigureAwait(false);
        var member = await ledger.GetMemberAsync(userId, cancellationToken).ConfigureAwait(false);
        if (member is null)
        {
            LogNoMember(LogMask.UserId(userId));
            return;
        }
        if (member.PassId is not null || member.PassState is not PassState.None)
        {
            // Already created (a redelivery), or stopped for an operator: nothing to do but owe the card its balance.
            await QueueSyncIfNeededAsync(member, message.TracerId, cancellationToken).ConfigureAwait(false);
            return;
        }
        // Two deliveries for one member must not both call createPass: the loser of the race would meet PASS_HAS_EXIST.
        if (await ledger.ClaimCreationAsync(userId, item.MessageId, settings.Queues.VisibilityTimeout, cancellationToken).ConfigureAwait(false) is not { } claimed)
        {
            LogClaimHeld(member.MemberId);
            return;
        }
        member = claimed;
        crash.At(CrashPoint.CreateClaimed);

        // Inside the try: a template AlipayHK does not know (an F from template detail) is recorded like any F.
        try
        {
            var template = await templates.GetAsync(cancellationToken).ConfigureAwait(false);
            if (!string.Equals(template.Status, "valid", StringComparison.OrdinalIgnoreCase))
            {
                var reason = $"Template {settings.Loyalty.TemplateCode} is '{template.Status}', not 'valid': card creation waits for an operator.";
                await ledger.RecordCreationProblemAsync(userId, PassState.Blocked, reason, cancellationToken).ConfigureAwait(false);
                LogBlocked(member.MemberId, reason);
                return;
            }
            var validity = CardValidity.For(template, settings.Loyalty, clock.GetUtcNow());
            if (validity.IsBlocked)
            {
                await ledger.RecordCreationProblemAsync(userId, PassState.Blocked, validity.BlockedReason!, cancellationToken).ConfigureAwait(false);
                LogBlocked(member.MemberId, validity.BlockedReason);
                return;
            }

            var request = new CreatePassRequest
            {
                MerchantId = settings.AlipayHK.MerchantId,
                UserId = userId,
                TemplateCode = settings.Loyalty.TemplateCode,
                BizSerialId = member.MemberId,
                BizSerialType = "OUT_PLAT_FORM",
                StartDate = AlipayTimestamp.FromUnixMilliseconds(validity.Start),
                EndDate = AlipayTimestamp.FromUnixMilliseconds(validity.End),
                BizCreate = AlipayTimestamp.FromUnixMilliseconds(clock.GetUtcNow()),
                Type = "CARD",
                Product = "MEMBER_CARD",
                PublishScene = "FREE_GIVE",
                CodeInfo = new() { ["$codemsg$"] = member.MemberId, ["$codevalue$"] = member.MemberId },
                DataInfo = PassContent.DataInfo(member, settings.Loyalty, templates.Locales(template)),
            };
            CreatePassResponse response;
            try
            {
                // Not cancelled by shutdown: cancelling a createPass that AlipayHK has already processed loses the pass
                // id for good (a repeat says PASS_HAS_EXIST). The call is bounded by AlipayHK:Timeout instead, and its
                // pass id is stored before the message is let go.
                response = await alipay.CreatePassAsync(request, CancellationToken.None).ConfigureAwait(false);
            }
            catch (ArgumentException e)
            {
                // The client refused to build the request: nothing was sent, and sending the same data again would not help.
                metrics.AlipayCall(Api, "REQUEST_INVALID");
                await ledger.RecordCreationProblemAsync(userId, PassState.Failed, $"createPass request invalid ({e.ParamName}): {e.Message}", cancellationToken, "REQUEST_INVALID").ConfigureAwait(false);
                LogFailed(member.MemberId, "REQUEST_INVALID", e.Message, LogMask.TracerId(null));
                return;
            }
            metrics.AlipayCall(Api, ResultCodes.Success);
            crash.At(CrashPoint.CreatePassDone);
            if (string.IsNullOrEmpty(response.PassId))
            {
                // A success without the one thing it must return: treat as unknown and ask again (same bizSerialId).
                LogNoPassId(member.MemberId, LogMask.TracerId(response.TracerId));
                throw new InvalidOperationException($"createPass for member {member.MemberId} succeeded without a pass id; the delivery is retried.");
            }
            await RecordPassIdAsync(userId, response.PassId, member.BalanceVersion, CancellationToken.None).ConfigureAwait(false);
            LogCreated(member.MemberId, LogMask.UserId(userId), LogMask.TracerId(response.TracerId));
            crash.At(CrashPoint.CreateRecorded);
            var updated = await ledger.GetMemberAsync(userId, cancellationToken).ConfigureAwait(false);
            if (updated is not null)
            {
                await QueueSyncIfNeededAsync(updated, message.TracerId, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (AlipayHKException e)
        {
            metrics.AlipayCall(Api, e.ResultCode);
            if (e.IsRetryable)
            {
                // Includes an answer whose signature verifies with neither platform key (a key rotation we have not
                // configured yet): AlipayHK may have made the card, so ask again rather than record a failure.
                LogRetry(member.MemberId, e.ResultCode, e.HttpStatus, LogMask.TracerId(e.TracerId), item.DequeueCount);
                throw; // the host delivers the message again (same message id keeps the claim; same bizSerialId, no second card)
            }
            if (ResultCodes.IsPassAlreadyExists(e.ResultCode))
            {
                // Another delivery may have created it and stored its pass id meanwhile: then this is success.
                if (await ledger.GetMemberAsync(userId, cancellationToken).ConfigureAwait(false) is { PassId: not null } known)
                {
                    await QueueSyncIfNeededAsync(known, message.TracerId, cancellationToken).ConfigureAwait(false);
                    return;
                }
                // An earlier attempt succeeded but its answer (and the pass id) was lost; no public API returns it.
                await ledger.RecordCreationProblemAsync(userId, PassState.ExistsWithoutId,
                    $"{e.ResultCode}: createPass succeeded earlier for bizSerialId {member.MemberId} but the pass id was never received; ask AlipayHK for it.",
                    cancellationToken, e.ResultCode).ConfigureAwait(false);
            }
            else
            {
                // A cause that can go away (the template) is retried by the sweep, later each time; others wait for an operator.
                await ledger.RecordCreationProblemAsync(userId, PassState.Failed, $"{e.ResultCode}: {e.Result?.ResultMessage ?? e.Message}", cancellationToken,
                    e.ResultCode, CardFailures.CanGoAway(e.ResultCode) ? failures => settings.Sweep.NextRetry(failures, clock.GetUtcNow()) : null).ConfigureAwait(false);
            }
            LogFailed(member.MemberId, e.ResultCode, e.Result?.ResultMessage ?? e.Message, LogMask.TracerId(e.TracerId));
        }
    }

    // The pass id exists only in this answer: no AlipayHK API returns it again (a repeat createPass says
    // PASS_HAS_EXIST), so a storage outage longer than the storage client's own retries must not lose it. Keep
    // trying for a while, well inside the message's visibility timeout; only a crash can still lose it.
    private async Task RecordPassIdAsync(string userId, string passId, long shownVersion, CancellationToken ct)
    {
        var deadline = clock.GetUtcNow() + PassIdRecordingWindow;
        var delay = TimeSpan.FromMilliseconds(500);
        while (true)
        {
            try
            {
                await ledger.RecordPassCreatedAsync(userId, passId, shownVersion, ct).ConfigureAwait(false);
                return;
            }
#pragma warning disable CA1031 // Any storage failure (the pipeline throws several types once its retries are spent).
            catch (Exception e) when (e is not OperationCanceledException && clock.GetUtcNow() < deadline)
#pragma warning restore CA1031
            {
                LogRecordRetry(LogMask.UserId(userId), e.GetType().Name, delay.TotalMilliseconds);
                await Task.Delay(delay, clock, ct).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRecordDelay.Ticks));
            }
        }
    }

    private static readonly TimeSpan PassIdRecordingWindow = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan MaxRecordDelay = TimeSpan.FromSeconds(10);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording the new pass id of user {UserId} failed ({Error}); trying again in {DelayMs} ms")]
    private partial void LogRecordRetry(string userId, string error, double delayMs);

    private async Task QueueSyncIfNeededAsync(Member member, string? tracerId, CancellationToken ct)
    {
        if (member.NeedsSync)
        {
            await MemberWork.QueuePassSyncAsync(queues, member.UserId, tracerId, TimeSpan.Zero, ct).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "pass-create for user {UserId} who is not a member; ignored")]
    private partial void LogNoMember(string userId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Card creation for member {MemberId} blocked: {Reason}")]
    private partial void LogBlocked(string memberId, string? reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Card creation for member {MemberId} is claimed by another delivery; this one stops")]
    private partial void LogClaimHeld(string memberId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "createPass for member {MemberId} succeeded without a pass id (Tracer-Id {TracerId}); retrying")]
    private partial void LogNoPassId(string memberId, string tracerId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Card created for member {MemberId} (user {UserId}), Tracer-Id {TracerId}")]
    private partial void LogCreated(string memberId, string userId, string tracerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "createPass for member {MemberId}: {ResultCode} (HTTP {HttpStatus}, Tracer-Id {TracerId}) on delivery {DequeueCount}; will retry")]
    private partial void LogRetry(string memberId, string? resultCode, int? httpStatus, string tracerId, long dequeueCount);

    [LoggerMessage(Level = LogLevel.Error, Message = "createPass for member {MemberId} failed: {ResultCode} {ResultMessage} (Tracer-Id {TracerId}); recorded for an operator")]
    private partial void LogFailed(string memberId, string? resultCode, string? resultMessage, string tracerId);
}
