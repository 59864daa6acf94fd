using AlipayFunctions.Loyalty;
using AlipayFunctions.Testing;
using AlipayFunctions.Tests.Infrastructure;
using AlipayHK.OpenApi.Client;
using AlipayHK.Simulator.Faults;
using AlipayHK.Simulator.Passes;

namespace AlipayFunctions.Tests.Cards;

/// <summary>Issue 13 §1, §2 and §5: card creation against the strict simulator (every mandatory field checked).</summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class PassCreationTests(AzuriteFixture azurite)
{
    private const string CreatePassPath = "/api/open/alipay/v1/ipass/pass/manage/createPass";

    [Fact]
    public async Task CreatePass_carries_the_card_validity_within_the_template_and_the_card_becomes_Active()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite);
        var user = TestApp.NewUserId();
        var member = (await app.EnrolAsync(user)).Member;

        await app.PassCreation.CreateAsync(AppServicesHarness.MemberDelivery(user), default);

        var stored = (await app.Ledger.GetMemberAsync(user, default))!;
        Assert.Equal(PassState.Active, stored.PassState);
        var pass = app.Sim.State.Passes.FindByBizSerialId(app.Sim.MerchantId, "TPL-MEMBER", member.MemberId)!;
        var template = app.Sim.State.Templates.Find("TPL-MEMBER")!;
        Assert.Equal(stored.PassId, pass.PassId);
        Assert.InRange(pass.StartDate!.Value, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        Assert.Equal(template.EndDate.ToUnixTimeMilliseconds(), pass.EndDate);
    }

    [Fact]
    public async Task A_configured_card_validity_is_cut_from_now()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite, s => s["Loyalty:CardValidity"] = "30.00:00:00");
        var user = TestApp.NewUserId();
        var member = (await app.EnrolAsync(user)).Member;
        await app.PassCreation.CreateAsync(AppServicesHarness.MemberDelivery(user), default);
        var pass = app.Sim.State.Passes.FindByBizSerialId(app.Sim.MerchantId, "TPL-MEMBER", member.MemberId)!;
        Assert.Equal(TimeSpan.FromDays(30).TotalMilliseconds, pass.EndDate!.Value - pass.StartDate!.Value);
    }

    [Fact]
    public async Task A_template_whose_validity_has_ended_blocks_creation_with_its_reason()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite, configureSimulator: sim =>
        {
            var template = TemplateOptions.DefaultMemberCard();
            template.EndDate = DateTimeOffset.UtcNow.AddDays(-1);
            template.StartDate = DateTimeOffset.UtcNow.AddDays(-30);
            sim.Templates.Add(template);
        });
        var user = TestApp.NewUserId();
        await app.EnrolAsync(user);

        await app.PassCreation.CreateAsync(AppServicesHarness.MemberDelivery(user), default);

        var stored = (await app.Ledger.GetMemberAsync(user, default))!;
        Assert.Equal(PassState.Blocked, stored.PassState);
        Assert.Contains("validity ended", stored.PassError, StringComparison.Ordinal);
        Assert.Equal(0, app.Sim.State.Passes.Count);
    }

    [Fact]
    public async Task Two_deliveries_for_one_member_make_one_card_and_the_loser_does_not_overwrite_it()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite);
        var user = TestApp.NewUserId();
        await app.EnrolAsync(user);
        // Warm the template cache, so the first delivery's only slow step is createPass itself.
        await app.Get<AlipayFunctions.Passes.TemplateCache>().GetAsync(default);
        app.Sim.Faults.Add(new FaultRule { Path = CreatePassPath, Kind = FaultKind.Delay, Delay = TimeSpan.FromSeconds(1), Mode = FaultMode.NextN, Count = 1 });

        // The first delivery's createPass is slow; a second delivery (a duplicate membercard/create) arrives meanwhile.
        var first = app.PassCreation.CreateAsync(AppServicesHarness.MemberDelivery(user, "first"), default);
        await Task.Delay(300);
        await app.PassCreation.CreateAsync(AppServicesHarness.MemberDelivery(user, "second"), default);
        await first;

        var stored = (await app.Ledger.GetMemberAsync(user, default))!;
        Assert.Equal(PassState.Active, stored.PassState);
        Assert.NotNull(stored.PassId);
        Assert.True(string.IsNullOrEmpty(stored.PassError), stored.PassError);
        Assert.Equal(1, app.Sim.State.Passes.Count);
    }

    [Fact]
    public async Task An_answer_signed_with_a_key_we_do_not_know_is_retried_not_recorded_Failed()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite);
        var user = TestApp.NewUserId();
        await app.EnrolAsync(user);
        await app.Get<AlipayFunctions.Passes.TemplateCache>().GetAsync(default);
        app.Sim.Keys.RotatePlatformKey();

        var e = await Assert.ThrowsAsync<AlipayHKException>(() => app.PassCreation.CreateAsync(AppServicesHarness.MemberDelivery(user), default));
        Assert.True(e.IsRetryable);
        Assert.Equal(PassState.None, (await app.Ledger.GetMemberAsync(user, default))!.PassState);
    }

    [Fact]
    public async Task With_the_next_platform_key_configured_a_rotation_does_not_break_card_creation()
    {
        using var next = System.Security.Cryptography.RSA.Create(2048);
        var nextPublic = Convert.ToBase64String(next.ExportSubjectPublicKeyInfo());
        await using var app = await AppServicesHarness.StartAsync(azurite, s => s["AlipayHK:NextPlatformPublicKey"] = nextPublic);
        var user = TestApp.NewUserId();
        await app.EnrolAsync(user);
        await app.Get<AlipayFunctions.Passes.TemplateCache>().GetAsync(default);
        app.Sim.Keys.RotatePlatformKey(next.ExportPkcs8PrivateKeyPem());

        await app.PassCreation.CreateAsync(AppServicesHarness.MemberDelivery(user), default);

        Assert.Equal(PassState.Active, (await app.Ledger.GetMemberAsync(user, default))!.PassState);
    }
}
