using AlipayFunctions.Loyalty;
using AlipayFunctions.Storage;
using AlipayFunctions.Testing;
using AlipayFunctions.Tests.Infrastructure;
using Azure.Data.Tables;

namespace AlipayFunctions.Tests.Cards;

/// <summary>Issue 13 §3 and §4 (and the claim of §2) on the ledger itself, against a real table on Azurite.</summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class LedgerRepairTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_pending_bill_stranded_after_the_enrolment_scan_is_applied_when_the_bill_is_redelivered()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite);
        var user = TestApp.NewUserId();
        await app.EnrolAsync(user);
        // The crash: a worker saw no member, the member was created (its pending scan found nothing), then the worker
        // inserted its pending row and died before applying it.
        await app.Table.AddEntityAsync(new TableEntity(user, LoyaltyLedger.BillRowKey("ALIPAYHK", "B1"))
        {
            ["BillNo"] = "B1",
            ["Points"] = 10L,
            [nameof(BillState)] = nameof(BillState.Pending),
        });

        var redelivered = await app.Ledger.ApplyBillAsync(AppServicesHarness.Bill(user, "B1"), new Earning(10, null), default);

        Assert.Equal(BillOutcome.Applied, redelivered.Outcome);
        Assert.True(redelivered.SyncRequested);
        Assert.Equal(10, (await app.Ledger.GetMemberAsync(user, default))!.Points);
        Assert.Equal(BillState.Applied, await app.Ledger.GetBillStateAsync(user, "ALIPAYHK", "B1", default));
        // And a true duplicate stays a duplicate.
        Assert.Equal(BillOutcome.Duplicate, (await app.Ledger.ApplyBillAsync(AppServicesHarness.Bill(user, "B1"), new Earning(10, null), default)).Outcome);
        Assert.Equal(10, (await app.Ledger.GetMemberAsync(user, default))!.Points);
    }

    [Fact]
    public async Task A_pending_bill_of_a_user_who_has_not_joined_stays_pending_on_redelivery()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite);
        var user = TestApp.NewUserId();
        Assert.Equal(BillOutcome.Pending, (await app.Ledger.ApplyBillAsync(AppServicesHarness.Bill(user, "B1"), new Earning(10, null), default)).Outcome);
        Assert.Equal(BillOutcome.Duplicate, (await app.Ledger.ApplyBillAsync(AppServicesHarness.Bill(user, "B1"), new Earning(10, null), default)).Outcome);
        Assert.Equal(BillState.Pending, await app.Ledger.GetBillStateAsync(user, "ALIPAYHK", "B1", default));
    }

    [Fact]
    public async Task Reset_card_after_an_updatePass_F_makes_the_card_Active_and_the_queued_create_turns_into_a_sync()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite);
        var user = TestApp.NewUserId();
        await app.EnrolAsync(user);
        await app.Ledger.RecordPassCreatedAsync(user, "PASS-1", shownVersion: 0, default);
        await app.Ledger.ApplyBillAsync(AppServicesHarness.Bill(user, "B1"), new Earning(10, null), default);
        await app.Ledger.RecordPassProblemAsync(user, PassState.Failed, "updatePass PASS_UPDATE_FAIL: test", default);

        var before = await app.Ledger.ResetStoppedPassAsync(user, default);
        Assert.Equal(PassState.Failed, before.PassState);

        var after = (await app.Ledger.GetMemberAsync(user, default))!;
        Assert.Equal(PassState.Active, after.PassState);
        Assert.Equal("PASS-1", after.PassId);
        Assert.True(after.NeedsSync);
        // What `member reset-card` does next: queue a pass-create, which for a card with a pass id queues a sync.
        var syncsBefore = await app.QueuedForAsync(AppStorage.PassSyncQueue, user);
        await app.PassCreation.CreateAsync(AppServicesHarness.MemberDelivery(user, "reset-1"), default);
        Assert.Equal(syncsBefore + 1, await app.QueuedForAsync(AppStorage.PassSyncQueue, user));
    }

    [Fact]
    public async Task Reset_card_without_a_pass_id_puts_creation_back_to_None()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite);
        var user = TestApp.NewUserId();
        await app.EnrolAsync(user);
        Assert.True(await app.Ledger.RecordCreationProblemAsync(user, PassState.Blocked, "template paused", default));
        await app.Ledger.ResetStoppedPassAsync(user, default);
        Assert.Equal(PassState.None, (await app.Ledger.GetMemberAsync(user, default))!.PassState);
    }

    [Fact]
    public async Task Only_one_of_two_concurrent_deliveries_claims_the_creation_and_a_lapsed_claim_can_be_taken_over()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite);
        var user = TestApp.NewUserId();
        await app.EnrolAsync(user);

        var claims = await Task.WhenAll(
            app.Ledger.ClaimCreationAsync(user, "a", TimeSpan.FromMinutes(5), default),
            app.Ledger.ClaimCreationAsync(user, "b", TimeSpan.FromMinutes(5), default));
        Assert.Single(claims, c => c is not null);
        var winner = claims.Single(c => c is not null)!.CreateOwner!;
        // The owner's redelivery keeps it.
        Assert.NotNull(await app.Ledger.ClaimCreationAsync(user, winner, TimeSpan.FromMilliseconds(1), default));
        await Task.Delay(50);
        Assert.NotNull(await app.Ledger.ClaimCreationAsync(user, "c", TimeSpan.FromMinutes(5), default));
    }

    [Fact]
    public async Task A_creation_problem_never_overwrites_a_row_that_holds_a_pass_id()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite);
        var user = TestApp.NewUserId();
        await app.EnrolAsync(user);
        await app.Ledger.RecordPassCreatedAsync(user, "PASS-1", 0, default);

        Assert.False(await app.Ledger.RecordCreationProblemAsync(user, PassState.ExistsWithoutId, "PASS_HAS_EXIST", default));
        var member = (await app.Ledger.GetMemberAsync(user, default))!;
        Assert.Equal(PassState.Active, member.PassState);
        Assert.Equal("PASS-1", member.PassId);
    }
}
