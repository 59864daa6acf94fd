using AlipayFunctions.Settings;
using AlipayHK.OpenApi.Results;
using AlipayHK.OpenApi.Signing;
using AlipayHK.OpenApi.Webhooks;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;

namespace AlipayFunctions.Webhooks;

/// <summary>
/// The first half of every webhook: check the route, the content type and the size, read the raw body before any
/// model binding, and verify the signature over exactly those bytes. What fails here is answered with a clear 4xx
/// and an F result, unsigned: the sender has not proved it is AlipayHK, and must not be able to spend the
/// merchant's (metered, rate-limited) Key Vault signatures.
/// </summary>
internal sealed class WebhookRequestReader(AppSettings settings, AlipayWebhookVerifier verifier)
{
    public async Task<WebhookRequest> ReadAsync(HttpRequest request, string? merchantTag, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!HttpMethods.IsPost(request.Method))
        {
            return WebhookRequest.Reject(StatusCodes.Status405MethodNotAllowed, ResultCodes.ParamIllegal, $"AlipayHK webhooks are POST, not {request.Method}.");
        }
        if (!string.Equals(merchantTag, settings.Webhooks.MerchantTag, StringComparison.Ordinal))
        {
            return WebhookRequest.Reject(StatusCodes.Status404NotFound, "UNKNOWN_MERCHANT_TAG", "No webhook is registered at this path.");
        }
        if (!JsonMediaType.Is(request.ContentType))
        {
            return WebhookRequest.Reject(StatusCodes.Status415UnsupportedMediaType, ResultCodes.ParamIllegal, JsonMediaType.Required);
        }
        var limit = settings.Webhooks.MaxBodyBytes;
        if (request.ContentLength > limit)
        {
            return WebhookRequest.Reject(StatusCodes.Status413PayloadTooLarge, ResultCodes.ParamIllegal, $"The body is larger than {limit} bytes.");
        }
        var body = await BoundedBody.ReadAsync(request.Body, limit, ct).ConfigureAwait(false);
        if (body is null)
        {
            return WebhookRequest.Reject(StatusCodes.Status413PayloadTooLarge, ResultCodes.ParamIllegal, $"The body is larger than {limit} bytes.");
        }

        var publicPath = PublicPath(request);
        string? Header(string name) => request.Headers.TryGetValue(name, out var v) ? v.ToString() : null;
        var verification = verifier.Verify(request.Method, publicPath, Header, body);
        var encrypted = false;
        if (verification.Rejection == WebhookRejection.EncryptedNotSupported)
        {
            // The verifier stops at the Encrypt header before the signature. Our answer to it is signed (so AlipayHK
            // sees the reason), and a stranger must not spend the merchant's signatures: verify the signature over the
            // bytes as received first, and refuse unsigned, like any bad signature, when it does not verify.
            verification = verifier.Verify(request.Method, publicPath,
                name => string.Equals(name, AlipayHeaders.Encrypt, StringComparison.OrdinalIgnoreCase) ? null : Header(name), body);
            encrypted = verification.IsValid;
        }
        if (!verification.IsValid)
        {
            var status = verification.Rejection == WebhookRejection.ClientIdMismatch ? StatusCodes.Status403Forbidden : StatusCodes.Status401Unauthorized;
            return WebhookRequest.Reject(status, ResultCodes.InvalidSignature, verification.Message, verification.Rejection.ToString());
        }
        return new WebhookRequest(body, publicPath, request.Headers[AlipayHeaders.TracerId].ToString() is { Length: > 0 } tracer ? tracer : null, null)
        {
            Encrypted = encrypted,
        };
    }

    /// <summary>The path AlipayHK signed: the registered public path, which a gateway's prefix can make differ from ours.</summary>
    internal string PublicPath(HttpRequest request) => settings.Webhooks.PublicPathPrefix + request.PathBase + request.Path;
}

/// <summary>A read webhook: its verified raw body, or why it was refused.</summary>
internal sealed record WebhookRequest(byte[] Body, string PublicPath, string? TracerId, WebhookRefusal? Refusal)
{
    /// <summary>A genuine (signature verified) message whose body is encrypted, which we do not read.</summary>
    public bool Encrypted { get; init; }

    public static WebhookRequest Reject(int status, string code, string message, string? reason = null) =>
        new([], "", null, new WebhookRefusal(status, code, message, reason ?? code));
}

/// <summary>A 4xx answer with an F result.</summary>
internal sealed record WebhookRefusal(int Status, string ResultCode, string Message, string Reason)
{
    public IActionResult ToResult() => new RawJsonResult(Status, WebhookAnswers.Failure(ResultCode, Message), null);
}

/// <summary>Writes exact bytes (the signed bytes, when signed) with the protocol's headers.</summary>
internal sealed class RawJsonResult(int status, ReadOnlyMemory<byte> body, SignedMessage? signed) : IActionResult
{
    public Task ExecuteResultAsync(ActionContext context) => ExecuteAsync(context.HttpContext);

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = status;
        response.ContentType = AlipayHeaders.JsonContentType;
        if (signed is not null)
        {
            response.Headers[AlipayHeaders.ClientId] = signed.ClientId;
            response.Headers[AlipayHeaders.ResponseTime] = signed.Time;
            response.Headers[AlipayHeaders.Signature] = signed.Signature;
        }
        response.ContentLength = body.Length;
        httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.Body.WriteAsync(body, httpContext.RequestAborted).ConfigureAwait(false);
    }
}
