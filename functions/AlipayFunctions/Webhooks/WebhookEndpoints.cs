using AlipayFunctions.Hosting;
using AlipayFunctions.Loyalty;
using AlipayFunctions.Observability;
using AlipayFunctions.Passes;
using AlipayFunctions.Settings;
using AlipayFunctions.Storage.Queues;
using AlipayHK.OpenApi.Results;
using AlipayHK.OpenApi.Signing;
using AlipayHK.OpenApi.Webhooks;

namespace AlipayFunctions.Webhooks;

/// <summary>
/// The two webhooks AlipayHK calls (HTTP-triggered functions <c>MemberCardCreate</c> and <c>BillNotify</c>):
/// verify, validate, make the work durable, and only then answer a signed SUCCESS (protocol §2.3). A crash before
/// the answer leaves AlipayHK to retry, and every step is idempotent, so nothing accepted is lost or applied twice.
/// </summary>
internal static partial class WebhookEndpoints
{
    public static IServiceCollection AddWebhooks(this IServiceCollection services)
    {
        services.AddSingleton<WebhookRequestReader>();
        services.AddSingleton(sp => new WebhookAnswerSigner(sp.GetRequiredService<AlipayMessageSigner>()));
        return services;
    }

    public static void MapWebhooks(this IEndpointRouteBuilder endpoints)
    {
        // Any method reaches the handler so that a GET gets a clear F answer rather than a bare 405.
        endpoints.Map("/{merchantTag}/points/bill/notify", BillNotifyAsync);
        endpoints.Map("/{merchantTag}/points/membercard/create", MemberCardCreateAsync);
    }

    private static async Task<IResult> BillNotifyAsync(
        HttpContext context,
        WebhookRequestReader reader,
        WebhookAnswerSigner answers,
        QueueServiceClient queues,
        AppMetrics metrics,
        ILoggerFactory logs,
        CancellationToken ct)
    {
        const string endpoint = "bill/notify";
        var logger = logs.CreateLogger("AlipayFunctions.Webhooks.BillNotify");
        var request = await reader.ReadAsync(context, ct).ConfigureAwait(false);
        if (request.Refusal is { } refusal)
        {
            return Refuse(metrics, logger, endpoint, refusal, request.TracerId);
        }
        var parsed = BillNotifyRequest.Parse(request.Body);
        if (!parsed.IsValid)
        {
            return await AnswerInvalidAsync(metrics, logger, answers, endpoint, request, parsed.Describe(), ct).ConfigureAwait(false);
        }

        var bill = parsed.Value!;
        await BillMessage.QueueAsync(queues.GetQueueClient(AppStorage.BillsQueue), bill, BillMessage.FromNotify, request.TracerId, ct).ConfigureAwait(false);

        var signed = await answers.SignAsync(request.PublicPath, WebhookAnswers.Success(), ct).ConfigureAwait(false);
        metrics.Webhook(endpoint, "queued");
        LogBillQueued(logger, bill.BillNo!, LogMask.UserId(bill.UserId), request.TracerId);
        return new RawJsonResult(StatusCodes.Status200OK, signed.Body, signed);
    }

    private static async Task<IResult> MemberCardCreateAsync(
        HttpContext context,
        WebhookRequestReader reader,
        WebhookAnswerSigner answers,
        LoyaltyLedger ledger,
        QueueServiceClient queues,
        AppSettings settings,
        AppMetrics metrics,
        ILoggerFactory logs,
        CancellationToken ct)
    {
        const string endpoint = "membercard/create";
        var logger = logs.CreateLogger("AlipayFunctions.Webhooks.MemberCardCreate");
        var request = await reader.ReadAsync(context, ct).ConfigureAwait(false);
        if (request.Refusal is { } refusal)
        {
            return Refuse(metrics, logger, endpoint, refusal, request.TracerId);
        }
        var parsed = MemberCardCreateRequest.Parse(request.Body);
        if (!parsed.IsValid)
        {
            return await AnswerInvalidAsync(metrics, logger, answers, endpoint, request, parsed.Describe(), ct).ConfigureAwait(false);
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

    private static IResult Refuse(AppMetrics metrics, ILogger logger, string endpoint, WebhookRefusal refusal, string? tracerId)
    {
        metrics.Webhook(endpoint, refusal.Reason);
        LogRefused(logger, endpoint, refusal.Status, refusal.Reason, refusal.Message, tracerId);
        return refusal.ToResult();
    }

    // A genuine AlipayHK message we cannot use: answer F (signed, since AlipayHK sent it) so that it is visible on
    // their side; retrying the same body would not help.
    private static async Task<IResult> AnswerInvalidAsync(AppMetrics metrics, ILogger logger, WebhookAnswerSigner answers, string endpoint, WebhookRequest request, string problem, CancellationToken ct)
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
