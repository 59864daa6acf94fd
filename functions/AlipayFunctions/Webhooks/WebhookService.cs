using AlipayFunctions.Loyalty;
using AlipayFunctions.Observability;
using AlipayFunctions.Passes;
using AlipayFunctions.Reconciliation;
using AlipayFunctions.Settings;
using AlipayFunctions.Storage;
using AlipayHK.OpenApi.Results;
using AlipayHK.OpenApi.Webhooks;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Mvc;

namespace AlipayFunctions.Webhooks;

/// <summary>
/// The two webhooks AlipayHK calls (HTTP functions <c>MemberCardCreate</c> and <c>BillNotify</c>): verify, validate,
/// make the work durable (the queue message is sent and awaited), and only then answer a signed SUCCESS (protocol
/// §2.3). A crash before the answer leaves AlipayHK to retry, and every step is idempotent, so nothing accepted is
/// lost or applied twice.
/// </summary>
internal sealed partial class WebhookService(
    WebhookRequestReader reader,
    WebhookAnswerSigner answers,
    LoyaltyLedger ledger,
    QueueServiceClient queues,
    AppSettings settings,
    AppMetrics metrics,
    CrashPoints crash,
    ILoggerFactory logs)
{
    private readonly ILogger _billLogger = logs.CreateLogger("AlipayFunctions.Webhooks.BillNotify");
    private readonly ILogger _memberLogger = logs.CreateLogger("AlipayFunctions.Webhooks.MemberCardCreate");

    public async Task<IActionResult> BillNotifyAsync(HttpRequest http, string merchantTag, CancellationToken ct)
    {
        const string endpoint = "bill/notify";
        var logger = _billLogger;
        var (request, bill, refused) = await AdmitAsync(http, merchantTag, endpoint, logger, BillNotifyRequest.Parse, b => b.UserId, ct).ConfigureAwait(false);
        if (bill is null)
        {
            return refused!;
        }
        crash.At(CrashPoint.NotifyVerified);
        if (LoyaltyLedger.BillRowKey(bill.PointsProvider!, bill.BillNo!).Length > TableKeys.MaxLength)
        {
            return await AnswerInvalidAsync(logger, endpoint, request, $"billNo: is longer than a storage key can hold.", ct).ConfigureAwait(false);
        }
        // A bill already applied (a replay, or AlipayHK retrying after a lost answer) needs no second message.
        if (await ledger.GetBillStateAsync(bill.UserId!, bill.PointsProvider!, bill.BillNo!, ct).ConfigureAwait(false) == BillState.Applied)
        {
            var again = await answers.SignAsync(request.PublicPath, WebhookAnswers.Success(), ct).ConfigureAwait(false);
            metrics.Webhook(endpoint, "already-applied");
            LogBillAlreadyApplied(logger, bill.BillNo!, LogMask.UserId(bill.UserId), LogMask.TracerId(request.TracerId));
            return new RawJsonResult(StatusCodes.Status200OK, again.Body, again);
        }
        await BillMessage.QueueAsync(queues.GetQueueClient(AppStorage.BillsQueue), bill, BillMessage.FromNotify, request.TracerId, ct).ConfigureAwait(false);
        crash.At(CrashPoint.NotifyQueued);

        var signed = await answers.SignAsync(request.PublicPath, WebhookAnswers.Success(), ct).ConfigureAwait(false);
        metrics.Webhook(endpoint, "queued");
        LogBillQueued(logger, bill.BillNo!, LogMask.UserId(bill.UserId), LogMask.TracerId(request.TracerId));
        return new RawJsonResult(StatusCodes.Status200OK, signed.Body, signed);
    }

    public async Task<IActionResult> MemberCardCreateAsync(HttpRequest http, string merchantTag, CancellationToken ct)
    {
        const string endpoint = "membercard/create";
        var logger = _memberLogger;
        var (request, create, refused) = await AdmitAsync(http, merchantTag, endpoint, logger, MemberCardCreateRequest.Parse, c => c.UserId, ct).ConfigureAwait(false);
        if (create is null)
        {
            return refused!;
        }
        var enrolment = await ledger.EnrolAsync(create.UserId!, new MemberProfile(create.CreateCardChannel, create.MobileNo, create.UserEmail), ct).ConfigureAwait(false);
        crash.At(CrashPoint.MemberCardEnrolled);
        await MemberWork.QueuePassCreationAsync(queues, create.UserId!, request.TracerId, ct).ConfigureAwait(false);
        crash.At(CrashPoint.MemberCardQueued);

        var body = WebhookAnswers.MemberCardCreated(enrolment.Member.MemberId, settings.Webhooks.MemberIdField);
        var signed = await answers.SignAsync(request.PublicPath, body, ct).ConfigureAwait(false);
        metrics.Webhook(endpoint, enrolment.Created ? "created" : "existing");
        LogMemberEnrolled(logger, enrolment.Member.MemberId, LogMask.UserId(create.UserId), LogMask.TracerId(request.TracerId), enrolment.Created);
        return new RawJsonResult(StatusCodes.Status200OK, signed.Body, signed);
    }

    private delegate WebhookParseResult<T> ParseBody<T>(ReadOnlySpan<byte> body) where T : class;

    // The gate both webhooks pass before their work: read and verify (strangers are refused unsigned), answer an
    // encrypted or unusable body with a signed F, parse, and check that the user id can be a table key (refused here,
    // not accepted and then poisoned in a queue). Returns the message, or the answer to send instead.
    private async Task<(WebhookRequest Request, T? Message, IActionResult? Refused)> AdmitAsync<T>(
        HttpRequest http, string merchantTag, string endpoint, ILogger logger, ParseBody<T> parse, Func<T, string?> userId, CancellationToken ct)
        where T : class
    {
        var request = await reader.ReadAsync(http, merchantTag, ct).ConfigureAwait(false);
        if (request.Refusal is { } refusal)
        {
            return (request, null, Refuse(logger, endpoint, refusal, request.TracerId));
        }
        if (request.Encrypted)
        {
            return (request, null, await AnswerEncryptedAsync(logger, endpoint, request, ct).ConfigureAwait(false));
        }
        var parsed = parse(request.Body);
        if (!parsed.IsValid)
        {
            return (request, null, await AnswerInvalidAsync(logger, endpoint, request, parsed.Describe(), ct).ConfigureAwait(false));
        }
        var message = parsed.Value!;
        if (TableKeys.Problem(userId(message)) is { } userIdProblem)
        {
            return (request, null, await AnswerInvalidAsync(logger, endpoint, request, $"userId: {userIdProblem}.", ct).ConfigureAwait(false));
        }
        return (request, message, null);
    }

    private IActionResult Refuse(ILogger logger, string endpoint, WebhookRefusal refusal, string? tracerId)
    {
        metrics.Webhook(endpoint, refusal.Reason);
        LogRefused(logger, endpoint, refusal.Status, refusal.Reason, refusal.Message, LogMask.TracerId(tracerId));
        return refusal.ToResult();
    }

    // A genuine AlipayHK message we cannot use: answer F (signed, since AlipayHK sent it) so that it is visible on
    // their side; retrying the same body would not help.
    private async Task<IActionResult> AnswerInvalidAsync(ILogger logger, string endpoint, WebhookRequest request, string problem, CancellationToken ct)
    {
        metrics.Webhook(endpoint, "invalid");
        LogRefused(logger, endpoint, StatusCodes.Status400BadRequest, "InvalidBody", problem, LogMask.TracerId(request.TracerId));
        var signed = await answers.SignAsync(request.PublicPath, WebhookAnswers.Failure(ResultCodes.ParamIllegal, problem), ct).ConfigureAwait(false);
        return new RawJsonResult(StatusCodes.Status400BadRequest, signed.Body, signed);
    }

    // A genuine AlipayHK message with an encrypted body (Encrypt header; the AES details are not public): a signed F
    // that names the reason, so it is visible on AlipayHK's side, and a metric (outcome "encrypted") to alert on.
    private async Task<IActionResult> AnswerEncryptedAsync(ILogger logger, string endpoint, WebhookRequest request, CancellationToken ct)
    {
        const string problem = "The body is encrypted (Encrypt header); this merchant accepts plain JSON only.";
        metrics.Webhook(endpoint, "encrypted");
        LogRefused(logger, endpoint, StatusCodes.Status400BadRequest, nameof(WebhookRejection.EncryptedNotSupported), problem, LogMask.TracerId(request.TracerId));
        var signed = await answers.SignAsync(request.PublicPath, WebhookAnswers.Failure(ResultCodes.ParamIllegal, problem), ct).ConfigureAwait(false);
        return new RawJsonResult(StatusCodes.Status400BadRequest, signed.Body, signed);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Endpoint} with {Status} ({Reason}): {Problem} Tracer-Id {TracerId}")]
    private static partial void LogRefused(ILogger logger, string endpoint, int status, string reason, string problem, string tracerId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Bill {BillNo} of user {UserId} was applied before; answered SUCCESS, nothing queued, Tracer-Id {TracerId}")]
    private static partial void LogBillAlreadyApplied(ILogger logger, string billNo, string userId, string tracerId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Queued bill {BillNo} of user {UserId}, Tracer-Id {TracerId}")]
    private static partial void LogBillQueued(ILogger logger, string billNo, string userId, string tracerId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {MemberId} for user {UserId}, Tracer-Id {TracerId}, new: {Created}")]
    private static partial void LogMemberEnrolled(ILogger logger, string memberId, string userId, string tracerId, bool created);
}
