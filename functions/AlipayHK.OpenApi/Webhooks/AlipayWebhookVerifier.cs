using System.Runtime.InteropServices;
using System.Security.Cryptography;
using AlipayHK.OpenApi.Signing;

namespace AlipayHK.OpenApi.Webhooks;

/// <summary>Settings for <see cref="AlipayWebhookVerifier"/>.</summary>
public sealed class AlipayWebhookVerifierOptions
{
    /// <summary>AlipayHK's platform public key (PEM or base64 SubjectPublicKeyInfo).</summary>
    public required string PlatformPublicKey { get; init; }

    /// <summary>
    /// AlipayHK's next platform public key (optional), for a key rotation: a webhook verifies if either key verifies it.
    /// </summary>
    public string? NextPlatformPublicKey { get; init; }

    /// <summary>
    /// AlipayHK's whole bill/notify retry schedule (2 m + 10 m + 10 m + 1 h + 2 h + 6 h + 15 h = 24 h 22 min) plus
    /// an hour's margin: the default <see cref="MaxRequestAge"/>, so a genuine last retry that keeps its first
    /// <c>Request-Time</c> is still accepted.
    /// </summary>
    public static readonly TimeSpan DefaultMaxRequestAge =
        TimeSpan.FromMinutes(2 + 10 + 10) + TimeSpan.FromHours(1 + 2 + 6 + 15) + TimeSpan.FromHours(1);

    /// <summary>The default <see cref="MaxFutureSkew"/>: five minutes.</summary>
    public static readonly TimeSpan DefaultMaxFutureSkew = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Replay window: a webhook whose <c>Request-Time</c> is older than this is refused
    /// (<see cref="WebhookRejection.RequestTimeTooOld"/>). Default <see cref="DefaultMaxRequestAge"/>; null turns the check off.
    /// </summary>
    public TimeSpan? MaxRequestAge { get; init; } = DefaultMaxRequestAge;

    /// <summary>
    /// A webhook whose <c>Request-Time</c> is further ahead of the clock than this is refused
    /// (<see cref="WebhookRejection.RequestTimeInFuture"/>). Default <see cref="DefaultMaxFutureSkew"/>; null turns the check off.
    /// </summary>
    public TimeSpan? MaxFutureSkew { get; init; } = DefaultMaxFutureSkew;

    /// <summary>The client id AlipayHK assigned to the merchant; webhooks naming another are rejected.</summary>
    public required string ClientId { get; init; }

    /// <summary>
    /// How far <c>Request-Time</c> may be from the clock either way (<see cref="WebhookRejection.RequestTimeOutOfRange"/>);
    /// null (the default) leaves the window to <see cref="MaxRequestAge"/> and <see cref="MaxFutureSkew"/>.
    /// AlipayHK retries a webhook for up to a day and the public pages do not say whether a retry is re-stamped,
    /// so a window shorter than the retry schedule could reject a genuine retry.
    /// </summary>
    public TimeSpan? MaxClockSkew { get; init; }
}

/// <summary>
/// Verifies a webhook from AlipayHK (protocol §2.3) from its parts, so it needs no HTTP framework: verification is
/// separate from parsing the body, and the clock is injectable. Thread-safe; hold one.
/// </summary>
public sealed class AlipayWebhookVerifier : IDisposable
{
    private readonly AlipaySignatureVerifier _signatures;
    private readonly AlipaySignatureVerifier? _nextSignatures;
    private readonly TimeSpan? _maxAge;
    private readonly TimeSpan? _maxFuture;
    private readonly string _clientIdText;
    private readonly TimeSpan? _maxSkew;
    private readonly TimeProvider _clock;

    /// <summary>Creates a verifier.</summary>
    /// <exception cref="FormatException">The platform public key cannot be read.</exception>
    public AlipayWebhookVerifier(AlipayWebhookVerifierOptions options, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ClientId);
        if (options.MaxRequestAge <= TimeSpan.Zero || options.MaxFutureSkew < TimeSpan.Zero || options.MaxClockSkew < TimeSpan.Zero)
        {
            throw new ArgumentException("MaxRequestAge must be positive; MaxFutureSkew and MaxClockSkew must not be negative.", nameof(options));
        }
        _signatures = new AlipaySignatureVerifier(options.PlatformPublicKey);
        if (!string.IsNullOrWhiteSpace(options.NextPlatformPublicKey))
        {
            try
            {
                _nextSignatures = new AlipaySignatureVerifier(options.NextPlatformPublicKey);
            }
            catch
            {
                _signatures.Dispose();
                throw;
            }
        }
        _clientIdText = options.ClientId;
        _maxSkew = options.MaxClockSkew;
        _maxAge = options.MaxRequestAge;
        _maxFuture = options.MaxFutureSkew;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>Verifies a webhook.</summary>
    /// <param name="method">The HTTP method; only POST is signed by AlipayHK.</param>
    /// <param name="publicPath">The path registered with AlipayHK (the one AlipayHK signed), not necessarily the one the code sees.</param>
    /// <param name="getHeader">A case-insensitive header lookup.</param>
    /// <param name="body">The raw body, exactly as received.</param>
    public WebhookVerification Verify(string method, string publicPath, Func<string, string?> getHeader, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(getHeader);
        if (!string.Equals(method, "POST", StringComparison.OrdinalIgnoreCase))
        {
            return WebhookVerification.Reject(WebhookRejection.WrongMethod, $"AlipayHK webhooks are POST, not {method}.");
        }
        var clientId = AlipayHeaders.GetClientId(getHeader)?.Trim();
        if (string.IsNullOrEmpty(clientId))
        {
            return WebhookVerification.Reject(WebhookRejection.MissingClientId, "The Client-Id header is missing.");
        }
        // Compared as UTF-16 bytes: fixed time without allocating a UTF-8 copy per webhook.
        if (!CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(clientId.AsSpan()), MemoryMarshal.AsBytes(_clientIdText.AsSpan())))
        {
            return WebhookVerification.Reject(WebhookRejection.ClientIdMismatch, "The Client-Id header does not name this merchant's client id.");
        }
        var time = getHeader(AlipayHeaders.RequestTime)?.Trim();
        if (string.IsNullOrEmpty(time))
        {
            return WebhookVerification.Reject(WebhookRejection.MissingRequestTime, "The Request-Time header is missing.");
        }
        if (!AlipayTime.TryParse(time, out var sent))
        {
            return WebhookVerification.Reject(WebhookRejection.MalformedRequestTime, "The Request-Time header is not an ISO-8601 time.");
        }
        var now = _clock.GetUtcNow();
        if (_maxSkew is { } skew && (sent - now).Duration() > skew)
        {
            return WebhookVerification.Reject(WebhookRejection.RequestTimeOutOfRange, $"The Request-Time is more than {skew} from the merchant's clock.");
        }
        if (_maxAge is { } maxAge && now - sent > maxAge)
        {
            return WebhookVerification.Reject(WebhookRejection.RequestTimeTooOld, $"The Request-Time is older than {maxAge}: a replay, or a retry after AlipayHK's retry schedule.");
        }
        if (_maxFuture is { } maxFuture && sent - now > maxFuture)
        {
            return WebhookVerification.Reject(WebhookRejection.RequestTimeInFuture, $"The Request-Time is more than {maxFuture} ahead of the merchant's clock.");
        }
        var signature = getHeader(AlipayHeaders.Signature);
        if (string.IsNullOrWhiteSpace(signature))
        {
            return WebhookVerification.Reject(WebhookRejection.MissingSignature, "The Signature header is missing.");
        }
        if (!string.IsNullOrWhiteSpace(getHeader(AlipayHeaders.Encrypt)))
        {
            // Checked before the signature: whatever AlipayHK signs when it encrypts, the answer should name this.
            return WebhookVerification.Reject(WebhookRejection.EncryptedNotSupported, "The body is encrypted (Encrypt header); this merchant accepts plain JSON only.");
        }
        return PlatformSignatures.Verify(_signatures, _nextSignatures, publicPath, _clientIdText, time, body, signature) switch
        {
            SignatureRejection.None => WebhookVerification.Valid(time),
            SignatureRejection.UnsupportedAlgorithm => WebhookVerification.Reject(WebhookRejection.UnsupportedAlgorithm, "The Signature header names an algorithm other than RSA256."),
            SignatureRejection.MalformedSignature or SignatureRejection.MissingSignature => WebhookVerification.Reject(WebhookRejection.MalformedSignature, "The Signature header has no decodable signature= value."),
            _ => WebhookVerification.Reject(WebhookRejection.InvalidSignature, "The signature does not match the message and AlipayHK's public key."),
        };
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _signatures.Dispose();
        _nextSignatures?.Dispose();
    }
}

/// <summary>The outcome of verifying a webhook.</summary>
/// <param name="Rejection">Why it was rejected, or <see cref="WebhookRejection.None"/>.</param>
/// <param name="Message">A sentence fit for the answer and the log (no personal data).</param>
/// <param name="RequestTime">The verified <c>Request-Time</c>.</param>
public readonly record struct WebhookVerification(WebhookRejection Rejection, string Message, string? RequestTime)
{
    /// <summary>Whether the webhook is genuine.</summary>
    public bool IsValid => Rejection == WebhookRejection.None;

    internal static WebhookVerification Valid(string requestTime) => new(WebhookRejection.None, "verified", requestTime);

    internal static WebhookVerification Reject(WebhookRejection rejection, string message) => new(rejection, message, null);
}

/// <summary>Why a webhook was rejected.</summary>
public enum WebhookRejection
{
    /// <summary>Genuine.</summary>
    None,
    /// <summary>Not a POST.</summary>
    WrongMethod,
    /// <summary>No client id header.</summary>
    MissingClientId,
    /// <summary>Another merchant's client id.</summary>
    ClientIdMismatch,
    /// <summary>No <c>Request-Time</c>.</summary>
    MissingRequestTime,
    /// <summary><c>Request-Time</c> is not ISO-8601.</summary>
    MalformedRequestTime,
    /// <summary><c>Request-Time</c> is outside the configured window.</summary>
    RequestTimeOutOfRange,
    /// <summary>No <c>Signature</c> header.</summary>
    MissingSignature,
    /// <summary>The <c>Signature</c> header cannot be decoded.</summary>
    MalformedSignature,
    /// <summary>The algorithm label is not RSA-SHA256.</summary>
    UnsupportedAlgorithm,
    /// <summary>The signature does not verify.</summary>
    InvalidSignature,
    /// <summary><c>Request-Time</c> is older than <see cref="AlipayWebhookVerifierOptions.MaxRequestAge"/>: a replay.</summary>
    RequestTimeTooOld,
    /// <summary><c>Request-Time</c> is further ahead than <see cref="AlipayWebhookVerifierOptions.MaxFutureSkew"/>.</summary>
    RequestTimeInFuture,
    /// <summary>The message carries an <c>Encrypt</c> header: an encrypted body, which this library does not read.</summary>
    EncryptedNotSupported,
}
