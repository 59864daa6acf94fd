using System.Runtime.InteropServices;
using System.Security.Cryptography;
using AlipayHK.OpenApi.Signing;

namespace AlipayHK.OpenApi.Webhooks;

/// <summary>Settings for <see cref="AlipayWebhookVerifier"/>.</summary>
public sealed class AlipayWebhookVerifierOptions
{
    /// <summary>AlipayHK's platform public key (PEM or base64 SubjectPublicKeyInfo).</summary>
    public required string PlatformPublicKey { get; init; }

    /// <summary>The client id AlipayHK assigned to the merchant; webhooks naming another are rejected.</summary>
    public required string ClientId { get; init; }

    /// <summary>
    /// How far <c>Request-Time</c> may be from the clock; null (the default) checks only that it parses.
    /// AlipayHK retries a webhook for up to a day and the public pages do not say whether a retry is re-stamped,
    /// so a tight window could reject a genuine retry; replays are harmless because every webhook is idempotent.
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
    private readonly string _clientIdText;
    private readonly TimeSpan? _maxSkew;
    private readonly TimeProvider _clock;

    /// <summary>Creates a verifier.</summary>
    /// <exception cref="FormatException">The platform public key cannot be read.</exception>
    public AlipayWebhookVerifier(AlipayWebhookVerifierOptions options, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ClientId);
        _signatures = new AlipaySignatureVerifier(options.PlatformPublicKey);
        _clientIdText = options.ClientId;
        _maxSkew = options.MaxClockSkew;
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
        if (_maxSkew is { } skew && (sent - _clock.GetUtcNow()).Duration() > skew)
        {
            return WebhookVerification.Reject(WebhookRejection.RequestTimeOutOfRange, $"The Request-Time is more than {skew} from the merchant's clock.");
        }
        var signature = getHeader(AlipayHeaders.Signature);
        if (string.IsNullOrWhiteSpace(signature))
        {
            return WebhookVerification.Reject(WebhookRejection.MissingSignature, "The Signature header is missing.");
        }
        return _signatures.Verify("POST", publicPath, _clientIdText, time, body, signature) switch
        {
            SignatureRejection.None => WebhookVerification.Valid(time),
            SignatureRejection.UnsupportedAlgorithm => WebhookVerification.Reject(WebhookRejection.UnsupportedAlgorithm, "The Signature header names an algorithm other than RSA256."),
            SignatureRejection.MalformedSignature or SignatureRejection.MissingSignature => WebhookVerification.Reject(WebhookRejection.MalformedSignature, "The Signature header has no decodable signature= value."),
            _ => WebhookVerification.Reject(WebhookRejection.InvalidSignature, "The signature does not match the message and AlipayHK's public key."),
        };
    }

    /// <inheritdoc />
    public void Dispose() => _signatures.Dispose();
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
}
