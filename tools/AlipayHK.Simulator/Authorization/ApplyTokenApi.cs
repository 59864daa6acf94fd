using System.Text.Json.Nodes;
using AlipayHK.OpenApi.Signing;
using AlipayHK.Simulator.Protocol;

namespace AlipayHK.Simulator.Authorization;

/// <summary>applyToken (protocol §4, assumed from the platform's v2 API): auth code or refresh token → tokens.</summary>
internal sealed class ApplyTokenApi(SimulatorOptions options, AuthorizationStore store)
{
    public ApiEndpoint Endpoint => new("applyToken", ApiPaths.ApplyToken, ApplyToken);

    private ApiAnswer ApplyToken(JsonObject body)
    {
        var grantType = JsonFields.RequiredEnum(body, "grantType", "AUTHORIZATION_CODE", "REFRESH_TOKEN");
        JsonFields.OptionalString(body, "appId");
        JsonFields.OptionalString(body, "customerBelongsTo");
        var authClientId = JsonFields.OptionalString(body, "authClientId");
        if (authClientId is not null && !string.Equals(authClientId, options.ClientId, StringComparison.Ordinal))
        {
            throw new SimulatedFailureException(ResultCodes.InvalidAuthClient, "authClientId is not this merchant's client id.");
        }
        var tokens = grantType == "AUTHORIZATION_CODE"
            ? store.ExchangeAuthCode(JsonFields.RequiredString(body, "authCode"))
            : store.Refresh(JsonFields.RequiredString(body, "refreshToken"));
        return ApiAnswer.Success(new JsonObject
        {
            ["accessToken"] = tokens.AccessToken,
            ["accessTokenExpiryTime"] = AlipayTime.ToHeaderValue(tokens.AccessTokenExpiry),
            ["refreshToken"] = tokens.RefreshToken,
            ["refreshTokenExpiryTime"] = AlipayTime.ToHeaderValue(tokens.RefreshTokenExpiry),
            ["customerId"] = tokens.CustomerId,
        });
    }
}
