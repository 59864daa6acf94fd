using AlipayFunctions.Testing;
using AlipayFunctions.Tests.Infrastructure;
using AlipayHK.Simulator.Bills;
using AlipayHK.Simulator.Webhooks;

namespace AlipayFunctions.Tests;

/// <summary>The simulator's own webhook sender (AlipayHK's behaviour: signs, verifies our answer, retries) against the app.</summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class SimulatorWebhookTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task AlipayHKs_webhooks_are_delivered_on_the_first_attempt_and_the_card_follows()
    {
        await using var app = await TestApp.StartAsync(azurite);
        var user = TestApp.NewUserId();

        // A bill before the membership, then the membership, the way AlipayHK sends them (epoch-ms payTime too).
        var early = await app.Sim.Webhooks.SendBillNotifyAsync(new Bill { UserId = user, Value = 3333, PayTimeAsEpochMilliseconds = true });
        Assert.Equal(WebhookState.Delivered, (await early.WaitAsync()).State);
        var created = await (await app.Sim.Webhooks.SendMemberCardCreateAsync(new MemberCardCreateWebhook { UserId = user, MobileNo = "85290000000" })).WaitAsync();
        Assert.Equal(WebhookState.Delivered, created.State);
        Assert.Single(created.Attempts); // our signed SUCCESS verified with the merchant key on the first attempt
        var memberId = created.MemberId!;
        Assert.Equal((await app.MemberAsync(user))!.MemberId, memberId);
        await app.WaitForCardAsync(memberId, 33, user);

        var later = await (await app.Sim.Webhooks.SendBillNotifyAsync(new Bill { UserId = user, Value = 1000, PointsProvider = "ALIPAYCN" })).WaitAsync();
        Assert.Equal(WebhookState.Delivered, later.State);
        Assert.Single(later.Attempts);
        await app.WaitForCardAsync(memberId, 43, user);
    }
}
