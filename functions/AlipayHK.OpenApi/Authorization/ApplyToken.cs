using System.Text.Json;
using System.Text.Json.Serialization;
using AlipayHK.OpenApi.Client;
using AlipayHK.OpenApi.Results;
using AlipayHK.OpenApi.Serialization;

namespace AlipayHK.OpenApi.Authorization;

/// <summary>
/// applyToken (<c>/api/open/v2/authorizations/applyToken</c>): exchange a mini-app <c>authCode</c> (or a refresh
/// token) for tokens. Auth codes and tokens are secrets: <see cref="ToString"/> never prints them; never log the
/// serialised body either.
/// </summary>
public sealed class ApplyTokenRequest
{
    /// <summary>Grant type for a fresh <c>authCode</c>.</summary>
    public const string AuthorizationCode = "AUTHORIZATION_CODE";

    /// <summary>Grant type for a refresh.</summary>
    public const string RefreshTokenGrant = "REFRESH_TOKEN";

    /// <summary>The mini-app id.</summary>
    public string? AppId { get; set; }

    /// <summary>The client id the authorisation was granted to.</summary>
    public string? AuthClientId { get; set; }

    /// <summary><see cref="AuthorizationCode"/> or <see cref="RefreshTokenGrant"/>.</summary>
    public string? GrantType { get; set; }

    /// <summary>The one-time code from <c>my.getAuthCode</c> (secret).</summary>
    public string? AuthCode { get; set; }

    /// <summary>The refresh token (secret).</summary>
    public string? RefreshToken { get; set; }

    /// <summary>The wallet the user belongs to.</summary>
    public string? CustomerBelongsTo { get; set; }

    /// <summary>Extra information.</summary>
    public string? ExtendInfo { get; set; }

    /// <summary>Fields this library does not model.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }

    /// <summary>
    /// Checks the fields before sending: <c>grantType</c> is one of the two grants and carries its code or token
    /// (protocol §4, assumed from the platform's v2 API; no lengths are published).
    /// </summary>
    /// <exception cref="ArgumentException">A field is missing or invalid; <see cref="ArgumentException.ParamName"/> is its JSON name.</exception>
    public void Validate()
    {
        const string Api = "applyToken";
        RequestChecks.OneOf(Api, "grantType", GrantType, required: true, 32, AuthorizationCode, RefreshTokenGrant);
        if (GrantType == AuthorizationCode)
        {
            RequestChecks.Required(Api, "authCode", AuthCode);
        }
        else
        {
            RequestChecks.Required(Api, "refreshToken", RefreshToken);
        }
    }

    /// <summary>Describes the request without its secrets.</summary>
    public override string ToString() =>
        $"ApplyTokenRequest {{ AppId = {AppId}, GrantType = {GrantType}, AuthCode = {Redaction.Mask(AuthCode)}, RefreshToken = {Redaction.Mask(RefreshToken)} }}";
}

/// <summary>applyToken's answer. The tokens are secrets: <see cref="ToString"/> never prints them.</summary>
public sealed class ApplyTokenResponse : AlipayResponse
{
    /// <summary>The access token (secret; never send it to the mini-app).</summary>
    public string? AccessToken { get; set; }

    /// <summary>When the access token expires (ISO-8601 in the same API family).</summary>
    public string? AccessTokenExpiryTime { get; set; }

    /// <summary>The refresh token (secret).</summary>
    public string? RefreshToken { get; set; }

    /// <summary>When the refresh token expires.</summary>
    public string? RefreshTokenExpiryTime { get; set; }

    /// <summary>The AlipayHK user id.</summary>
    public string? CustomerId { get; set; }

    /// <summary>Describes the answer without its secrets.</summary>
    public override string ToString() =>
        $"ApplyTokenResponse {{ Result = {EffectiveResult}, CustomerId = {CustomerId}, AccessToken = {Redaction.Mask(AccessToken)}, AccessTokenExpiryTime = {AccessTokenExpiryTime}, RefreshToken = {Redaction.Mask(RefreshToken)} }}";
}
