using AlipayFunctions.Hosting;
using AlipayFunctions.Loyalty;
using AlipayFunctions.Testing;
using AlipayFunctions.Tests.Infrastructure;
using AlipayHK.Simulator.Faults;
using AlipayHK.Simulator.Passes;

namespace AlipayFunctions.Tests;

/// <summary>What AlipayHK's failures do to card work: U and transport failures are retried until the card is right, F stops.</summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class PassFailureTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Every_card_converges_to_its_balance_through_U_500_429_timeouts_and_dropped_answers()
    {
        await using var app = await TestApp.StartAsync(azurite, new TestAppOptions { Settings = { ["Queues:MaxDequeueCount"] = "10" } });
        var slow = TimeSpan.FromSeconds(3); // beyond AlipayHK:Timeout (1 s): the request never reaches the simulated AlipayHK
        foreach (var (api, kind) in new[]
                 {
                     ("createPass", FaultKind.UnknownException), ("createPass", FaultKind.Http500), ("createPass", FaultKind.Http429),
                     ("createPass", FaultKind.Delay), ("createPass", FaultKind.SystemError),
                     ("updatePass", FaultKind.UnknownException), ("updatePass", FaultKind.Http503), ("updatePass", FaultKind.Http429),
                     ("updatePass", FaultKind.Delay), ("updatePass", FaultKind.DropAnswerAfterProcessing), ("updatePass", FaultKind.UnsignedAnswer),
                 })
        {
            app.Sim.Faults.Add(new FaultRule { Path = api, Kind = kind, Mode = FaultMode.NextN, Count = 1, Delay = slow, RetryAfter = TimeSpan.FromMilliseconds(200) });
        }

        var users = Enumerable.Range(0, 3).Select(_ => TestApp.NewUserId()).ToArray();
        var memberIds = await Task.WhenAll(users.Select(app.CreateMemberAsync));
        // Cards first (through the createPass faults), so that the bills go through updatePass and its faults.
        for (var i = 0; i < users.Length; i++)
        {
            await app.WaitForCardAsync(memberIds[i], 0, users[i]);
        }
        var expected = new long[users.Length];
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < users.Length; i++)
            {
                var value = 1000L * (i + 1) + 50 * round;
                expected[i] += value / 100;
                (await app.NotifyBillAsync(users[i], $"F{round}-{users[i]}", value)).AssertSignedSuccess();
            }
        }

        for (var i = 0; i < users.Length; i++)
        {
            await app.WaitForCardAsync(memberIds[i], expected[i], users[i], TimeSpan.FromSeconds(45));
        }
        Assert.All(app.Sim.Faults.List(), rule => Assert.Equal(1, rule.Hits));
        Assert.Equal(users.Length, app.Sim.State.Passes.List().Count(p => users.Contains(p.UserId)));
        foreach (var user in users)
        {
            Assert.Equal(PassState.Active, (await app.MemberAsync(user))!.PassState);
        }
    }

    [Fact]
    public async Task A_createPass_F_result_is_recorded_on_the_member_and_not_retried()
    {
        // The app's template is a gift card template: createPass answers F PASS_PRODUCT_TYPE_NOT_MATCH.
        await using var app = await StartWithTemplateAsync(t => t.Product = "GIFT_CARD");
        var user = TestApp.NewUserId();
        await app.CreateMemberAsync(user);

        var member = await Eventually.ValueAsync(async () => await app.MemberAsync(user) is { PassState: PassState.Failed } m ? m : null, "the F result to be recorded");
        Assert.Contains("PASS_PRODUCT_TYPE_NOT_MATCH", member.PassError, StringComparison.Ordinal);
        Assert.Null(member.PassId);
        await Eventually.UntilAsync(async () => await app.Queues.GetQueueClient(AppStorage.PassCreateQueue).GetApproximateMessageCountAsync() == 0, "the pass-create message to be settled");
        Assert.Single(app.Sim.State.Calls.For("createPass"));
        Assert.Equal(0, await app.VisibleMessagesAsync(AppStorage.PoisonQueue(AppStorage.PassCreateQueue)));

        // A bill still counts in the ledger; the card work stays stopped for an operator.
        (await app.NotifyBillAsync(user, "AFTER-F-" + user, 3000)).AssertSignedSuccess();
        await Eventually.UntilAsync(async () => (await app.MemberAsync(user))!.Points == 30, "the bill to be applied");
        Assert.Single(app.Sim.State.Calls.For("createPass"));
        Assert.Empty(app.Sim.State.Calls.For("updatePass"));
    }

    [Fact]
    public async Task A_template_AlipayHK_does_not_know_is_recorded_on_the_member_and_not_retried()
    {
        await using var app = await TestApp.StartAsync(azurite, new TestAppOptions { Settings = { ["Loyalty:TemplateCode"] = "TPL-GONE" } });
        var user = TestApp.NewUserId();
        await app.CreateMemberAsync(user);

        var member = await Eventually.ValueAsync(async () => await app.MemberAsync(user) is { PassState: not PassState.None } m ? m : null, "the template problem to be recorded");
        Assert.Equal(PassState.Failed, member.PassState);
        Assert.Contains("PASS_TEMPLATE_NOT_EXIST", member.PassError, StringComparison.Ordinal);
        await Eventually.UntilAsync(async () => await app.Queues.GetQueueClient(AppStorage.PassCreateQueue).GetApproximateMessageCountAsync() == 0, "the pass-create message to be settled");
        Assert.Single(app.Sim.State.Calls.For("templateDetail"));
        Assert.Empty(app.Sim.State.Calls.For("createPass"));
        Assert.Equal(0, await app.VisibleMessagesAsync(AppStorage.PoisonQueue(AppStorage.PassCreateQueue)));
    }

    [Fact]
    public async Task A_template_that_is_not_valid_blocks_card_creation_without_calling_createPass()
    {
        await using var app = await StartWithTemplateAsync(t => t.Status = "frozen");
        var user = TestApp.NewUserId();
        await app.CreateMemberAsync(user);

        var member = await Eventually.ValueAsync(async () => await app.MemberAsync(user) is { PassState: PassState.Blocked } m ? m : null, "the member to be blocked");
        Assert.Contains("frozen", member.PassError, StringComparison.Ordinal);
        await Eventually.UntilAsync(async () => await app.Queues.GetQueueClient(AppStorage.PassCreateQueue).GetApproximateMessageCountAsync() == 0, "the pass-create message to be settled");
        Assert.Empty(app.Sim.State.Calls.For("createPass"));
    }

    [Fact]
    public async Task A_createPass_whose_answer_is_lost_makes_no_second_card_and_is_surfaced_to_an_operator()
    {
        await using var app = await TestApp.StartAsync(azurite);
        app.Sim.Faults.Add(new FaultRule { Path = "createPass", Kind = FaultKind.DropAnswerAfterProcessing, Mode = FaultMode.NextN, Count = 1 });
        var user = TestApp.NewUserId();
        var memberId = await app.CreateMemberAsync(user);

        var member = await Eventually.ValueAsync(async () => await app.MemberAsync(user) is { PassState: PassState.ExistsWithoutId } m ? m : null, "PASS_HAS_EXIST to be recorded");
        Assert.Contains(memberId, member.PassError, StringComparison.Ordinal);
        Assert.Single(app.Sim.State.Passes.List(), p => p.UserId == user);
        Assert.Equal(2, app.Sim.State.Calls.For("createPass").Count);
    }

    // The app's template, as the simulator holds it, changed before the app first reads it.
    private Task<TestApp> StartWithTemplateAsync(Action<TemplateOptions> change) =>
        TestApp.StartAsync(azurite, new TestAppOptions
        {
            ConfigureSimulator = o =>
            {
                var template = TemplateOptions.DefaultMemberCard();
                change(template);
                o.Templates.Add(template);
            },
        });
}
