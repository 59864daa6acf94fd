using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using AlipayFunctions.Loyalty;
using AlipayFunctions.Observability;
using AlipayFunctions.Passes;
using AlipayFunctions.Settings;
using AlipayFunctions.Signing;
using AlipayFunctions.Storage;
using AlipayFunctions.Webhooks;
using AlipayHK.OpenApi.Authorization;
using AlipayHK.OpenApi.Client;
using AlipayHK.OpenApi.Mall;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Mvc;

namespace AlipayFunctions.MiniApp;

/// <summary>
/// The mall mini-app channel (HTTP functions <c>MiniAppAuthorize</c> and <c>MiniAppBills</c>). <c>POST /miniapp/authorize</c> takes the <c>authCode</c> from <c>my.getAuthCode</c>,
/// exchanges it with applyToken, keeps the tokens server-side, enrols the member, queues the card and returns the
/// member id with a signed, expiring session token. <c>POST /miniapp/bills</c> (bearer session token) takes the
/// <c>batchNo</c> from <c>onShow</c>, fetches the user's submitted bills with bill/query and queues each through the
/// same path as bill/notify, so the same dedupe applies.
/// Anyone can call both, so each refuses a Content-Type other than JSON (415) and is rate-limited (per client address
/// and per instance, 429 with Retry-After) before its body is read, and the signatures it makes are of the mini-app
/// class, capped so that webhook answers and card calls keep their share of the signing budget
/// (<see cref="SigningBudget"/>).
/// </summary>
internal sealed partial class MiniAppService(
    AppSettings settings, IServiceProvider services, AlipayHKClient alipay, UserTokenStore tokens,
    LoyaltyLedger ledger, QueueServiceClient queues, MiniAppRateLimiter limiter, TimeProvider clock, ILoggerFactory logs)
{
    /// <summary>The largest mini-app request body read.</summary>
    private const int MaxBodyBytes = 16 * 1024;

    public static IServiceCollection AddMiniApp(IServiceCollection services, MiniAppSettings settings)
    {
        services.AddSingleton<UserTokenStore>();
        services.AddSingleton<MiniAppService>();
        services.AddSingleton(sp => new MiniAppRateLimiter(settings, sp.GetRequiredService<AppMetrics>(), sp.GetRequiredService<ILogger<MiniAppRateLimiter>>()));
        // On only with an AppId; settings refuse an AppId without a session secret.
        if (settings.Enabled && settings.SessionSecret is { } secret)
        {
            services.AddSingleton(sp => new SessionTokens(secret, settings.SessionLifetime, sp.GetRequiredService<TimeProvider>()));
        }
        return services;
    }

    public async Task<IActionResult> AuthorizeAsync(HttpRequest request, CancellationToken ct)
    {
        var logger = logs.CreateLogger("AlipayFunctions.MiniApp.Authorize");
        if (Sessions() is not { } sessions)
        {
            return NotConfigured();
        }
        if (Admission(request, logger, "authorize") is { } refused)
        {
            return refused;
        }
        var read = await ReadAsync(request, MiniAppJsonContext.Default.AuthorizeRequest, ct).ConfigureAwait(false);
        if (read.TooLarge)
        {
            return TooLarge();
        }
        var body = read.Value;
        if (body is null || string.IsNullOrWhiteSpace(body.AuthCode) || body.AuthCode.Length > 512)
        {
            return Problem(StatusCodes.Status400BadRequest, "PARAM_ILLEGAL", "The body must be JSON with an authCode from my.getAuthCode.");
        }

        // Every signature from here on (applyToken) is of the mini-app class.
        using var signing = MerchantSigner.MiniAppScope();

        ApplyTokenResponse granted;
        try
        {
            granted = await alipay.ApplyTokenAsync(new ApplyTokenRequest
            {
                AppId = settings.MiniApp.AppId,
                AuthClientId = settings.MiniApp.AuthClientId,
                GrantType = ApplyTokenRequest.AuthorizationCode,
                AuthCode = body.AuthCode,
                CustomerBelongsTo = "ALIPAYHK",
            }, ct).ConfigureAwait(false);
        }
        catch (SigningBudgetExceededException e)
        {
            return SigningBusy(logger, "authorize", e.RetryAfter);
        }
        catch (AlipayHKException e)
        {
            LogAuthFailed(logger, e.ResultCode, LogMask.TracerId(e.TracerId));
            return e.IsRetryable
                ? Problem(StatusCodes.Status503ServiceUnavailable, e.ResultCode, "AlipayHK is not answering; try again.")
                : Problem(StatusCodes.Status400BadRequest, e.ResultCode, "The authCode was not accepted by AlipayHK; ask the user to authorise again.");
        }
        if (string.IsNullOrEmpty(granted.CustomerId) || string.IsNullOrEmpty(granted.AccessToken))
        {
            return Problem(StatusCodes.Status502BadGateway, "INVALID_RESPONSE", "AlipayHK granted no user id or token.");
        }

        var userId = granted.CustomerId;
        await tokens.SaveAsync(userId, granted, ct).ConfigureAwait(false);
        var enrolment = await ledger.EnrolAsync(userId, new MemberProfile("MINI_APP", null, null), ct).ConfigureAwait(false);
        await MemberWork.QueuePassCreationAsync(queues, userId, granted.TracerId, ct).ConfigureAwait(false);
        var (token, expires) = sessions.Issue(userId);
        LogAuthorized(logger, enrolment.Member.MemberId, LogMask.UserId(userId), LogMask.TracerId(granted.TracerId));
        return new JsonAnswer<AuthorizeResponse>(StatusCodes.Status200OK, new AuthorizeResponse(enrolment.Member.MemberId, token, expires), MiniAppJsonContext.Default.AuthorizeResponse);
    }

    public async Task<IActionResult> UploadBillsAsync(HttpRequest request, CancellationToken ct)
    {
        var logger = logs.CreateLogger("AlipayFunctions.MiniApp.UploadBills");
        if (Sessions() is not { } sessions)
        {
            return NotConfigured();
        }
        if (Admission(request, logger, "bills") is { } refused)
        {
            return refused;
        }
        var header = request.Headers.Authorization.ToString();
        var userId = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? sessions.Validate(header[7..].Trim()) : null;
        if (userId is null)
        {
            return Problem(StatusCodes.Status401Unauthorized, "INVALID_SESSION", "A valid session token from /miniapp/authorize is required (Authorization: Bearer ...).");
        }
        var read = await ReadAsync(request, MiniAppJsonContext.Default.UploadBillsRequest, ct).ConfigureAwait(false);
        if (read.TooLarge)
        {
            return TooLarge();
        }
        var body = read.Value;
        if (body is null || string.IsNullOrWhiteSpace(body.BatchNo) || body.BatchNo.Length > 256)
        {
            return Problem(StatusCodes.Status400BadRequest, "PARAM_ILLEGAL", "The body must be JSON with the batchNo the mini-app received in onShow.");
        }
        if (await tokens.GetAsync(userId, ct).ConfigureAwait(false) is not { } stored)
        {
            return Problem(StatusCodes.Status401Unauthorized, "NOT_AUTHORIZED", "The user has not authorised the mini-app; call /miniapp/authorize first.");
        }

        // Every signature from here on (applyToken refresh, bill/query) is of the mini-app class.
        using var signing = MerchantSigner.MiniAppScope();
        if (stored.AccessTokenExpiry <= clock.GetUtcNow() && stored.RefreshToken is { Length: > 0 } refreshToken)
        {
            try
            {
                var refreshed = await alipay.ApplyTokenAsync(new ApplyTokenRequest
                {
                    AppId = settings.MiniApp.AppId,
                    AuthClientId = settings.MiniApp.AuthClientId,
                    GrantType = ApplyTokenRequest.RefreshTokenGrant,
                    RefreshToken = refreshToken,
                    CustomerBelongsTo = "ALIPAYHK",
                }, ct).ConfigureAwait(false);
                await tokens.SaveAsync(userId, refreshed, ct).ConfigureAwait(false);
                stored = stored with { AccessToken = refreshed.AccessToken ?? stored.AccessToken };
            }
            catch (SigningBudgetExceededException e)
            {
                return SigningBusy(logger, "bills", e.RetryAfter);
            }
            catch (AlipayHKException e) when (!e.IsRetryable)
            {
                return Problem(StatusCodes.Status401Unauthorized, "NOT_AUTHORIZED", "The user's AlipayHK authorisation has expired; call /miniapp/authorize again.");
            }
        }

        BillQueryResponse result;
        try
        {
            result = await alipay.QueryBillsAsync(new BillQueryRequest
            {
                BusinessDistrictSubject = new BusinessDistrictSubject { MallGroupLabel = settings.MiniApp.MallGroupLabel, MallLabel = settings.MiniApp.MallLabel },
                BatchNo = body.BatchNo,
                AccessToken = stored.AccessToken,
                AppId = settings.MiniApp.AppId,
            }, ct).ConfigureAwait(false);
        }
        catch (SigningBudgetExceededException e)
        {
            return SigningBusy(logger, "bills", e.RetryAfter);
        }
        catch (AlipayHKException e)
        {
            LogQueryFailed(logger, LogMask.UserId(userId), e.ResultCode, LogMask.TracerId(e.TracerId));
            return e.IsRetryable
                ? Problem(StatusCodes.Status503ServiceUnavailable, e.ResultCode, "AlipayHK is not answering; try again.")
                : Problem(StatusCodes.Status400BadRequest, e.ResultCode, "AlipayHK refused the bill query for this batch.");
        }

        var queued = 0;
        var rejected = new List<string>();
        var bills = queues.GetQueueClient(AppStorage.BillsQueue);
        foreach (var bill in result.Bills ?? [])
        {
            // A bill that does not name its user is refused, not credited to whoever holds the session (issue 13 §6).
            // Validate() requires userId; it used to be filled in from the session first.
            var errors = bill.Validate();
            if (errors.Count > 0 || bill.UserId != userId)
            {
                // Never award one user's points for another's bill, nor queue what bill/notify would refuse.
                rejected.Add($"{bill.BillNo ?? "(no billNo)"}: {(errors.Count > 0 ? string.Join("; ", errors) : "belongs to another user")}");
                continue;
            }
            await BillMessage.QueueAsync(bills, bill, BillMessage.FromMiniApp, result.TracerId, ct).ConfigureAwait(false);
            queued++;
        }
        LogUploaded(logger, LogMask.UserId(userId), queued, rejected.Count, LogMask.TracerId(result.TracerId));
        return new JsonAnswer<UploadBillsResponse>(StatusCodes.Status200OK, new UploadBillsResponse(queued, rejected), MiniAppJsonContext.Default.UploadBillsResponse);
    }

    // The channel is off until MiniApp:AppId is configured.
    private SessionTokens? Sessions() => services.GetService<SessionTokens>();

    // What both endpoints check on the headers alone, before anything is read, signed or sent. The Content-Type comes
    // before the rate limit: its refusal costs no more than a 429 (no body read, no signature), so the limit would
    // save nothing, and a client sending the wrong type learns its real mistake instead of being told to wait.
    private JsonAnswer<MiniAppError>? Admission(HttpRequest request, ILogger logger, string endpoint)
    {
        if (!JsonMediaType.Is(request.ContentType))
        {
            return Problem(StatusCodes.Status415UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", JsonMediaType.Required);
        }
        return limiter.Refuse(request) is { } wait ? RateLimited(logger, endpoint, wait) : null;
    }

    // Bounded on the stream (the webhooks' reader), so a chunked body without a Content-Length cannot be larger either.
    private static async Task<(T? Value, bool TooLarge)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, CancellationToken ct) where T : class
    {
        if (request.ContentLength > MaxBodyBytes || await BoundedBody.ReadAsync(request.Body, MaxBodyBytes, ct).ConfigureAwait(false) is not { } body)
        {
            return (null, true);
        }
        try
        {
            return (JsonSerializer.Deserialize(body, type), false);
        }
        catch (JsonException)
        {
            return (null, false);
        }
    }

    private static JsonAnswer<MiniAppError> NotConfigured() =>
        Problem(StatusCodes.Status404NotFound, "MINI_APP_NOT_CONFIGURED", "The mini-app channel is not configured (MiniApp:AppId).");

    private static JsonAnswer<MiniAppError> TooLarge() =>
        Problem(StatusCodes.Status413PayloadTooLarge, "BODY_TOO_LARGE", $"The body must be at most {MaxBodyBytes} bytes.");

    private static JsonAnswer<MiniAppError> RateLimited(ILogger logger, string endpoint, TimeSpan wait)
    {
        LogRateLimited(logger, endpoint);
        return Problem(StatusCodes.Status429TooManyRequests, "TOO_MANY_REQUESTS", "Too many requests; retry after the time in Retry-After.", wait);
    }

    private static JsonAnswer<MiniAppError> SigningBusy(ILogger logger, string endpoint, TimeSpan wait)
    {
        LogSigningBusy(logger, endpoint);
        return Problem(StatusCodes.Status429TooManyRequests, "BUSY", "The mini-app channel is busy; retry after the time in Retry-After.", wait);
    }

    private static JsonAnswer<MiniAppError> Problem(int status, string code, string message, TimeSpan? retryAfter = null) =>
        new JsonAnswer<MiniAppError>(status, new MiniAppError(code, message), MiniAppJsonContext.Default.MiniAppError, retryAfter);

    // Debug, not Warning: a flood would otherwise write a log line per refused request.
    [LoggerMessage(Level = LogLevel.Debug, Message = "Mini-app {Endpoint} refused: rate limit")]
    private static partial void LogRateLimited(ILogger logger, string endpoint);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Mini-app {Endpoint} refused: the mini-app signing share is spent")]
    private static partial void LogSigningBusy(ILogger logger, string endpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "applyToken refused: {ResultCode}, Tracer-Id {TracerId}")]
    private static partial void LogAuthFailed(ILogger logger, string resultCode, string tracerId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mini-app authorised member {MemberId} (user {UserId}), Tracer-Id {TracerId}")]
    private static partial void LogAuthorized(ILogger logger, string memberId, string userId, string tracerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "bill/query for user {UserId} refused: {ResultCode}, Tracer-Id {TracerId}")]
    private static partial void LogQueryFailed(ILogger logger, string userId, string resultCode, string tracerId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mini-app upload for user {UserId}: {Queued} bills queued, {Rejected} rejected, Tracer-Id {TracerId}")]
    private static partial void LogUploaded(ILogger logger, string userId, int queued, int rejected, string tracerId);
}

internal sealed record AuthorizeRequest(string? AuthCode);

internal sealed record AuthorizeResponse(string MemberId, string SessionToken, DateTimeOffset ExpiresAt);

internal sealed record UploadBillsRequest(string? BatchNo);

internal sealed record UploadBillsResponse(int Queued, IReadOnlyList<string> Rejected);

internal sealed record MiniAppError(string Code, string Message);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(AuthorizeRequest))]
[JsonSerializable(typeof(AuthorizeResponse))]
[JsonSerializable(typeof(UploadBillsRequest))]
[JsonSerializable(typeof(UploadBillsResponse))]
[JsonSerializable(typeof(MiniAppError))]
internal sealed partial class MiniAppJsonContext : JsonSerializerContext;

/// <summary>A JSON answer written with source-generated metadata (with <c>Retry-After</c> when given).</summary>
internal sealed class JsonAnswer<T>(int status, T value, JsonTypeInfo<T> type, TimeSpan? retryAfter = null) : IActionResult
{
    public int StatusCode => status;

    public T Value => value;

    public TimeSpan? RetryAfter => retryAfter;

    public Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = context.HttpContext.Response;
        response.StatusCode = status;
        response.ContentType = "application/json; charset=utf-8";
        if (retryAfter is { } wait)
        {
            response.Headers.RetryAfter = MiniAppRateLimiter.RetryAfterSeconds(wait);
        }
        return JsonSerializer.SerializeAsync(response.Body, value, type, context.HttpContext.RequestAborted);
    }
}
