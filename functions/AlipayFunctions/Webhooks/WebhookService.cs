using AlipayFunctions.Loyalty;
using AlipayFunctions.Observability;
using AlipayFunctions.Passes;
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
    ILoggerFactory logs)
{
    private readonly ILogger _billLogger = logs.CreateLogger("AlipayFunctions.Webhooks.BillNotify");
    private readonly ILogger _memberLogger = logs.CreateLogger("AlipayFunctions.Webhooks.MemberCardCreate");

    public async Task<IActionResult> BillNotifyAsync(HttpRequest http, string merchantTag, CancellationToken ct)
    {
        const string endpoint = "bill/notify";
        var logger = _billLogger;
        var request = await reader.ReadAsync(http, merchantTag, ct).ConfigureAwait(false);
        if (request.Refusal is { } refusal)
        {
            return Refuse(logger, endpoint, refusal, request.TracerId);
        }
        var parsed = BillNotifyRequest.Parse(request.Body);
        if (!parsed.IsValid)
        {
            return await AnswerInvalidAsync(logger, endpoint, request, parsed.Describe(), ct).ConfigureAwait(false);
        }

        var bill = parsed.Value!;
        await BillMessage.QueueAsync(queues.GetQueueClient(AppStorage.BillsQueue), bill, BillMessage.FromNotify, request.TracerId, ct).ConfigureAwait(false);

        var signed = await answers.SignAsync(request.PublicPath, WebhookAnswers.Success(), ct).ConfigureAwait(false);
        metrics.Webhook(endpoint, "queued");
        LogBillQueued(logger, bill.BillNo!, LogMask.UserId(bill.UserId), request.TracerId);
        return new RawJsonResult(StatusCodes.Status200OK, signed.Body, signed);
    }

    public async Task<IActionResult> MemberCardCreateAsync(HttpRequest http, string merchantTag, CancellationToken ct)
    {
        const string endpoint = "membercard/create";
        var logger = _memberLogger;
        var request = await reader.ReadAsync(http, merchantTag, ct).ConfigureAwait(false);
        if (request.Refusal is { } refusal)
        {
            return Refuse(logger, endpoint, refusal, request.TracerId);
        }
        var parsed = MemberCardCreateRequest.Parse(request.Body);
        if (!parsed.IsValid)
        {
            return await AnswerInvalidAsync(logger, endpoint, request, parsed.Describe(), ct).ConfigureAwait(false);
        }

        var create = parsed.Value!;
        var enrolment = await ledger.EnrolAsync(create.UserId!, new MemberProfile(create.CreateCardChannel, create.MobileNo, create.UserEmail), ct).ConfigureAwait(false);
        await MemberWork.QueuePassCreationAsync(queues, create.UserId!, request.TracerId, ct).ConfigureAwait(false);

        var body = WebhookAnswers.MemberCardCreated(enrolment.Member.MemberId, settings.Webhooks.MemberIdField);
        var signed = await answers.SignAsync(request.PublicPath, body, ct).ConfigureAwait(false);
        metrics.Webhook(endpoint, enrolment.Created ? "created" : "existing");
        LogMemberEnrolled(logger, enrolment.Member.MemberId, LogMask.UserId(create.UserId), request.TracerId, enrolment.Created);
        return new RawJsonResult(StatusCodes.Status200OK, signed.Body, signed);
    }

    private IActionResult Refuse(ILogger logger, string endpoint, WebhookRefusal refusal, string? tracerId)
    {
        metrics.Webhook(endpoint, refusal.Reason);
        LogRefused(logger, endpoint, refusal.Status, refusal.Reason, refusal.Message, tracerId);
        return refusal.ToResult();
    }

    // A genuine AlipayHK message we cannot use: answer F (signed, since AlipayHK sent it) so that it is visible on
    // their side; retrying the same body would not help.
    private async Task<IActionResult> AnswerInvalidAsync(ILogger logger, string endpoint, WebhookRequest request, string problem, CancellationToken ct)
    {
        metrics.Webhook(endpoint, "invalid");
        LogRefused(logger, endpoint, StatusCodes.Status400BadRequest, "InvalidBody", problem, request.TracerId);
        var signed = await answers.SignAsync(request.PublicPath, WebhookAnswers.Failure(ResultCodes.ParamIllegal, problem), ct).ConfigureAwait(false);
        return new RawJsonResult(StatusCodes.Status400BadRequest, signed.Body, signed);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Endpoint} with {Status} ({Reason}): {Problem} Tracer-Id {TracerId}")]
    private static partial void LogRefused(ILogger logger, string endpoint, int status, string reason, string problem, string? tracerId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Queued bill {BillNo} of user {UserId}, Tracer-Id {TracerId}")]
    private static partial void LogBillQueued(ILogger logger, string billNo, string userId, string? tracerId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {MemberId} for user {UserId}, Tracer-Id {TracerId}, new: {Created}")]
    private static partial void LogMemberEnrolled(ILogger logger, string memberId, string userId, string? tracerId, bool created);
}
