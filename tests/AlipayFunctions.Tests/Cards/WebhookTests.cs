using System.Text.Json.Nodes;
using AlipayFunctions.Storage;
using AlipayFunctions.Testing;
using AlipayFunctions.Tests.Infrastructure;
using AlipayHK.OpenApi.Signing;

namespace AlipayFunctions.Tests.Cards;

/// <summary>Issue 13 §6, §7 and the replay rules of issue 14, through the app's webhook service.</summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class WebhookTests(AzuriteFixture azurite)
{
    private static string BillJson(string userId, string billNo) => new JsonObject
    {
        ["userId"] = userId,
        ["billNo"] = billNo,
        ["orderAmount"] = new JsonObject { ["currency"] = "HKD", ["value"] = 1000 },
        ["payTime"] = "2026-11-22T10:15:30+08:00",
        ["pointsProvider"] = "ALIPAYHK",
    }.ToJsonString();

    [Theory]
    [InlineData("2088/1")]
    [InlineData("2088\\1")]
    [InlineData("2088#1")]
    [InlineData("2088?1")]
    [InlineData("2088\u00011")]
    public async Task A_bill_whose_userId_cannot_be_a_table_key_is_refused_with_PARAM_ILLEGAL_and_not_queued(string userId)
    {
        await using var app = await AppServicesHarness.StartAsync(azurite);
        var (status, body, headers) = await app.WebhookAsync("bill/notify", BillJson(userId, "B-KEY"));
        Assert.Equal(400, status);
        Assert.Contains("PARAM_ILLEGAL", body, StringComparison.Ordinal);
        Assert.Contains("userId", body, StringComparison.Ordinal);
        Assert.True(headers.ContainsKey(AlipayHeaders.Signature));
        Assert.Equal(0, await app.QueuedForAsync(AppStorage.BillsQueue, "B-KEY"));
    }

    [Fact]
    public async Task A_membercard_create_whose_userId_cannot_be_a_table_key_is_refused()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite);
        var (status, body, _) = await app.WebhookAsync("membercard/create", """{"userId":"a/b","createCardChannel":"ALIPAYHK"}""");
        Assert.Equal(400, status);
        Assert.Contains("userId", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bill_number_too_long_for_a_key_is_refused()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite);
        var (status, body, _) = await app.WebhookAsync("bill/notify", BillJson(TestApp.NewUserId(), new string('9', 600)));
        Assert.Equal(400, status);
        Assert.Contains("billNo", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_encrypted_webhook_that_verifies_gets_a_signed_F_naming_the_reason()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite);
        var user = TestApp.NewUserId();
        var (status, body, headers) = await app.WebhookAsync("bill/notify", BillJson(user, "B-ENC"), h => h[AlipayHeaders.Encrypt] = "AES");
        Assert.Equal(400, status);
        Assert.Contains("encrypted", body, StringComparison.OrdinalIgnoreCase);
        Assert.True(headers.ContainsKey(AlipayHeaders.Signature));
        Assert.Equal(0, await app.QueuedForAsync(AppStorage.BillsQueue, user));
    }

    [Fact]
    public async Task An_encrypted_webhook_from_a_stranger_is_refused_unsigned()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite);
        var (status, _, headers) = await app.WebhookAsync("bill/notify", BillJson(TestApp.NewUserId(), "B-ENC2"), h =>
        {
            h[AlipayHeaders.Encrypt] = "AES";
            h[AlipayHeaders.Signature] = "algorithm=RSA256,keyVersion=1,signature=AAAA";
        });
        Assert.Equal(401, status);
        Assert.False(headers.ContainsKey(AlipayHeaders.Signature));
    }

    [Fact]
    public async Task A_bill_already_applied_is_answered_SUCCESS_without_queuing_it_again()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite);
        var user = TestApp.NewUserId();
        await app.EnrolAsync(user);
        var (first, _, _) = await app.WebhookAsync("bill/notify", BillJson(user, "B-R1"));
        Assert.Equal(200, first);
        Assert.Equal(1, await app.QueuedForAsync(AppStorage.BillsQueue, user));
        await app.Ledger.ApplyBillAsync(AppServicesHarness.Bill(user, "B-R1"), new Loyalty.Earning(10, null), default);

        var (again, body, _) = await app.WebhookAsync("bill/notify", BillJson(user, "B-R1"));

        Assert.Equal(200, again);
        Assert.Contains("SUCCESS", body, StringComparison.Ordinal);
        Assert.Equal(1, await app.QueuedForAsync(AppStorage.BillsQueue, user));
    }

    [Fact]
    public async Task A_webhook_older_than_the_configured_replay_window_is_refused_unsigned_and_not_queued()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite, s => s["Webhooks:MaxRequestAge"] = "00:10:00");
        var user = TestApp.NewUserId();
        var (status, _, headers) = await app.WebhookAsync("bill/notify", BillJson(user, "B-OLD"),
            requestTime: AlipayTime.ToHeaderValue(DateTimeOffset.UtcNow.AddHours(-2)));
        Assert.Equal(401, status);
        Assert.False(headers.ContainsKey(AlipayHeaders.Signature));
        Assert.Equal(0, await app.QueuedForAsync(AppStorage.BillsQueue, user));
    }
}
