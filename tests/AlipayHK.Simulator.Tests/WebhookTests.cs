using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlipayHK.Simulator.Bills;
using AlipayHK.Simulator.Tests.Infrastructure;
using AlipayHK.Simulator.Webhooks;

namespace AlipayHK.Simulator.Tests;

public sealed class WebhookTests
{
    private const string UserId = "2160000000000777";

    [Fact]
    public async Task A_signed_success_delivers_membercard_create_once_and_records_the_member_id()
    {
        await using var merchant = await TestMerchant.StartAsync();
        await using var sim = await StartSimulatorAsync(merchant, timeFactor: 100_000);

        var delivery = await sim.Webhooks.SendMemberCardCreateAsync(new MemberCardCreateWebhook { UserId = UserId, MobileNo = "85291234567" });
        await delivery.WaitAsync(TestContext.Token);

        Assert.Equal(WebhookState.Delivered, delivery.State);
        Assert.Equal("MEM-0001", delivery.MemberId);
        var attempt = Assert.Single(delivery.Attempts);
        Assert.True(attempt.Verified);
        Assert.Equal(200, attempt.HttpStatus);
        var received = Assert.Single(merchant.Received);
        Assert.Equal("/shop1/points/membercard/create", received.Path);
        Assert.True(received.SignatureValid, received.VerificationMessage);
        Assert.Equal(UserId, received.Body["userId"]!.GetValue<string>());
        Assert.Equal("85291234567", received.Body["mobileNo"]!.GetValue<string>());
    }

    [Fact]
    public async Task Bill_notify_carries_the_protocol_fields_signed_over_the_public_path()
    {
        await using var merchant = await TestMerchant.StartAsync();
        await using var sim = await StartSimulatorAsync(merchant, timeFactor: 100_000);

        var delivery = await sim.Webhooks.SendBillNotifyAsync(new Bill
        {
            UserId = UserId, BillNo = "B-1", CnBillNo = "CN-1", MerchantId = "SHOP-9", MerchantName = "Tea Shop",
            Currency = "HKD", Value = 12_345, OutBillNo = "O-1", PmsLabel = "PMS-1",
            PayTime = new DateTimeOffset(2026, 11, 22, 10, 15, 30, TimeSpan.FromHours(8)),
        });
        await delivery.WaitAsync(TestContext.Token);

        Assert.Equal(WebhookState.Delivered, delivery.State);
        var received = Assert.Single(merchant.Received);
        Assert.Equal("/shop1/points/bill/notify", received.Path);
        Assert.True(received.SignatureValid, received.VerificationMessage);
        var body = received.Body;
        Assert.Equal(UserId, body["userId"]!.GetValue<string>());
        Assert.Equal("B-1", body["billNo"]!.GetValue<string>());
        Assert.Equal("CN-1", body["cnBillNo"]!.GetValue<string>());
        Assert.Equal("SHOP-9", body["merchantId"]!.GetValue<string>());
        Assert.Equal("Tea Shop", body["merchantName"]!.GetValue<string>());
        Assert.Equal("HKD", body["orderAmount"]!["currency"]!.GetValue<string>());
        Assert.Equal(12_345, body["orderAmount"]!["value"]!.GetValue<long>());
        Assert.Equal("2026-11-22T10:15:30+08:00", body["payTime"]!.GetValue<string>());
        Assert.Equal("ALIPAYHK", body["pointsProvider"]!.GetValue<string>());
        Assert.Equal("O-1", body["outBillNo"]!.GetValue<string>());
        Assert.Equal("PMS-1", body["pmsLabel"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(MerchantAnswer.UnsignedSuccess, "unsigned answer")]
    [InlineData(MerchantAnswer.SignedFailure, "result F PROCESS_FAIL")]
    [InlineData(MerchantAnswer.Http500, "HTTP 500")]
    public async Task Anything_but_a_signed_success_is_retried_on_the_schedule_until_the_merchant_recovers(MerchantAnswer failure, string outcome)
    {
        await using var merchant = await TestMerchant.StartAsync();
        merchant.Script(failure, failure, failure);
        await using var sim = await StartSimulatorAsync(merchant, timeFactor: 100_000);

        var delivery = await sim.Webhooks.SendBillNotifyAsync(new Bill { UserId = UserId, BillNo = "B-2", Value = 100 });
        await delivery.WaitAsync(TestContext.Token);

        Assert.Equal(WebhookState.Delivered, delivery.State);
        Assert.Equal(4, delivery.Attempts.Count);
        Assert.All(delivery.Attempts.Take(3), a => Assert.Equal(outcome, a.Outcome));
        Assert.True(delivery.Attempts[3].Delivered);
        // The waits are AlipayHK's schedule (none, 2 m, 10 m, 10 m) divided by the time factor.
        Assert.Equal(
            [TimeSpan.Zero, TimeSpan.FromMinutes(2) / 100_000, TimeSpan.FromMinutes(10) / 100_000, TimeSpan.FromMinutes(10) / 100_000],
            delivery.Attempts.Select(a => a.DelayBefore));
        // The same bill every time.
        Assert.Equal(4, merchant.Received.Count);
        Assert.All(merchant.Received, r => Assert.Equal("B-2", r.Body["billNo"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_badly_signed_success_is_never_accepted_and_the_sender_gives_up_after_the_last_retry()
    {
        await using var merchant = await TestMerchant.StartAsync();
        merchant.Otherwise = MerchantAnswer.BadlySignedSuccess;
        await using var sim = await StartSimulatorAsync(merchant, timeFactor: 1_000_000);

        var delivery = await sim.Webhooks.SendBillNotifyAsync(new Bill { UserId = UserId, BillNo = "B-3", Value = 100 });
        await delivery.WaitAsync(TestContext.Token);

        Assert.Equal(WebhookState.GaveUp, delivery.State);
        Assert.Equal(1 + WebhookSender.AlipayHKRetrySchedule.Count, delivery.Attempts.Count);
        Assert.All(delivery.Attempts, a =>
        {
            Assert.False(a.Delivered);
            Assert.False(a.Verified);
            Assert.Equal("S", a.ResultStatus);
            Assert.StartsWith("the answer's signature does not verify", a.Outcome, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Webhooks_are_triggered_and_listed_over_the_admin_API_with_masked_users()
    {
        await using var merchant = await TestMerchant.StartAsync();
        await using var sim = await StartSimulatorAsync(merchant, timeFactor: 100_000);
        using var http = new HttpClient { BaseAddress = sim.BaseUrl };

        using var started = await http.PostAsJsonAsync("admin/webhooks/bill-notify", new { userId = UserId, billNo = "B-4", currency = "HKD", value = 5000 });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var id = JsonNode.Parse(await started.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        await sim.State.Webhooks.Find(id)!.WaitAsync(TestContext.Token);
        using var invalid = await http.PostAsJsonAsync("admin/webhooks/membercard-create", new { mobileNo = "85291234567" });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);

        var listing = await http.GetStringAsync("admin/webhooks");
        var view = JsonNode.Parse(listing)!.AsArray().Single()!;
        Assert.Equal("Delivered", view["state"]!.GetValue<string>());
        Assert.Single(view["attempts"]!.AsArray());
        Assert.DoesNotContain(UserId, listing, StringComparison.Ordinal);
        Assert.Equal("2160**********77", view["user"]!.GetValue<string>());
        Assert.Equal(5000, merchant.Received.Single().Body["orderAmount"]!["value"]!.GetValue<long>());
    }

    [Fact]
    public async Task Without_a_target_sending_fails_with_a_clear_message()
    {
        await using var sim = await TestSimulator.StartAsync();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => sim.Webhooks.SendBillNotifyAsync(new Bill { UserId = UserId, Value = 1 }));
        Assert.Contains("TargetBaseUrl", error.Message, StringComparison.Ordinal);
    }

    private static Task<SimulatorHost> StartSimulatorAsync(TestMerchant merchant, double timeFactor) =>
        TestSimulator.StartAsync(o =>
        {
            o.Webhooks.TargetBaseUrl = merchant.BaseUrl;
            o.Webhooks.MerchantTag = "shop1";
            o.Webhooks.TimeFactor = timeFactor;
        });
}
