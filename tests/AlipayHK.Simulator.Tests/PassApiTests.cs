using System.Text.Json.Nodes;
using AlipayHK.Simulator.Passes;
using AlipayHK.Simulator.Protocol;
using AlipayHK.Simulator.Tests.Infrastructure;

namespace AlipayHK.Simulator.Tests;

public sealed class PassApiTests
{
    [Fact]
    public async Task CreatePass_answers_a_signed_success_with_a_pass_id_and_keeps_what_the_card_shows()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);

        var call = await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass(points: 120));

        call.AssertVerifiedSuccess();
        Assert.Equal(sim.ClientId, call.ClientId);
        var passId = call.Body!["passId"]!.GetValue<string>();
        var pass = sim.State.Passes.Find(passId);
        Assert.NotNull(pass);
        Assert.Equal("M0001", pass.BizSerialId);
        Assert.Equal(PassStatus.Active, pass.Status);
        Assert.Equal("120", pass.Variable("en_US", "$points$"));
        Assert.Equal(0, pass.UpdateCount);
    }

    [Fact]
    public async Task A_second_createPass_for_the_same_member_is_PASS_HAS_EXIST_and_creates_nothing()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);
        (await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass())).AssertVerifiedSuccess();

        var again = await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass());

        again.AssertFailure("PASS_HAS_EXIST");
        Assert.Equal(1, sim.State.Passes.Count);
        // Another member of the same merchant is a different key.
        (await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass(bizSerialId: "M0002"))).AssertVerifiedSuccess();
        Assert.Equal(2, sim.State.Passes.Count);
    }

    [Fact]
    public async Task CreatePass_on_an_unknown_template_is_PASS_TEMPLATE_HAS_NOT_EXIT()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);

        var call = await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass(templateCode: "TPL-NOPE"));

        call.AssertFailure("PASS_TEMPLATE_HAS_NOT_EXIT");
        Assert.Equal(0, sim.State.Passes.Count);
    }

    [Theory]
    [InlineData("merchantId")]
    [InlineData("templateCode")]
    [InlineData("bizSerialId")]
    [InlineData("bizSerialType")]
    [InlineData("bizCreate")]
    [InlineData("codeInfo")]
    public async Task CreatePass_without_a_mandatory_field_is_PARAM_ILLEGAL_naming_it(string field)
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);
        var body = Requests.CreatePass();
        body.Remove(field);

        var call = await merchant.PostAsync(ApiPaths.CreatePass, body);

        call.AssertFailure("PARAM_ILLEGAL");
        Assert.Contains(field, call.ResultMessage, StringComparison.Ordinal);
        Assert.Equal(0, sim.State.Passes.Count);
    }

    [Fact]
    public async Task CreatePass_needs_a_userId_or_an_openId()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);
        var body = Requests.CreatePass();
        body.Remove("userId");

        (await merchant.PostAsync(ApiPaths.CreatePass, body)).AssertFailure("PARAM_ILLEGAL");

        body["openId"] = "open-123";
        (await merchant.PostAsync(ApiPaths.CreatePass, body)).AssertVerifiedSuccess();
    }

    [Fact]
    public async Task CreatePass_rejects_extInfo_sent_as_an_object_and_bizSerialId_over_128_characters()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);
        var body = Requests.CreatePass();
        body["extInfo"] = new JsonObject { ["cardType"] = "MEMBER_CARD" };

        var call = await merchant.PostAsync(ApiPaths.CreatePass, body);
        call.AssertFailure("PARAM_ILLEGAL");
        Assert.Contains("extInfo", call.ResultMessage, StringComparison.Ordinal);

        var longKey = await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass(bizSerialId: new string('m', 129)));
        longKey.AssertFailure("PARAM_ILLEGAL");
        Assert.Contains("bizSerialId", longKey.ResultMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdatePass_merges_dataInfo_per_locale_and_variable()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);
        var passId = (await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass(points: 10))).Body!["passId"]!.GetValue<string>();

        (await merchant.PostAsync(ApiPaths.UpdatePass, Requests.UpdatePoints(passId, 250, locales: "en_US"))).AssertVerifiedSuccess();
        var update = Requests.UpdatePoints(passId, 300, locales: "zh_CN");
        (await merchant.PostAsync(ApiPaths.UpdatePass, update)).AssertVerifiedSuccess();

        var pass = sim.State.Passes.Find(passId)!;
        Assert.Equal("250", pass.Variable("en_US", "$points$"));
        Assert.Equal("Silver", pass.Variable("en_US", "$tier$"));   // untouched variable kept
        Assert.Equal("10", pass.Variable("zh_HK", "$points$"));     // untouched locale kept
        Assert.Equal("300", pass.Variable("zh_CN", "$points$"));    // new locale added
        Assert.Equal(2, pass.UpdateCount);
    }

    [Fact]
    public async Task UpdatePass_on_an_unknown_pass_is_PASS_HAS_NOT_EXIST()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);

        (await merchant.PostAsync(ApiPaths.UpdatePass, Requests.UpdatePoints("999", 1))).AssertFailure("PASS_HAS_NOT_EXIST");
    }

    [Fact]
    public async Task UpdatePass_for_another_user_is_PASS_HAS_NOT_EXIST_and_changes_nothing()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);
        var passId = (await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass(points: 10))).Body!["passId"]!.GetValue<string>();

        (await merchant.PostAsync(ApiPaths.UpdatePass, Requests.UpdatePoints(passId, 99, userId: "2160000000000999"))).AssertFailure("PASS_HAS_NOT_EXIST");
        Assert.Equal("10", sim.State.Passes.Find(passId)!.Variable("en_US", "$points$"));
    }

    [Fact]
    public async Task A_closed_pass_cannot_be_updated()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);
        var passId = (await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass(points: 10))).Body!["passId"]!.GetValue<string>();

        (await merchant.PostAsync(ApiPaths.UpdatePass, Requests.Close(passId))).AssertVerifiedSuccess();
        Assert.Equal(PassStatus.Closed, sim.State.Passes.Find(passId)!.Status);

        (await merchant.PostAsync(ApiPaths.UpdatePass, Requests.UpdatePoints(passId, 500))).AssertFailure("PASS_UPDATE_FAIL");
        (await merchant.PostAsync(ApiPaths.UpdatePass, Requests.Close(passId))).AssertFailure("PASS_UPDATE_FAIL");
        Assert.Equal("10", sim.State.Passes.Find(passId)!.Variable("en_US", "$points$"));
    }

    [Theory]
    [InlineData("passId")]
    [InlineData("status")]
    [InlineData("updateDetailType")]
    [InlineData("dataInfo")]
    [InlineData("merchantId")]
    public async Task UpdatePass_without_a_mandatory_field_is_PARAM_ILLEGAL_naming_it(string field)
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);
        var passId = (await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass())).Body!["passId"]!.GetValue<string>();
        var body = Requests.UpdatePoints(passId, 5);
        body.Remove(field);

        var call = await merchant.PostAsync(ApiPaths.UpdatePass, body);

        call.AssertFailure("PARAM_ILLEGAL");
        Assert.Contains(field, call.ResultMessage, StringComparison.Ordinal);
        Assert.Equal(0, sim.State.Passes.Find(passId)!.UpdateCount);
    }

    [Fact]
    public async Task Template_detail_answers_the_template_like_AlipayHK()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);

        var call = await merchant.PostAsync(ApiPaths.TemplateDetail, new JsonObject { ["templateCode"] = "TPL-MEMBER", ["merchantId"] = sim.MerchantId });

        call.AssertVerifiedSuccess();
        var body = call.Body!;
        Assert.Equal("TPL-MEMBER", body["templateCode"]!.GetValue<string>());
        Assert.Equal("valid", body["status"]!.GetValue<string>());
        Assert.True(body["startDate"]!.GetValue<long>() < body["endDate"]!.GetValue<long>());
        Assert.Equal("qrcode", body["codeType"]!.GetValue<string>());
        Assert.NotNull(body["codeStandard"]);
        Assert.NotNull(body["imageUrl"]);
        Assert.Equal("Member Card", body["localeInfo"]!["en_US"]!["name"]!.GetValue<string>());
        Assert.NotNull(body["localeInfo"]!["zh_HK"]);
    }

    [Fact]
    public async Task Template_detail_of_an_unknown_template_is_PASS_TEMPLATE_NOT_EXIST_and_a_configured_template_is_served()
    {
        await using var sim = await TestSimulator.StartAsync(o =>
        {
            o.Templates.Add(new TemplateOptions { TemplateCode = "TPL-GOLD", Status = "frozen", CodeType = "barcode", CodeStandard = "CODE128" });
        });
        using var merchant = new MerchantCaller(sim);

        (await merchant.PostAsync(ApiPaths.TemplateDetail, new JsonObject { ["templateCode"] = "TPL-MEMBER", ["merchantId"] = sim.MerchantId }))
            .AssertFailure("PASS_TEMPLATE_NOT_EXIST");   // configured templates replace the default
        var gold = await merchant.PostAsync(ApiPaths.TemplateDetail, new JsonObject { ["templateCode"] = "TPL-GOLD", ["merchantId"] = sim.MerchantId });
        gold.AssertVerifiedSuccess();
        Assert.Equal("frozen", gold.Body!["status"]!.GetValue<string>());
        Assert.Equal("CODE128", gold.Body!["codeStandard"]!.GetValue<string>());
        // A frozen template issues no new passes.
        (await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass(templateCode: "TPL-GOLD"))).AssertFailure("PASS_TEMPLATE_HAS_NOT_EXIT");
    }
}
