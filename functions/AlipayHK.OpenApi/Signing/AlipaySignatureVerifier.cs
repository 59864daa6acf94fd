using System.Buffers;
using System.Security.Cryptography;

namespace AlipayHK.OpenApi.Signing;

/// <summary>
/// Verifies AlipayHK signatures (protocol §2.1) with one RSA public key: the AlipayHK platform key on the merchant's
/// side, the merchant's key on the simulator's. Thread-safe; hold one per key.
/// </summary>
public sealed class AlipaySignatureVerifier : IDisposable
{
    private readonly RSA _publicKey;

    /// <summary>Creates a verifier from a PEM public key or base64 SubjectPublicKeyInfo.</summary>
    /// <exception cref="FormatException">The key is in neither form.</exception>
    public AlipaySignatureVerifier(string publicKey) => _publicKey = RsaKeys.ImportPublicKey(publicKey);

    /// <summary>
    /// Verifies the <c>Signature</c> header of a message against
    /// <c>&lt;method&gt; &lt;path&gt;\n&lt;clientId&gt;.&lt;time&gt;.&lt;body&gt;</c>.
    /// Allocates nothing beyond a pooled buffer for the string-to-sign.
    /// </summary>
    public SignatureRejection Verify(string method, string path, string clientId, string time, ReadOnlySpan<byte> body, ReadOnlySpan<char> signatureHeader)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(clientId);
        ArgumentNullException.ThrowIfNull(time);

        Span<byte> signature = stackalloc byte[SignatureHeader.MaxSignatureBytes];
        var rejection = SignatureHeader.TryDecodeSignature(signatureHeader, signature, out var signatureLength);
        if (rejection != SignatureRejection.None)
        {
            return rejection;
        }

        var length = StringToSign.GetByteCount(method, path, clientId, time, body.Length);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = StringToSign.Write(buffer, method, path, clientId, time, body);
            return _publicKey.VerifyData(buffer.AsSpan(0, written), signature[..signatureLength], HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
                ? SignatureRejection.None
                : SignatureRejection.InvalidSignature;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _publicKey.Dispose();
}
