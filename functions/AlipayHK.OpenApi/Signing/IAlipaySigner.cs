namespace AlipayHK.OpenApi.Signing;

/// <summary>
/// Makes the merchant's RSA PKCS#1 v1.5 SHA-256 signature over a message (protocol §2.1).
/// Implementations are thread-safe and meant to be singletons: a PEM key locally, Azure Key Vault in production.
/// </summary>
public interface IAlipaySigner
{
    /// <summary>Signs <paramref name="data"/> (the whole string-to-sign, not a digest) and returns the raw signature bytes.</summary>
    ValueTask<byte[]> SignAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);
}
