using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AlipayHK.OpenApi.Authorization;
using AlipayHK.OpenApi.Mall;
using AlipayHK.OpenApi.Passes;
using AlipayHK.OpenApi.Results;
using AlipayHK.OpenApi.Serialization;
using AlipayHK.OpenApi.Signing;

namespace AlipayHK.OpenApi.Client;

/// <summary>
/// Calls AlipayHK's Open API (protocol §2.2): serialises each request once, signs those exact bytes, sends them
/// and verifies the answer with the platform key before trusting it. Returns only verified S answers; everything
/// else is an <see cref="AlipayHKException"/>. Thread-safe: register one as a singleton over a long-lived
/// <see cref="HttpClient"/> (from IHttpClientFactory or a static instance). It does not retry: the caller (a queue
/// worker) owns retries, using <see cref="AlipayHKException.IsRetryable"/> and the same idempotency key.
/// </summary>
/// <remarks>
/// Answer signatures: a success (S) must carry a valid signature, by the current platform key or, during a key
/// rotation, by <see cref="AlipayHKClientOptions.NextPlatformPublicKey"/>. A signature that is present and verifies
/// with neither (tampering, or a platform key rotated without updating the options) is
/// <c>RESPONSE_SIGNATURE_INVALID</c>; an S that is unsigned is <c>RESPONSE_UNSIGNED</c>. Both are retryable with
/// status U: the call may have taken effect, which is exactly U's meaning, and every API here is idempotent
/// (protocol §5), so repeating it is safe (a createPass that did happen answers PASS_HAS_EXIST, never a second
/// card); a persistent cause ends in the bounded retries' poison queue, where an operator sees it.
/// Requests are checked before they are signed: a missing or invalid field is an <see cref="ArgumentException"/>
/// naming it, and nothing is sent. Unsigned F and U answers are accepted as failures (gateways answer some errors
/// unsigned). The client never logs; exception messages carry codes and trace ids, never tokens or keys.
/// </remarks>
public sealed class AlipayHKClient : IDisposable
{
    private static readonly MediaTypeHeaderValue JsonContentType = MediaTypeHeaderValue.Parse(AlipayHeaders.JsonContentType);

    private readonly HttpClient _http;
    private readonly AlipayHKClientOptions _options;
    private readonly AlipayMessageSigner _signer;
    private readonly AlipaySignatureVerifier _verifier;
    private readonly AlipaySignatureVerifier? _nextVerifier;
    private readonly TimeProvider _clock;

    /// <summary>Creates a client.</summary>
    /// <param name="httpClient">The HTTP client; its own timeout should be at least <see cref="AlipayHKClientOptions.Timeout"/>.</param>
    /// <param name="options">The settings; checked here.</param>
    /// <param name="signer">The merchant key (PEM locally, Key Vault in production).</param>
    /// <param name="clock">The clock for <c>Request-Time</c> and timeouts; <see cref="TimeProvider.System"/> when null.</param>
    /// <exception cref="ArgumentException">A setting is missing or malformed.</exception>
    /// <exception cref="FormatException">The platform public key cannot be read.</exception>
    public AlipayHKClient(HttpClient httpClient, AlipayHKClientOptions options, IAlipaySigner signer, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(signer);
        options.Validate();
        _http = httpClient;
        _options = options;
        _clock = clock ?? TimeProvider.System;
        _signer = new AlipayMessageSigner(signer, options.ClientId, options.KeyVersion, _clock);
        _verifier = new AlipaySignatureVerifier(options.PlatformPublicKey);
        if (!string.IsNullOrWhiteSpace(options.NextPlatformPublicKey))
        {
            try
            {
                _nextVerifier = new AlipaySignatureVerifier(options.NextPlatformPublicKey);
            }
            catch
            {
                _verifier.Dispose();
                throw;
            }
        }
    }

    /// <summary>The settings in use.</summary>
    public AlipayHKClientOptions Options => _options;

    /// <summary>createPass: puts a card into the user's wallet. An empty <c>merchantId</c> is filled from the options.</summary>
    /// <exception cref="ArgumentException">A field AlipayHK requires is missing or invalid (see <see cref="CreatePassRequest.Validate"/>); nothing was sent.</exception>
    /// <exception cref="AlipayHKException">Anything but a verified S answer.</exception>
    public Task<CreatePassResponse> CreatePassAsync(CreatePassRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.MerchantId ??= _options.MerchantId;
        request.Validate();
        return SendAsync(_options.Paths.CreatePass, request, AlipayJsonContext.Wire.CreatePassRequest, AlipayJsonContext.Default.CreatePassResponse, cancellationToken);
    }

    /// <summary>updatePass: changes or closes a card. An empty <c>merchantId</c> is filled from the options.</summary>
    public Task<UpdatePassResponse> UpdatePassAsync(UpdatePassRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.MerchantId ??= _options.MerchantId;
        request.Validate();
        return SendAsync(_options.Paths.UpdatePass, request, AlipayJsonContext.Wire.UpdatePassRequest, AlipayJsonContext.Default.UpdatePassResponse, cancellationToken);
    }

    /// <summary>Template detail: reads a card template. An empty <c>merchantId</c> is filled from the options.</summary>
    public Task<TemplateDetailResponse> GetTemplateDetailAsync(TemplateDetailRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.MerchantId ??= _options.MerchantId;
        request.Validate();
        return SendAsync(_options.Paths.TemplateDetail, request, AlipayJsonContext.Wire.TemplateDetailRequest, AlipayJsonContext.Default.TemplateDetailResponse, cancellationToken);
    }

    /// <summary>applyToken: exchanges an auth code or refresh token for tokens (secrets: never log the answer's tokens).</summary>
    public Task<ApplyTokenResponse> ApplyTokenAsync(ApplyTokenRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        return SendAsync(_options.Paths.ApplyToken, request, AlipayJsonContext.Wire.ApplyTokenRequest, AlipayJsonContext.Default.ApplyTokenResponse, cancellationToken);
    }

    /// <summary>bill/query: fetches the transactions a user submitted in the mall mini-app.</summary>
    public Task<BillQueryResponse> QueryBillsAsync(BillQueryRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        return SendAsync(_options.Paths.BillQuery, request, AlipayJsonContext.Wire.BillQueryRequest, AlipayJsonContext.Default.BillQueryResponse, cancellationToken);
    }

    /// <summary>circleStore/save: registers a shop with the mall.</summary>
    public Task<CircleStoreSaveResponse> SaveCircleStoreAsync(CircleStoreSaveRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        return SendAsync(_options.Paths.CircleStoreSave, request, AlipayJsonContext.Wire.CircleStoreSaveRequest, AlipayJsonContext.Default.CircleStoreSaveResponse, cancellationToken);
    }

    /// <summary>circleStore/queryPage: pages through the mall's registered shops.</summary>
    public Task<CircleStoreQueryPageResponse> QueryCircleStorePageAsync(CircleStoreQueryPageRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        return SendAsync(_options.Paths.CircleStoreQueryPage, request, AlipayJsonContext.Wire.CircleStoreQueryPageRequest, AlipayJsonContext.Default.CircleStoreQueryPageResponse, cancellationToken);
    }

    private async Task<TResponse> SendAsync<TRequest, TResponse>(string path, TRequest request,
        JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken)
        where TResponse : AlipayResponse
    {
        var uri = _options.ResolveUri(path);
        // Protocol §2.1 signs "the URL path of the request": the path that goes on the wire, the base URL's prefix
        // (a sandbox mounted at https://gw.example/sandbox) included. The answer is verified over the same path.
        var signedPath = uri.AbsolutePath;
        var body = JsonSerializer.SerializeToUtf8Bytes(request, requestType);

        using var timeout = new CancellationTokenSource(_options.Timeout, _clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            var signed = await _signer.SignAsync(signedPath, body, linked.Token).ConfigureAwait(false);
            using var message = new HttpRequestMessage(HttpMethod.Post, uri);
            message.Content = new ByteArrayContent(body);
            message.Content.Headers.ContentType = JsonContentType;
            message.Headers.TryAddWithoutValidation(AlipayHeaders.ClientId, signed.ClientId);
            message.Headers.TryAddWithoutValidation(AlipayHeaders.RequestTime, signed.Time);
            message.Headers.TryAddWithoutValidation(AlipayHeaders.Signature, signed.Signature);

            using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            var answer = await response.Content.ReadAsByteArrayAsync(linked.Token).ConfigureAwait(false);
            return Interpret(signedPath, response, answer, responseType);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
        {
            throw new AlipayHKException($"AlipayHK {path}: no answer within {_options.Timeout.TotalSeconds:0.###} s.",
                ResultCodes.Timeout, ResultStatus.Unknown, isRetryable: true, innerException: e);
        }
        catch (HttpRequestException e)
        {
            throw new AlipayHKException($"AlipayHK {path}: the connection failed ({e.HttpRequestError}).",
                ResultCodes.HttpError, ResultStatus.Unknown, isRetryable: true, httpStatus: (int?)e.StatusCode, innerException: e);
        }
    }

    private TResponse Interpret<TResponse>(string path, HttpResponseMessage response, byte[] answer, JsonTypeInfo<TResponse> responseType)
        where TResponse : AlipayResponse
    {
        var httpStatus = (int)response.StatusCode;
        var tracerId = Header(response, AlipayHeaders.TracerId);
        TResponse? parsed = null;
        try
        {
            parsed = answer.Length == 0 ? null : JsonSerializer.Deserialize(answer, responseType);
        }
        catch (JsonException)
        {
            // Reported below with the HTTP status; the body may hold tokens, so it is not quoted.
        }
        var result = parsed?.EffectiveResult;

        if (!response.IsSuccessStatusCode)
        {
            var retryable = ResultCodes.IsRetryableHttpStatus(httpStatus) || (result is not null && ResultCodes.IsRetryable(result.ResultStatus, result.ResultCode));
            throw new AlipayHKException(
                $"AlipayHK {path}: HTTP {httpStatus}{Describe(result)}{TracerText(tracerId)}.",
                result?.ResultCode ?? ResultCodes.HttpError, result?.ResultStatus ?? ResultStatus.Unknown, retryable,
                httpStatus, tracerId, RetryAfter(response), result);
        }
        if (result is null)
        {
            // An answer without a result (an HTML error page from a proxy, a truncated body): the outcome is unknown.
            throw new AlipayHKException($"AlipayHK {path}: the answer has no result object{TracerText(tracerId)}.",
                ResultCodes.InvalidResponse, ResultStatus.Unknown, isRetryable: true, httpStatus, tracerId);
        }

        var signature = Header(response, AlipayHeaders.Signature);
        if (!string.IsNullOrWhiteSpace(signature))
        {
            var clientId = AlipayHeaders.GetClientId(name => Header(response, name))?.Trim();
            var time = Header(response, AlipayHeaders.ResponseTime)?.Trim();
            var verdict = string.IsNullOrEmpty(time)
                ? SignatureRejection.InvalidSignature
                : PlatformSignatures.Verify(_verifier, _nextVerifier, path, string.IsNullOrEmpty(clientId) ? _options.ClientId : clientId, time, answer, signature);
            if (verdict != SignatureRejection.None)
            {
                // Retryable: AlipayHK may have carried the call out (the answer is only untrusted), every API here is
                // idempotent, and a stale key or a tampering proxy ends in the bounded retries' poison queue.
                throw new AlipayHKException(
                    $"AlipayHK {path}: the answer's signature does not verify with the platform key ({verdict}){Describe(result)}{TracerText(tracerId)}.",
                    ResultCodes.ResponseSignatureInvalid, ResultStatus.Unknown, isRetryable: true, httpStatus, tracerId, result: result);
            }
        }
        else if (result.IsSuccess)
        {
            throw new AlipayHKException($"AlipayHK {path}: a success answer came unsigned{TracerText(tracerId)}.",
                ResultCodes.ResponseUnsigned, ResultStatus.Unknown, isRetryable: true, httpStatus, tracerId, result: result);
        }

        if (!result.IsSuccess)
        {
            throw new AlipayHKException($"AlipayHK {path}:{Describe(result)}{TracerText(tracerId)}.",
                result.ResultCode ?? ResultCodes.UnknownException, result.ResultStatus,
                ResultCodes.IsRetryable(result.ResultStatus, result.ResultCode), httpStatus, tracerId, RetryAfter(response), result);
        }
        parsed!.TracerId = tracerId;
        return parsed;
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }
        if (header?.Date is { } date)
        {
            var wait = date - _clock.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        return null;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    private static string Describe(AlipayResult? result) =>
        result is null ? "" : $" {result.ResultCode} ({result.ResultStatus}) {result.Message}";

    private static string TracerText(string? tracerId) => tracerId is null ? "" : $"; Tracer-Id {tracerId}";

    /// <inheritdoc />
    public void Dispose()
    {
        _verifier.Dispose();
        _nextVerifier?.Dispose();
    }
}
