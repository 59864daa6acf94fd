using AlipayFunctions.Loyalty;
using AlipayFunctions.Settings;
using AlipayFunctions.Testing;
using AlipayFunctions.Tests.Infrastructure;

namespace AlipayFunctions.Tests;

/// <summary>
/// The ledger on the Tables SDK against a real table on Azurite: every bill applied exactly once (one entity-group
/// transaction with the member's If-Match), pending bills applied on enrolment, and the races between them.
/// </summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class LedgerTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_bill_is_applied_once_and_its_repeat_is_a_duplicate()
    {
        var ledger = await LedgerAsync();
        var user = NewUser();
        await ledger.EnrolAsync(user, new MemberProfile("TEST", null, null), default);

        var first = await ledger.ApplyBillAsync(Bill(user, "B1"), new Earning(12, null), default);
        var again = await ledger.ApplyBillAsync(Bill(user, "B1"), new Earning(12, null), default);

        Assert.Equal(BillOutcome.Applied, first.Outcome);
        Assert.True(first.SyncRequested);
        Assert.Equal(BillOutcome.Duplicate, again.Outcome);
        var member = (await ledger.GetMemberAsync(user, default))!;
        Assert.Equal(12, member.Points);
        Assert.Equal(1, member.BalanceVersion);
        var bill = Assert.Single(await ledger.GetBillsAsync(user, default));
        Assert.Equal(nameof(BillState.Applied), bill.GetString(nameof(BillState)));
    }

    [Fact]
    public async Task The_same_bill_applied_twenty_times_at_once_counts_once_and_different_bills_all_count()
    {
        var ledger = await LedgerAsync();
        var user = NewUser();
        await ledger.EnrolAsync(user, new MemberProfile("TEST", null, null), default);

        var same = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => ledger.ApplyBillAsync(Bill(user, "SAME"), new Earning(5, null), default)));
        var different = await Task.WhenAll(Enumerable.Range(0, 15).Select(i => ledger.ApplyBillAsync(Bill(user, $"D{i}"), new Earning(1, null), default)));

        Assert.Single(same, a => a.Outcome == BillOutcome.Applied);
        Assert.All(different, a => Assert.Equal(BillOutcome.Applied, a.Outcome));
        var member = (await ledger.GetMemberAsync(user, default))!;
        Assert.Equal(5 + 15, member.Points);
        Assert.Equal(16, member.BalanceVersion);
        Assert.Equal(16, (await ledger.GetBillsAsync(user, default)).Count);
    }

    [Fact]
    public async Task Bills_before_the_membership_wait_and_are_applied_once_when_the_user_joins()
    {
        var ledger = await LedgerAsync();
        var user = NewUser();

        Assert.Equal(BillOutcome.Pending, (await ledger.ApplyBillAsync(Bill(user, "P1"), new Earning(30, null), default)).Outcome);
        Assert.Equal(BillOutcome.Pending, (await ledger.ApplyBillAsync(Bill(user, "P2"), new Earning(12, null), default)).Outcome);
        Assert.Equal(BillOutcome.Duplicate, (await ledger.ApplyBillAsync(Bill(user, "P1"), new Earning(30, null), default)).Outcome);
        Assert.Null(await ledger.GetMemberAsync(user, default));

        var enrolment = await ledger.EnrolAsync(user, new MemberProfile("TEST", "85291234567", "a@example.com"), default);
        var repeat = await ledger.EnrolAsync(user, new MemberProfile("TEST", null, null), default);

        Assert.True(enrolment.Created);
        Assert.False(repeat.Created);
        Assert.Equal(enrolment.Member.MemberId, repeat.Member.MemberId);
        Assert.Equal(42, repeat.Member.Points);
        Assert.All(await ledger.GetBillsAsync(user, default), b => Assert.Equal(nameof(BillState.Applied), b.GetString(nameof(BillState))));
    }

    [Fact]
    public async Task Enrolments_racing_bills_for_a_new_user_lose_no_bill_and_count_none_twice()
    {
        var ledger = await LedgerAsync();
        for (var round = 0; round < 5; round++)
        {
            var user = NewUser();
            var bills = Enumerable.Range(0, 10).Select(i => ledger.ApplyBillAsync(Bill(user, $"R{i}"), new Earning(i + 1, null), default)).ToList();
            var enrolments = Enumerable.Range(0, 3).Select(_ => ledger.EnrolAsync(user, new MemberProfile("TEST", null, null), default)).ToList();
            await Task.WhenAll(bills);
            var joined = await Task.WhenAll(enrolments);

            Assert.Single(joined, e => e.Created);
            Assert.Single(joined.Select(e => e.Member.MemberId).Distinct());
            // A bill that went pending after the last enrolment read is applied by its own call (see ApplyBillAsync).
            Assert.Equal(55, (await ledger.GetMemberAsync(user, default))!.Points);
            Assert.All(await ledger.GetBillsAsync(user, default), b => Assert.Equal(nameof(BillState.Applied), b.GetString(nameof(BillState))));
        }
    }

    [Fact]
    public async Task A_member_row_changed_between_read_and_write_fails_the_transaction_and_the_bill_is_applied_on_the_reread()
    {
        // Two writers on one member: each bill's transaction is conditional on the ETag it read, so neither overwrites the other.
        var ledger = await LedgerAsync();
        var user = NewUser();
        await ledger.EnrolAsync(user, new MemberProfile("TEST", null, null), default);
        await ledger.RecordPassCreatedAsync(user, "PASS-1", 0, default);

        var bills = Enumerable.Range(0, 10).Select(i => ledger.ApplyBillAsync(Bill(user, $"C{i}"), new Earning(10, null), default));
        var passWrites = Enumerable.Range(0, 10).Select(i => ledger.RecordPassProblemAsync(user, PassState.Active, $"note {i}", default));
        await Task.WhenAll(bills.Cast<Task>().Concat(passWrites));

        var member = (await ledger.GetMemberAsync(user, default))!;
        Assert.Equal(100, member.Points);
        Assert.Equal(10, member.BalanceVersion);
        Assert.Equal("PASS-1", member.PassId);
    }

    [Fact]
    public async Task A_stopped_card_is_reset_once_and_an_active_one_is_refused()
    {
        var ledger = await LedgerAsync();
        var user = NewUser();
        await ledger.EnrolAsync(user, new MemberProfile("TEST", null, null), default);
        await ledger.RecordPassProblemAsync(user, PassState.Failed, "F: broken", default);

        var before = await ledger.ResetStoppedPassAsync(user, default);

        Assert.Equal(PassState.Failed, before.PassState);
        Assert.Equal(PassState.None, (await ledger.GetMemberAsync(user, default))!.PassState);
        await Assert.ThrowsAsync<InvalidOperationException>(() => ledger.ResetStoppedPassAsync(user, default));
    }

    private async Task<LoyaltyLedger> LedgerAsync()
    {
        var table = TestStorage.Tables(azurite.ConnectionString).GetTableClient(azurite.NewTableName("ledger"));
        await table.CreateIfNotExistsAsync();
        return new LoyaltyLedger(table, new LoyaltySettings("TPL", EarnRules.Default, "$points$", "M", ["en_US"]), TimeProvider.System);
    }

    private static string NewUser() => "2160" + Random.Shared.NextInt64(100_000_000_000, 999_999_999_999);

    private static BillMessage Bill(string userId, string billNo) =>
        new(userId, billNo, "ALIPAYHK", "HKD", 1_000, null, BillMessage.FromNotify, null);
}
