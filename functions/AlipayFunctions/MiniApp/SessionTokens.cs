using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AlipayFunctions.MiniApp;

/// <summary>
/// The mini-app's session: <c>v1.{base64url userId}.{expiry unix seconds}.{base64url HMAC-SHA256}</c>, issued after
/// authorisation and presented as a bearer token on later mini-app calls. Stateless, so any instance can check it;
/// it carries no AlipayHK token (those stay server-side).
/// </summary>
internal sealed class SessionTokens(byte[] secret, TimeSpan lifetime, TimeProvider clock)
{
    private const string Version = "v1";

    public (string Token, DateTimeOffset ExpiresAt) Issue(string userId)
    {
        var expires = clock.GetUtcNow() + lifetime;
        var payload = string.Create(CultureInfo.InvariantCulture, $"{Version}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(userId))}.{expires.ToUnixTimeSeconds()}");
        return (payload + "." + Base64Url.EncodeToString(Mac(payload)), expires);
    }

    /// <summary>The user id of a genuine, unexpired token; null otherwise.</summary>
    public string? Validate(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 1024)
        {
            return null;
        }
        var lastDot = token.LastIndexOf('.');
        if (lastDot <= 0)
        {
            return null;
        }
        var payload = token[..lastDot];
        byte[] mac;
        try
        {
            mac = Base64Url.DecodeFromChars(token.AsSpan(lastDot + 1));
        }
        catch (FormatException)
        {
            return null;
        }
        if (!CryptographicOperations.FixedTimeEquals(mac, Mac(payload)))
        {
            return null;
        }
        var parts = payload.Split('.');
        if (parts.Length != 3 || parts[0] != Version
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var expiry)
            || clock.GetUtcNow().ToUnixTimeSeconds() >= expiry)
        {
            return null;
        }
        return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1]));
    }

    private byte[] Mac(string payload) => HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(payload));
}
