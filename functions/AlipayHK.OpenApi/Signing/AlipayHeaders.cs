namespace AlipayHK.OpenApi.Signing;

/// <summary>The HTTP header names of the AlipayHK message protocol (protocol §2).</summary>
public static class AlipayHeaders
{
    /// <summary>The client id AlipayHK assigned to the merchant.</summary>
    public const string ClientId = "Client-Id";

    /// <summary>A spelling some AlipayHK senders use; a different header name from <see cref="ClientId"/>.</summary>
    public const string ClientIdAlternate = "clientId";

    /// <summary>The time of a request.</summary>
    public const string RequestTime = "Request-Time";

    /// <summary>The time of a response.</summary>
    public const string ResponseTime = "Response-Time";

    /// <summary><c>algorithm=RSA256, keyVersion=&lt;n&gt;, signature=&lt;url-encoded base64&gt;</c>.</summary>
    public const string Signature = "Signature";

    /// <summary>
    /// Present when the body is encrypted (<c>algorithm=RSA_AES, keyVersion=..., symmetricKey=...</c>); optional in
    /// every API here and not implemented: a webhook carrying it is refused with its own reason.
    /// </summary>
    public const string Encrypt = "Encrypt";

    /// <summary>AlipayHK's trace id for a call.</summary>
    public const string TracerId = "Tracer-Id";

    /// <summary>The content type of every message.</summary>
    public const string JsonContentType = "application/json; charset=UTF-8";

    /// <summary>Reads the client id under any of the names AlipayHK uses.</summary>
    public static string? GetClientId(Func<string, string?> getHeader)
    {
        ArgumentNullException.ThrowIfNull(getHeader);
        var value = getHeader(ClientId);
        return string.IsNullOrWhiteSpace(value) ? getHeader(ClientIdAlternate) : value;
    }
}
