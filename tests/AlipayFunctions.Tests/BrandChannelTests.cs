using AlipayFunctions.Storage;
using AlipayFunctions.Loyalty;
using AlipayFunctions.Testing;
using AlipayFunctions.Tests.Infrastructure;
using AlipayHK.Simulator.Passes;
using Xunit.Abstractions;

namespace AlipayFunctions.Tests;

/// <summary>The Brand Channel end to end: membercard/create → createPass, bill/notify → ledger → updatePass.</summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class BrandChannelTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    [Fact]
    public async Task Membership_and_three_bills_put_a_card_showing_their_sum_in_the_wallet()
    {
        await using var app = await TestApp.StartAsync(azurite);
        var user = TestApp.NewUserId();

        var memberId = await app.CreateMemberAsync(user);
        var card = await app.WaitForCardAsync(memberId, 0, user);
        Assert.Equal(user, card.UserId);
        Assert.Equal(PassStatus.Active, card.Status);
        Assert.Equal("0", card.Variable("zh_HK", TestApp.PointsVariable));

        // HKD earns 1 point per whole 1.00: 12.50 → 12, 9.99 → 9, 100.00 → 100.
        (await app.NotifyBillAsync(user, "B1-" + user, 1250)).AssertSignedSuccess();
        (await app.NotifyBillAsync(user, "B2-" + user, 999)).AssertSignedSuccess();
        (await app.NotifyBillAsync(user, "B3-" + user, 10000)).AssertSignedSuccess();

        card = await app.WaitForCardAsync(memberId, 121, user);
        Assert.Equal("121", card.Variable("zh_HK", TestApp.PointsVariable));
        var member = (await app.MemberAsync(user))!;
        Assert.Equal(card.PassId, member.PassId);
        Assert.Equal(PassState.Active, member.PassState);
        await Eventually.UntilAsync(async () => (await app.MemberAsync(user))!.SyncedVersion == member.BalanceVersion, "the ledger to record the synced version");
        var bills = await app.BillRowsAsync(user);
        Assert.Equal([12L, 9L, 100L], bills.OrderBy(b => b.GetString("BillNo")).Select(b => b.GetInt64("Points") ?? -1));
        Assert.All(bills, b => Assert.Equal(nameof(BillState.Applied), b.GetString(nameof(BillState))));

        // A repeated membercard/create is the same membership, and no second card.
        Assert.Equal(memberId, await app.CreateMemberAsync(user));
        Assert.Single(app.Sim.State.Passes.List(), p => p.UserId == user);
    }

    [Fact]
    public async Task The_same_bill_sent_twenty_times_at_once_is_applied_once()
    {
        await using var app = await TestApp.StartAsync(azurite);
        var user = TestApp.NewUserId();
        var memberId = await app.CreateMemberAsync(user);
        await app.WaitForCardAsync(memberId, 0, user);

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => app.NotifyBillAsync(user, "DUP-" + user, 5075)));

        Assert.All(answers, a => a.AssertSignedSuccess());
        await app.WaitForCardAsync(memberId, 50, user);
        await Eventually.UntilAsync(async () => await app.MessageCountAsync(AppStorage.BillsQueue) == 0, "every delivery of the bill to be processed");
        Assert.Equal(50, (await app.MemberAsync(user))!.Points);
        Assert.Single(await app.BillRowsAsync(user));
        Assert.Equal(0, await app.VisibleMessagesAsync(AppStorage.PoisonQueue(AppStorage.BillsQueue)));
    }

    [Fact]
    public async Task A_bill_before_the_membership_waits_and_the_first_card_shows_it()
    {
        await using var app = await TestApp.StartAsync(azurite);
        var user = TestApp.NewUserId();

        (await app.NotifyBillAsync(user, "EARLY-" + user, 4200)).AssertSignedSuccess();
        await Eventually.UntilAsync(async () => (await app.BillRowsAsync(user)).SingleOrDefault()?.GetString(nameof(BillState)) == nameof(BillState.Pending),
            "the bill to be stored pending");
        Assert.Null(await app.MemberAsync(user));

        var memberId = await app.CreateMemberAsync(user);
        var card = await app.WaitForCardAsync(memberId, 42, user);
        Assert.Equal(0, card.UpdateCount); // created showing 42, not created at 0 and updated
        Assert.Equal(nameof(BillState.Applied), (await app.BillRowsAsync(user)).Single().GetString(nameof(BillState)));
    }

    [Fact]
    public async Task Other_currencies_earn_nothing_with_a_reason_and_AlipayCN_bills_count_like_others()
    {
        await using var app = await TestApp.StartAsync(azurite);
        var user = TestApp.NewUserId("2088");
        var memberId = await app.CreateMemberAsync(user);

        (await app.NotifyBillAsync(user, "USD-" + user, 5000, currency: "USD")).AssertSignedSuccess();
        (await app.NotifyBillAsync(user, "SAME-" + user, 2000, provider: "ALIPAYCN")).AssertSignedSuccess();
        // The same bill number from the other provider is another bill.
        (await app.NotifyBillAsync(user, "SAME-" + user, 1000, provider: "ALIPAYHK")).AssertSignedSuccess();

        await app.WaitForCardAsync(memberId, 30, user);
        await Eventually.UntilAsync(async () => (await app.BillRowsAsync(user)).Count == 3, "three bill rows");
        var bills = await app.BillRowsAsync(user);
        var usd = bills.Single(b => b.GetString("Currency") == "USD");
        Assert.Equal(0, usd.GetInt64("Points"));
        Assert.Contains("USD", usd.GetString("ZeroReason"), StringComparison.Ordinal);
        Assert.Equal(nameof(BillState.Applied), usd.GetString(nameof(BillState)));
        Assert.Equal(20, bills.Single(b => b.GetString("PointsProvider") == "ALIPAYCN").GetInt64("Points"));
    }

    [Fact]
    public async Task A_burst_of_bills_costs_far_fewer_updatePass_calls_than_bills()
    {
        await using var app = await TestApp.StartAsync(azurite);
        var user = TestApp.NewUserId();
        var memberId = await app.CreateMemberAsync(user);
        await app.WaitForCardAsync(memberId, 0, user);

        var answers = await Task.WhenAll(Enumerable.Range(1, 10).Select(i => app.NotifyBillAsync(user, $"BURST{i}-{user}", 1000)));
        Assert.All(answers, a => a.AssertSignedSuccess());

        var card = await app.WaitForCardAsync(memberId, 100, user);
        await Eventually.UntilAsync(async () => await app.MessageCountAsync(AppStorage.PassSyncQueue) == 0, "the pass-sync queue to drain");
        var updates = app.Sim.State.Calls.For("updatePass").Count;
        output.WriteLine($"10 bills in a burst cost {updates} updatePass calls (card update count {app.Card(memberId)!.UpdateCount}).");
        Assert.InRange(updates, 1, 3);
    }
}
