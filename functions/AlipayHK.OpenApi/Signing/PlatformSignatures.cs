namespace AlipayHK.OpenApi.Signing;

/// <summary>Verifies with the current platform key and, during AlipayHK's key rotation, the next one.</summary>
internal static class PlatformSignatures
{
    public static SignatureRejection Verify(AlipaySignatureVerifier current, AlipaySignatureVerifier? next, string path, string clientId,
        string time, ReadOnlySpan<byte> body, ReadOnlySpan<char> signatureHeader)
    {
        var verdict = current.Verify("POST", path, clientId, time, body, signatureHeader);
        // Only a well-formed signature that fails is worth a second key; a malformed header fails with either.
        return verdict == SignatureRejection.InvalidSignature && next is not null
            ? next.Verify("POST", path, clientId, time, body, signatureHeader)
            : verdict;
    }
}
