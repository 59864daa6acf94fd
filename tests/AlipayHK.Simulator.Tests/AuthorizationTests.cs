using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlipayHK.Simulator.Protocol;
using AlipayHK.Simulator.Tests.Infrastructure;

namespace AlipayHK.Simulator.Tests;

public sealed class AuthorizationTests
{
    private const string UserId = "2160000000000042";

    [Fact]
    public async Task An_auth_code_from_the_admin_endpoint_buys_tokens_once()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);
        var authCode = await IssueAuthCodeAsync(merchant);

        var first = await merchant.PostAsync(ApiPaths.ApplyToken, AuthCodeGrant(authCode));

        first.AssertVerifiedSuccess();
        Assert.Equal(UserId, first.Body!["customerId"]!.GetValue<string>());
        var accessToken = first.Body!["accessToken"]!.GetValue<string>();
        Assert.False(string.IsNullOrEmpty(first.Body!["refreshToken"]!.GetValue<string>()));
        Assert.NotNull(first.Body!["accessTokenExpiryTime"]);
        Assert.Equal(UserId, sim.State.Authorizations.ResolveAccessToken(accessToken));

        (await merchant.PostAsync(ApiPaths.ApplyToken, AuthCodeGrant(authCode))).AssertFailure("INVALID_AUTHCODE");
        (await merchant.PostAsync(ApiPaths.ApplyToken, AuthCodeGrant("never-issued"))).AssertFailure("INVALID_AUTHCODE");
    }

    [Fact]
    public async Task An_auth_code_expires_after_five_minutes()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero));
        await using var sim = await TestSimulator.StartAsync(clock: clock);
        using var merchant = new MerchantCaller(sim);
        var fresh = sim.State.Authorizations.IssueAuthCode(UserId).AuthCode;
        var stale = sim.State.Authorizations.IssueAuthCode(UserId).AuthCode;

        clock.Advance(TimeSpan.FromMinutes(4) + TimeSpan.FromSeconds(59));
        (await merchant.PostAsync(ApiPaths.ApplyToken, AuthCodeGrant(fresh))).AssertVerifiedSuccess();

        clock.Advance(TimeSpan.FromSeconds(1));
        (await merchant.PostAsync(ApiPaths.ApplyToken, AuthCodeGrant(stale))).AssertFailure("AUTH_CODE_EXPIRED");
    }

    [Fact]
    public async Task A_refresh_token_is_single_use()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);
        var first = await merchant.PostAsync(ApiPaths.ApplyToken, AuthCodeGrant(sim.State.Authorizations.IssueAuthCode(UserId).AuthCode));
        var refreshToken = first.Body!["refreshToken"]!.GetValue<string>();

        var refreshed = await merchant.PostAsync(ApiPaths.ApplyToken, RefreshGrant(refreshToken));
        refreshed.AssertVerifiedSuccess();
        Assert.Equal(UserId, refreshed.Body!["customerId"]!.GetValue<string>());
        Assert.NotEqual(refreshToken, refreshed.Body!["refreshToken"]!.GetValue<string>());

        (await merchant.PostAsync(ApiPaths.ApplyToken, RefreshGrant(refreshToken))).AssertFailure("USED_REFRESH_TOKEN");
    }

    [Fact]
    public async Task ApplyToken_validates_the_grant()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);

        var noGrant = await merchant.PostAsync(ApiPaths.ApplyToken, new JsonObject { ["authCode"] = "x" });
        noGrant.AssertFailure("PARAM_ILLEGAL");
        Assert.Contains("grantType", noGrant.ResultMessage, StringComparison.Ordinal);

        var noCode = await merchant.PostAsync(ApiPaths.ApplyToken, new JsonObject { ["grantType"] = "AUTHORIZATION_CODE" });
        noCode.AssertFailure("PARAM_ILLEGAL");
        Assert.Contains("authCode", noCode.ResultMessage, StringComparison.Ordinal);

        var grant = AuthCodeGrant(sim.State.Authorizations.IssueAuthCode(UserId).AuthCode);
        grant["authClientId"] = "another-client";
        (await merchant.PostAsync(ApiPaths.ApplyToken, grant)).AssertFailure("INVALID_AUTH_CLIENT");
    }

    internal static async Task<string> IssueAuthCodeAsync(MerchantCaller merchant, string userId = UserId)
    {
        using var response = await merchant.Http.PostAsJsonAsync("admin/authcodes", new { userId });
        response.EnsureSuccessStatusCode();
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return body["authCode"]!.GetValue<string>();
    }

    internal static JsonObject AuthCodeGrant(string authCode) => new()
    {
        ["appId"] = "3021000000000001",
        ["authClientId"] = TestSimulator.ClientId,
        ["grantType"] = "AUTHORIZATION_CODE",
        ["authCode"] = authCode,
        ["customerBelongsTo"] = "ALIPAY_HK",
    };

    private static JsonObject RefreshGrant(string refreshToken) => new()
    {
        ["grantType"] = "REFRESH_TOKEN",
        ["refreshToken"] = refreshToken,
    };
}
