using AlipayFunctions.Loyalty;
using AlipayFunctions.Settings;
using AlipayFunctions.Testing;
using AlipayFunctions.Tests.Infrastructure;

namespace AlipayFunctions.Tests;

/// <summary>
/// The ledger's "a sync is queued" mark: a burst of bills asks for one pass-sync message, and a sync that finishes
/// (or finds nothing to do) clears the mark, so the next bill asks again. Against a real table on Azurite.
/// </summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class SyncMarkTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan MarkLifetime = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task A_burst_of_bills_requests_one_sync_and_a_completed_sync_lets_the_next_bill_request_again()
    {
        var (ledger, userId) = await ActiveMemberAsync();

        var requests = new List<bool>();
        for (var i = 0; i < 10; i++)
        {
            var applied = await ledger.ApplyBillAsync(Bill(userId, $"B{i}"), new Earning(10, null), default, MarkLifetime);
            Assert.Equal(BillOutcome.Applied, applied.Outcome);
            requests.Add(applied.SyncRequested);
        }
        Assert.Equal([true, false, false, false, false, false, false, false, false, false], requests);

        var member = await ledger.ClaimSyncAsync(userId, "sync-1", MarkLifetime, default);
        Assert.NotNull(member);
        Assert.Equal(100, member.Points);
        Assert.True(await ledger.CompleteSyncAsync(userId, "sync-1", member.BalanceVersion, default));

        var next = await ledger.ApplyBillAsync(Bill(userId, "B10"), new Earning(10, null), default, MarkLifetime);
        Assert.True(next.SyncRequested);
    }

    [Fact]
    public async Task A_bill_applied_while_a_sync_completes_is_not_left_without_a_sync()
    {
        var (ledger, userId) = await ActiveMemberAsync();
        Assert.True((await ledger.ApplyBillAsync(Bill(userId, "B1"), new Earning(10, null), default, MarkLifetime)).SyncRequested);
        var claimed = await ledger.ClaimSyncAsync(userId, "sync-1", MarkLifetime, default);
        Assert.NotNull(claimed);

        // A bill lands after the sync read the balance it sends: the sync's completion must see it and not finish.
        Assert.False((await ledger.ApplyBillAsync(Bill(userId, "B2"), new Earning(10, null), default, MarkLifetime)).SyncRequested);
        Assert.False(await ledger.CompleteSyncAsync(userId, "sync-1", claimed.BalanceVersion, default));

        var again = await ledger.ClaimSyncAsync(userId, "sync-1", MarkLifetime, default);
        Assert.NotNull(again);
        Assert.Equal(20, again.Points);
        Assert.True(await ledger.CompleteSyncAsync(userId, "sync-1", again.BalanceVersion, default));
        Assert.True((await ledger.ApplyBillAsync(Bill(userId, "B3"), new Earning(10, null), default, MarkLifetime)).SyncRequested);
    }

    [Fact]
    public async Task A_sync_with_nothing_to_send_clears_the_mark()
    {
        var (ledger, userId) = await ActiveMemberAsync();
        Assert.True((await ledger.ApplyBillAsync(Bill(userId, "B1"), new Earning(10, null), default, MarkLifetime)).SyncRequested);
        var claimed = await ledger.ClaimSyncAsync(userId, "sync-1", MarkLifetime, default);
        Assert.True(await ledger.CompleteSyncAsync(userId, "sync-1", claimed!.BalanceVersion, default));
        Assert.True((await ledger.ApplyBillAsync(Bill(userId, "B2"), new Earning(10, null), default, MarkLifetime)).SyncRequested);

        // Another delivery syncs the balance first; the one that requested it then finds nothing to send.
        var other = await ledger.ClaimSyncAsync(userId, "sync-2", MarkLifetime, default);
        Assert.True(await ledger.CompleteSyncAsync(userId, "sync-2", other!.BalanceVersion, default));
        Assert.Null(await ledger.ClaimSyncAsync(userId, "sync-3", MarkLifetime, default));

        Assert.Equal(DateTimeOffset.UnixEpoch, (await ledger.GetMemberAsync(userId, default))!.SyncQueuedUntil);
        Assert.True((await ledger.ApplyBillAsync(Bill(userId, "B3"), new Earning(10, null), default, MarkLifetime)).SyncRequested);
    }

    private async Task<(LoyaltyLedger Ledger, string UserId)> ActiveMemberAsync()
    {
        var table = TestStorage.Tables(azurite.ConnectionString).GetTableClient(azurite.NewTableName("marks"));
        await table.CreateIfNotExistsAsync();
        var ledger = new LoyaltyLedger(table, new LoyaltySettings("TPL", EarnRules.Default, "$points$", "M", ["en_US"]), TimeProvider.System);
        var userId = "2160" + Random.Shared.NextInt64(100_000_000_000, 999_999_999_999);
        await ledger.EnrolAsync(userId, new MemberProfile("TEST", null, null), default);
        await ledger.RecordPassCreatedAsync(userId, "PASS-1", 0, default);
        return (ledger, userId);
    }

    private static BillMessage Bill(string userId, string billNo) =>
        new(userId, billNo, "ALIPAYHK", "HKD", 1_000, null, BillMessage.FromNotify, null);
}
