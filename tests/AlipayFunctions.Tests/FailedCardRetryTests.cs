using AlipayFunctions.Loyalty;
using AlipayFunctions.Passes;
using AlipayFunctions.Reconciliation;
using AlipayFunctions.Storage;
using AlipayFunctions.Testing;
using AlipayFunctions.Tests.Infrastructure;
using AlipayHK.OpenApi.Results;
using AlipayHK.Simulator.Passes;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlipayFunctions.Tests;

/// <summary>
/// Issue 13 §8, cards stuck Failed whose cause is gone: a createPass F about the template (which the merchant fixes on
/// AlipayHK's side) is retried by the sweep at a growing interval recorded on the member; a permanent F is not.
/// The sweep runs on a clock of its own, moved forward, so waits of minutes cost no test time.
/// </summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class FailedCardRetryTests(AzuriteFixture azurite)
{
    private const string LateTemplate = "TPL-LATER";
    private static readonly TimeSpan First = TimeSpan.FromMinutes(10);

    [Theory]
    [InlineData(ResultCodes.PassTemplateHasNotExit, true)]
    [InlineData(ResultCodes.PassTemplateNotExist, true)]
    [InlineData(ResultCodes.PassTemplateJsonContentIsNull, true)]
    [InlineData(ResultCodes.PassTemplateJsonContentIllegal, true)]
    [InlineData(ResultCodes.PassTypeNotMatch, true)]
    [InlineData(ResultCodes.PassProductTypeNotMatch, true)]
    [InlineData(ResultCodes.ParamIllegal, false)]
    [InlineData(ResultCodes.UserNotExist, false)]
    [InlineData(ResultCodes.PassHasExist, false)]
    [InlineData(ResultCodes.PassHasNotExist, false)]
    [InlineData("REQUEST_INVALID", false)]
    [InlineData("SOMETHING_NEW", false)]
    public void Only_template_side_F_results_of_the_createPass_page_can_go_away(string code, bool canGoAway) =>
        Assert.Equal(canGoAway, CardFailures.CanGoAway(code));

    [Fact]
    public async Task A_card_failed_on_a_missing_template_is_retried_later_each_time_and_created_once_the_template_exists()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite, s =>
        {
            s["Loyalty:TemplateCode"] = LateTemplate; // not published on AlipayHK yet: template detail answers F
            s["Sweep:Grace"] = "00:00:00.001";
            s["Sweep:RetryFirst"] = "00:10:00";
            s["Sweep:RetryMax"] = "01:00:00";
        });
        var user = TestApp.NewUserId();
        await app.Ledger.EnrolAsync(user, new MemberProfile("TEST", null, null), default);
        var clock = new MovableClock();

        var before = DateTimeOffset.UtcNow;
        await app.PassCreation.CreateAsync(AppServicesHarness.MemberDelivery(user), default);
        var failed = (await app.Ledger.GetMemberAsync(user, default))!;
        Assert.Equal(PassState.Failed, failed.PassState);
        Assert.Equal(ResultCodes.PassTemplateNotExist, failed.PassErrorCode);
        Assert.Equal(1, failed.PassFailures);
        AssertRetryWithin(failed, before, First);

        // Not due yet: the sweep leaves it (no hot loop), and says so by listing nothing.
        Assert.DoesNotContain((await Sweep(app, clock).RunAsync(false, null, default)).Findings, f => f.UserId == user);
        Assert.Equal(PassState.Failed, (await app.Ledger.GetMemberAsync(user, default))!.PassState);

        // Due: a dry run lists the retry and changes nothing; the real run re-queues it, which fails again, waiting twice as long.
        clock.Advance(First + TimeSpan.FromMinutes(1));
        Assert.Contains((await Sweep(app, clock).RunAsync(true, null, default)).Findings, f => f.UserId == user && f.Kind == "failed-card-retry");
        Assert.Equal(PassState.Failed, (await app.Ledger.GetMemberAsync(user, default))!.PassState);
        Assert.Contains((await Sweep(app, clock).RunAsync(false, null, default)).Findings, f => f.UserId == user && f.Kind == "failed-card-retry");
        before = DateTimeOffset.UtcNow;
        Assert.Equal(1, await RunCreationsAsync(app, user));
        var again = (await app.Ledger.GetMemberAsync(user, default))!;
        Assert.Equal(PassState.Failed, again.PassState);
        Assert.Equal(2, again.PassFailures);
        AssertRetryWithin(again, before, 2 * First);
        Assert.DoesNotContain((await Sweep(app, clock).RunAsync(false, null, default)).Findings, f => f.UserId == user);

        // The merchant publishes the template: the next due retry creates the card, and the failure count starts again.
        var template = TemplateOptions.DefaultMemberCard();
        template.TemplateCode = LateTemplate;
        app.Sim.State.Templates.Upsert(template);
        clock.Advance(2 * First);
        Assert.Contains((await Sweep(app, clock).RunAsync(false, null, default)).Findings, f => f.UserId == user && f.Kind == "failed-card-retry");
        Assert.Equal(1, await RunCreationsAsync(app, user));
        var active = (await app.Ledger.GetMemberAsync(user, default))!;
        Assert.Equal(PassState.Active, active.PassState);
        Assert.NotNull(active.PassId);
        Assert.Equal(0, active.PassFailures);
        Assert.False(active.RetryScheduled);
        Assert.Single(app.Sim.State.Passes.List(), p => p.UserId == user);
    }

    [Fact]
    public async Task A_card_failed_for_a_permanent_cause_is_never_retried_by_the_sweep()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite, s => s["Sweep:Grace"] = "00:00:00.001");
        var user = TestApp.NewUserId();
        await app.Ledger.EnrolAsync(user, new MemberProfile("TEST", null, null), default);
        // As PassCreation records a PARAM_ILLEGAL: no retry time.
        await app.Ledger.RecordCreationProblemAsync(user, PassState.Failed, "PARAM_ILLEGAL: startDate", default, ResultCodes.ParamIllegal);
        var clock = new MovableClock();
        clock.Advance(TimeSpan.FromDays(30));

        Assert.DoesNotContain((await Sweep(app, clock).RunAsync(false, null, default)).Findings, f => f.UserId == user);
        var member = (await app.Ledger.GetMemberAsync(user, default))!;
        Assert.Equal(PassState.Failed, member.PassState);
        Assert.False(member.RetryScheduled);
    }

    private static ReconcileSweep Sweep(AppServicesHarness app, TimeProvider clock) =>
        new(app.Ledger, app.Queues, app.Settings.Sweep, clock, NullLogger<ReconcileSweep>.Instance);

    private static void AssertRetryWithin(Member member, DateTimeOffset before, TimeSpan wait)
    {
        // Recorded between `before` and now, plus the wait: bounds from the logic, not from how fast anything ran.
        Assert.InRange(member.PassRetryAt, before + wait - TimeSpan.FromMilliseconds(1), DateTimeOffset.UtcNow + wait);
    }

    // What the CreatePass function does with the pass-create messages queued for this user (other tests share the queue).
    private static async Task<int> RunCreationsAsync(AppServicesHarness app, string user)
    {
        var queue = app.Queues.GetQueueClient(AppStorage.PassCreateQueue);
        var handled = 0;
        foreach (var message in (await queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(2))).Value)
        {
            var body = message.Body.ToString();
            if (!body.Contains(user, StringComparison.Ordinal))
            {
                continue;
            }
            await app.PassCreation.CreateAsync(new QueueDelivery(body, message.MessageId, message.DequeueCount, DateTimeOffset.UtcNow), default);
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            handled++;
        }
        return handled;
    }

    private sealed class MovableClock : TimeProvider
    {
        private TimeSpan _offset;

        public void Advance(TimeSpan by) => _offset += by;

        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + _offset;
    }
}
