using AlipayFunctions.Loyalty;
using AlipayFunctions.Storage;
using AlipayFunctions.Testing;
using AlipayFunctions.Tests.Infrastructure;
using AlipayHK.OpenApi.Client;
using AlipayHK.OpenApi.Passes;
using AlipayHK.Simulator.Faults;
using AlipayHK.Simulator.Passes;

namespace AlipayFunctions.Tests;

/// <summary>
/// The pass work, one delivery at a time, against the simulator and Azurite without a host: a delivery that must be
/// retried throws (the host redelivers it), an F result is recorded and does not throw, and concurrent syncs coalesce.
/// </summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class PassWorkTests(AzuriteFixture azurite)
{
    [Theory]
    [InlineData(FaultKind.UnknownException)]
    [InlineData(FaultKind.Http500)]
    [InlineData(FaultKind.Http429)]
    [InlineData(FaultKind.SystemError)]
    public async Task A_createPass_U_or_transport_failure_throws_and_the_redelivery_creates_one_card(FaultKind kind)
    {
        await using var app = await AppServicesHarness.StartAsync(azurite);
        app.Sim.Faults.Add(new FaultRule { Path = "createPass", Kind = kind, Mode = FaultMode.NextN, Count = 1, RetryAfter = TimeSpan.FromMilliseconds(100) });
        var user = TestApp.NewUserId();
        var enrolment = await app.Ledger.EnrolAsync(user, new MemberProfile("TEST", null, null), default);

        await Assert.ThrowsAsync<AlipayHKException>(() => app.PassCreation.CreateAsync(AppServicesHarness.MemberDelivery(user), default));
        Assert.Equal(PassState.None, (await app.Ledger.GetMemberAsync(user, default))!.PassState);
        await app.PassCreation.CreateAsync(AppServicesHarness.MemberDelivery(user, dequeueCount: 2), default);

        var member = (await app.Ledger.GetMemberAsync(user, default))!;
        Assert.Equal(PassState.Active, member.PassState);
        Assert.NotNull(member.PassId);
        Assert.Single(app.Sim.State.Passes.List(), p => p.UserId == user && p.PassId == member.PassId);
        Assert.Equal(enrolment.Member.MemberId, app.Sim.State.Passes.List().Single(p => p.UserId == user).BizSerialId);
    }

    [Fact]
    public async Task A_createPass_F_result_is_recorded_on_the_member_and_not_thrown()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite, configureSimulator: o =>
        {
            var template = TemplateOptions.DefaultMemberCard();
            template.Product = "GIFT_CARD"; // createPass answers F PASS_PRODUCT_TYPE_NOT_MATCH
            o.Templates.Add(template);
        });
        var user = TestApp.NewUserId();
        await app.Ledger.EnrolAsync(user, new MemberProfile("TEST", null, null), default);

        await app.PassCreation.CreateAsync(AppServicesHarness.MemberDelivery(user), default);
        await app.PassCreation.CreateAsync(AppServicesHarness.MemberDelivery(user, "message-2"), default); // a repeat does nothing

        var member = (await app.Ledger.GetMemberAsync(user, default))!;
        Assert.Equal(PassState.Failed, member.PassState);
        Assert.Contains("PASS_PRODUCT_TYPE_NOT_MATCH", member.PassError, StringComparison.Ordinal);
        Assert.Single(app.Sim.State.Calls.For("createPass"));
    }

    [Fact]
    public async Task A_template_that_is_not_valid_blocks_card_creation_without_calling_createPass()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite, configureSimulator: o =>
        {
            var template = TemplateOptions.DefaultMemberCard();
            template.Status = "frozen";
            o.Templates.Add(template);
        });
        var user = TestApp.NewUserId();
        await app.Ledger.EnrolAsync(user, new MemberProfile("TEST", null, null), default);

        await app.PassCreation.CreateAsync(AppServicesHarness.MemberDelivery(user), default);

        var member = (await app.Ledger.GetMemberAsync(user, default))!;
        Assert.Equal(PassState.Blocked, member.PassState);
        Assert.Contains("frozen", member.PassError, StringComparison.Ordinal);
        Assert.Empty(app.Sim.State.Calls.For("createPass"));
    }

    [Fact]
    public async Task A_createPass_whose_answer_is_lost_makes_no_second_card_and_is_surfaced_to_an_operator()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite);
        app.Sim.Faults.Add(new FaultRule { Path = "createPass", Kind = FaultKind.DropAnswerAfterProcessing, Mode = FaultMode.NextN, Count = 1 });
        var user = TestApp.NewUserId();
        var memberId = (await app.Ledger.EnrolAsync(user, new MemberProfile("TEST", null, null), default)).Member.MemberId;

        await Assert.ThrowsAnyAsync<Exception>(() => app.PassCreation.CreateAsync(AppServicesHarness.MemberDelivery(user), default));
        await app.PassCreation.CreateAsync(AppServicesHarness.MemberDelivery(user, dequeueCount: 2), default);

        var member = (await app.Ledger.GetMemberAsync(user, default))!;
        Assert.Equal(PassState.ExistsWithoutId, member.PassState);
        Assert.Contains(memberId, member.PassError, StringComparison.Ordinal);
        Assert.Single(app.Sim.State.Passes.List(), p => p.UserId == user);
        Assert.Equal(2, app.Sim.State.Calls.For("createPass").Count);
    }

    [Fact]
    public async Task A_malformed_message_throws_so_the_host_retries_and_then_poisons_it()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite);

        await Assert.ThrowsAsync<MalformedMessageException>(() => app.PassCreation.CreateAsync(new QueueDelivery("not json", "m", 1, null), default));
        await Assert.ThrowsAsync<MalformedMessageException>(() => app.PassSync.SyncAsync(new QueueDelivery("{}", "m", 1, null), default));
        await Assert.ThrowsAsync<MalformedMessageException>(() => app.Bills.ApplyAsync(new QueueDelivery("{\"userId\":\"x\"}", "m", 1, null), default));
    }

    [Fact]
    public async Task Concurrent_syncs_for_one_member_make_one_updatePass_and_the_card_shows_the_balance()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite);
        var user = TestApp.NewUserId();
        var memberId = (await app.Ledger.EnrolAsync(user, new MemberProfile("TEST", null, null), default)).Member.MemberId;
        await app.PassCreation.CreateAsync(AppServicesHarness.MemberDelivery(user), default);
        for (var i = 0; i < 5; i++)
        {
            await app.Ledger.ApplyBillAsync(new BillMessage(user, $"S{i}", "ALIPAYHK", "HKD", 1000, null, BillMessage.FromNotify, null), new Earning(10, null), default);
        }

        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => app.PassSync.SyncAsync(AppServicesHarness.MemberDelivery(user, $"sync-{i}"), default)));

        var card = app.Sim.State.Passes.FindByBizSerialId(app.Sim.MerchantId, TestApp.TemplateCode, memberId)!;
        Assert.Equal(50, TestApp.CardPoints(card));
        Assert.InRange(app.Sim.State.Calls.For("updatePass").Count, 1, 2);
        var member = (await app.Ledger.GetMemberAsync(user, default))!;
        Assert.False(member.NeedsSync);
        Assert.Null(member.SyncOwner);
    }

    [Theory]
    [InlineData(FaultKind.SystemError)] // SYSTEM_ERROR with status F: still a U by the result-code table
    [InlineData(FaultKind.Http500)]
    [InlineData(FaultKind.Http503)]
    [InlineData(FaultKind.Http429)]
    [InlineData(FaultKind.DropAnswerAfterProcessing)] // a transport error: the card changed, the answer was lost
    [InlineData(FaultKind.UnsignedAnswer)]
    public async Task An_updatePass_retryable_or_transport_failure_throws_keeps_the_claim_and_the_redelivery_converges_the_card(FaultKind kind)
    {
        await using var app = await AppServicesHarness.StartAsync(azurite);
        var (user, memberId) = await MemberWithCardAndBillAsync(app, points: 25);
        app.Sim.Faults.Add(new FaultRule { Path = "updatePass", Kind = kind, Mode = FaultMode.NextN, Count = 1, RetryAfter = TimeSpan.FromMilliseconds(100) });

        var failed = await Assert.ThrowsAsync<AlipayHKException>(() => app.PassSync.SyncAsync(AppServicesHarness.MemberDelivery(user, "sync-1"), default));
        Assert.True(failed.IsRetryable, $"{kind}: {failed.ResultCode}");
        var member = (await app.Ledger.GetMemberAsync(user, default))!;
        Assert.Equal(PassState.Active, member.PassState); // nothing recorded for an operator
        Assert.True(member.NeedsSync);
        Assert.Equal("sync-1", member.SyncOwner); // not the last delivery: the redelivery keeps the claim

        await app.PassSync.SyncAsync(AppServicesHarness.MemberDelivery(user, "sync-1", dequeueCount: 2), default);

        Assert.Equal(25, TestApp.CardPoints(app.Sim.State.Passes.FindByBizSerialId(app.Sim.MerchantId, TestApp.TemplateCode, memberId)));
        member = (await app.Ledger.GetMemberAsync(user, default))!;
        Assert.Equal(PassState.Active, member.PassState);
        Assert.False(member.NeedsSync);
        Assert.Null(member.SyncOwner);
        Assert.Equal(2, app.Sim.State.Calls.For("updatePass").Count);
        Assert.Equal(1, Assert.Single(app.Sim.Faults.List()).Hits);
    }

    [Fact]
    public async Task An_updatePass_failure_on_the_last_delivery_releases_the_claim_so_the_next_message_syncs_at_once()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite);
        var (user, memberId) = await MemberWithCardAndBillAsync(app, points: 25);
        app.Sim.Faults.Add(new FaultRule { Path = "updatePass", Kind = FaultKind.Http503, Mode = FaultMode.NextN, Count = 1 });
        var last = app.Settings.Queues.MaxDequeueCount;

        await Assert.ThrowsAsync<AlipayHKException>(() => app.PassSync.SyncAsync(AppServicesHarness.MemberDelivery(user, "sync-1", dequeueCount: last), default));
        var member = (await app.Ledger.GetMemberAsync(user, default))!;
        Assert.Null(member.SyncOwner); // the host poisons this message now: it must not hold the card for the claim's lease
        Assert.True(member.NeedsSync);

        // The next message (a replay of the poisoned one, a new bill's, the sweep's) syncs without waiting for a lease.
        await app.PassSync.SyncAsync(AppServicesHarness.MemberDelivery(user, "sync-2"), default);
        Assert.Equal(25, TestApp.CardPoints(app.Sim.State.Passes.FindByBizSerialId(app.Sim.MerchantId, TestApp.TemplateCode, memberId)));
        Assert.False((await app.Ledger.GetMemberAsync(user, default))!.NeedsSync);
    }

    [Fact]
    public async Task An_updatePass_F_result_is_recorded_on_the_member_released_and_not_thrown_nor_retried()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite);
        var (user, memberId) = await MemberWithCardAndBillAsync(app, points: 25);
        // The user's card was closed on AlipayHK's side: updatePass answers F PASS_UPDATE_FAIL, a final code.
        var closed = (await app.Ledger.GetMemberAsync(user, default))!;
        await app.Get<AlipayHKClient>().UpdatePassAsync(new UpdatePassRequest
        {
            MerchantId = app.Settings.AlipayHK.MerchantId, UserId = user, TemplateCode = TestApp.TemplateCode, PassId = closed.PassId, Status = "CLOSED",
        }, default);
        var calls = app.Sim.State.Calls.For("updatePass").Count;

        await app.PassSync.SyncAsync(AppServicesHarness.MemberDelivery(user, "sync-1"), default);

        var member = (await app.Ledger.GetMemberAsync(user, default))!;
        Assert.Equal(PassState.Failed, member.PassState);
        Assert.Equal("PASS_UPDATE_FAIL", member.PassErrorCode);
        Assert.Contains("PASS_UPDATE_FAIL", member.PassError, StringComparison.Ordinal);
        Assert.False(member.RetryScheduled); // not a template-side cause: it waits for an operator, not the sweep
        Assert.Null(member.SyncOwner);
        // A redelivery or another message changes nothing and calls nothing.
        await app.PassSync.SyncAsync(AppServicesHarness.MemberDelivery(user, "sync-1", dequeueCount: 2), default);
        await app.PassSync.SyncAsync(AppServicesHarness.MemberDelivery(user, "sync-2"), default);
        Assert.Equal(calls + 1, app.Sim.State.Calls.For("updatePass").Count);
        Assert.Equal(PassState.Failed, (await app.Ledger.GetMemberAsync(user, default))!.PassState);
        Assert.Equal(0, TestApp.CardPoints(app.Sim.State.Passes.FindByBizSerialId(app.Sim.MerchantId, TestApp.TemplateCode, memberId)));
    }

    [Fact]
    public async Task An_updatePass_U_result_throws_and_the_redelivery_with_the_same_message_id_finishes_the_sync()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite);
        var user = TestApp.NewUserId();
        var memberId = (await app.Ledger.EnrolAsync(user, new MemberProfile("TEST", null, null), default)).Member.MemberId;
        await app.PassCreation.CreateAsync(AppServicesHarness.MemberDelivery(user), default);
        await app.Ledger.ApplyBillAsync(new BillMessage(user, "U1", "ALIPAYHK", "HKD", 2500, null, BillMessage.FromNotify, null), new Earning(25, null), default);
        app.Sim.Faults.Add(new FaultRule { Path = "updatePass", Kind = FaultKind.UnknownException, Mode = FaultMode.NextN, Count = 1 });

        await Assert.ThrowsAsync<AlipayHKException>(() => app.PassSync.SyncAsync(AppServicesHarness.MemberDelivery(user, "sync-1"), default));
        // Another delivery meanwhile leaves the sync to the claim holder.
        await app.PassSync.SyncAsync(AppServicesHarness.MemberDelivery(user, "sync-2"), default);
        Assert.Equal(0, TestApp.CardPoints(app.Sim.State.Passes.FindByBizSerialId(app.Sim.MerchantId, TestApp.TemplateCode, memberId)));
        await app.PassSync.SyncAsync(AppServicesHarness.MemberDelivery(user, "sync-1", dequeueCount: 2), default);

        Assert.Equal(25, TestApp.CardPoints(app.Sim.State.Passes.FindByBizSerialId(app.Sim.MerchantId, TestApp.TemplateCode, memberId)));
        Assert.False((await app.Ledger.GetMemberAsync(user, default))!.NeedsSync);
    }

    // A member whose card exists and is behind by one bill of `points` points, with no sync run yet.
    private static async Task<(string User, string MemberId)> MemberWithCardAndBillAsync(AppServicesHarness app, long points)
    {
        var user = TestApp.NewUserId();
        var memberId = (await app.EnrolAsync(user)).Member.MemberId;
        await app.PassCreation.CreateAsync(AppServicesHarness.MemberDelivery(user), default);
        await app.Ledger.ApplyBillAsync(AppServicesHarness.Bill(user, "B1-" + user, points * 100), new Earning(points, null), default);
        return (user, memberId);
    }
}
