using System.Text.Json.Nodes;
using AlipayHK.Simulator.Protocol;
using AlipayHK.Simulator.Tests.Infrastructure;

namespace AlipayHK.Simulator.Tests;

public sealed class InspectionTests
{
    private const string UserId = "2160000000000123";

    [Fact]
    public async Task Listings_show_what_the_card_displays_and_mask_users_and_tokens()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);
        var passId = (await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass(userId: UserId, points: 10))).Body!["passId"]!.GetValue<string>();
        (await merchant.PostAsync(ApiPaths.UpdatePass, Requests.UpdatePoints(passId, 480, userId: UserId))).AssertVerifiedSuccess();
        var code = await AuthorizationTests.IssueAuthCodeAsync(merchant, UserId);
        var tokens = await merchant.PostAsync(ApiPaths.ApplyToken, AuthorizationTests.AuthCodeGrant(code));

        var passes = await merchant.Http.GetStringAsync("admin/passes");
        var calls = await merchant.Http.GetStringAsync("admin/calls");
        var page = await merchant.Http.GetStringAsync("");

        var pass = JsonNode.Parse(passes)!.AsArray().Single()!;
        Assert.Equal("480", pass["dataInfo"]!["en_US"]!["$points$"]!.GetValue<string>());
        Assert.Equal(1, pass["updateCount"]!.GetValue<int>());
        Assert.Equal(3, JsonNode.Parse(calls)!.AsArray().Count);
        Assert.Contains(passId, page, StringComparison.Ordinal);
        foreach (var listing in new[] { passes, calls, page })
        {
            Assert.DoesNotContain(UserId, listing, StringComparison.Ordinal);
            Assert.DoesNotContain(code, listing, StringComparison.Ordinal);
            Assert.DoesNotContain(tokens.Body!["accessToken"]!.GetValue<string>(), listing, StringComparison.Ordinal);
        }
        Assert.Contains("2160**********23", calls, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_up_without_the_merchant_key_fails_naming_the_setting()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            SimulatorHost.StartAsync(TestSimulator.Options(o => o.MerchantPublicKey = null)));

        Assert.Contains("Simulator:MerchantPublicKey", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("MerchantPublicKeyPath")]
    [InlineData("PlatformPrivateKeyPath")]
    public async Task A_key_file_that_does_not_exist_fails_start_up_naming_the_setting_and_the_path(string setting)
    {
        // The README's hand-started simulator names .local/ files that --keys-only makes: forgetting it is one line.
        var missing = Path.Combine(Path.GetTempPath(), $"absent-{Guid.NewGuid():N}.pem");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SimulatorHost.StartAsync(TestSimulator.Options(o =>
        {
            if (setting == "MerchantPublicKeyPath")
            {
                o.MerchantPublicKey = null;
                o.MerchantPublicKeyPath = missing;
            }
            else
            {
                o.PlatformPrivateKey = null;
                o.PlatformPrivateKeyPath = missing;
            }
        })));

        Assert.Equal($"Simulator:{setting} names a file that does not exist ({missing}).", error.Message);
    }
}
