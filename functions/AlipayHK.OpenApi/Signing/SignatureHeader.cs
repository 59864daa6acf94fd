namespace AlipayHK.OpenApi.Signing;

/// <summary>
/// The <c>Signature</c> header: <c>algorithm=RSA256, keyVersion=&lt;n&gt;, signature=&lt;url-encoded base64&gt;</c>.
/// Writing is strict; reading accepts every variant of protocol §2.4.
/// </summary>
public sealed record SignatureHeader(string? Algorithm, string? KeyVersion, string SignatureBase64)
{
    /// <summary>The label this library writes.</summary>
    public const string Rsa256 = "RSA256";

    /// <summary>RSA-2048 signatures are 256 bytes; room for up to RSA-4096.</summary>
    internal const int MaxSignatureBytes = 512;

    /// <summary>Formats the header for a raw signature.</summary>
    public static string Format(string keyVersion, ReadOnlySpan<byte> signature) =>
        $"algorithm={Rsa256}, keyVersion={keyVersion}, signature={Uri.EscapeDataString(Convert.ToBase64String(signature))}";

    /// <summary>Whether an algorithm label names RSA with SHA-256 (<c>RSA256</c> or <c>sha256withrsa</c>, any case).</summary>
    public static bool IsSupportedAlgorithm(ReadOnlySpan<char> algorithm) =>
        algorithm.Equals(Rsa256, StringComparison.OrdinalIgnoreCase)
        || algorithm.Equals("sha256withrsa", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses a header for inspection (the allocation-free path is <see cref="TryDecodeSignature"/>).</summary>
    public static bool TryParse(string? header, out SignatureHeader? result, out SignatureRejection rejection)
    {
        result = null;
        Span<byte> signature = stackalloc byte[MaxSignatureBytes];
        rejection = TryDecodeSignature(header, signature, out var length);
        if (rejection != SignatureRejection.None)
        {
            return false;
        }
        result = new SignatureHeader(
            FindValue(header, "algorithm"),
            FindValue(header, "keyVersion"),
            Convert.ToBase64String(signature[..length]));
        return true;
    }

    /// <summary>
    /// Checks the algorithm label and decodes the signature into <paramref name="destination"/>:
    /// finds <c>signature=</c>, takes the rest up to the next comma, removes whitespace, percent-decodes it
    /// (never turning <c>+</c> into a space) and base64-decodes it. A value that was not URL-encoded is accepted.
    /// </summary>
    public static SignatureRejection TryDecodeSignature(ReadOnlySpan<char> header, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (header.IsWhiteSpace())
        {
            return SignatureRejection.MissingSignature;
        }
        if (TryFindValue(header, "algorithm", out var algorithm) && !IsSupportedAlgorithm(algorithm))
        {
            return SignatureRejection.UnsupportedAlgorithm;
        }
        if (!TryFindValue(header, "signature", out var encoded) || encoded.IsEmpty || encoded.Length > 4 * MaxSignatureBytes)
        {
            return SignatureRejection.MalformedSignature;
        }
        // Drop whitespace first: AlipayHK's own sample header has line-wrap spaces inside the value, even inside
        // a percent escape ("% 2F"). Base64 never contains whitespace, so nothing is lost. Then decode in place.
        Span<char> base64 = stackalloc char[encoded.Length];
        var compactLength = 0;
        foreach (var c in encoded)
        {
            if (!char.IsWhiteSpace(c))
            {
                base64[compactLength++] = c;
            }
        }
        if (!TryPercentDecode(base64[..compactLength], base64, out var charCount)
            || !Convert.TryFromBase64Chars(base64[..charCount], destination, out bytesWritten))
        {
            return SignatureRejection.MalformedSignature;
        }
        return SignatureRejection.None;
    }

    // Finds the trimmed value of "name=" in a comma-separated list, without allocating.
    private static bool TryFindValue(ReadOnlySpan<char> header, string name, out ReadOnlySpan<char> value)
    {
        var rest = header;
        while (!rest.IsEmpty)
        {
            var comma = rest.IndexOf(',');
            var part = comma < 0 ? rest : rest[..comma];
            rest = comma < 0 ? [] : rest[(comma + 1)..];
            var equals = part.IndexOf('=');
            if (equals > 0 && part[..equals].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                value = part[(equals + 1)..].Trim();
                return true;
            }
        }
        value = default;
        return false;
    }

    private static string? FindValue(string? header, string name) =>
        header is not null && TryFindValue(header, name, out var value) ? value.ToString() : null;

    private static bool TryPercentDecode(ReadOnlySpan<char> source, Span<char> destination, out int written)
    {
        written = 0;
        for (var i = 0; i < source.Length; i++)
        {
            var c = source[i];
            if (c == '%')
            {
                if (i + 2 >= source.Length)
                {
                    return false;
                }
                var hi = HexValue(source[i + 1]);
                var lo = HexValue(source[i + 2]);
                if (hi < 0 || lo < 0)
                {
                    return false;
                }
                c = (char)((hi << 4) | lo);
                i += 2;
            }
            destination[written++] = c;
        }
        return true;
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}

/// <summary>Why a signature was not accepted.</summary>
public enum SignatureRejection
{
    /// <summary>Accepted.</summary>
    None,
    /// <summary>No <c>Signature</c> header.</summary>
    MissingSignature,
    /// <summary>The header has no decodable <c>signature=</c> value.</summary>
    MalformedSignature,
    /// <summary>The algorithm label is neither <c>RSA256</c> nor <c>sha256withrsa</c>.</summary>
    UnsupportedAlgorithm,
    /// <summary>The signature does not match the message and the key.</summary>
    InvalidSignature,
}
