using Azure.Core;

namespace AlipayFunctions.KeyVault;

/// <summary>
/// Options for <see cref="KeyVaultSigner"/>: the Azure.Core pipeline settings (retry, transport, diagnostics) plus
/// the signer's own concurrency bound.
/// </summary>
/// <remarks>
/// Retries (<see cref="ClientOptions.Retry"/>) cover 408, 429, 500, 502, 503, 504 and network failures, honour the
/// service's <c>Retry-After</c> and otherwise back off exponentially with jitter. The defaults here: 4 retries
/// (5 attempts), 0.5 s first delay, 10 s largest computed delay, 10 s network timeout per attempt. A sign takes tens of
/// milliseconds, so a try that is silent for 10 s is better abandoned and retried.
/// </remarks>
public class KeyVaultSignerOptions : ClientOptions
{
    /// <summary>Creates options with the defaults described on the class.</summary>
    public KeyVaultSignerOptions()
    {
        Retry.Mode = RetryMode.Exponential;
        Retry.MaxRetries = 4;
        Retry.Delay = TimeSpan.FromSeconds(0.5);
        Retry.MaxDelay = TimeSpan.FromSeconds(10);
        Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
        // Query parameters are redacted in pipeline logs unless allowed; the API version is harmless and useful.
        Diagnostics.LoggedQueryParameters.Add("api-version");
    }

    /// <summary>
    /// The most Key Vault requests this signer has in flight at once; further calls wait (cancellably) for a slot.
    /// Default 32. A vault allows 2,000-4,000 RSA-2048 operations per 10 s, shared by every instance of the app.
    /// </summary>
    public int MaxConcurrency { get; set; } = 32;

    /// <summary>
    /// The timeout for each network attempt; when set it replaces <see cref="RetryOptions.NetworkTimeout"/>
    /// (10 s by default here).
    /// </summary>
    public TimeSpan? NetworkTimeout { get; set; }
}
