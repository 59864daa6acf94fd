using System.Text.Json.Nodes;
using AlipayHK.Simulator.Protocol;
using AlipayHK.Simulator.Tests.Infrastructure;

namespace AlipayHK.Simulator.Tests;

/// <summary>
/// The simulator refuses, with a signed F PARAM_ILLEGAL naming the field, every request that lacks a mandatory field or
/// breaks a documented length, type or enumeration, and changes nothing. The tables are AlipayHK's seed pages
/// (createPass, template detail) and protocol §4 (the rest), written out here independently of the simulator's code.
/// </summary>
public sealed class StrictRequestTests
{
    private static string Long(int length) => new('x', length);

    private static readonly Dictionary<string, (string Field, Action<JsonObject> Break)> CreatePassCases = new()
    {
        ["merchantId missing"] = ("merchantId", b => b.Remove("merchantId")),
        ["merchantId 33"] = ("merchantId", b => b["merchantId"] = Long(33)),
        ["merchantId number"] = ("merchantId", b => b["merchantId"] = 2160),
        ["userId and openId missing"] = ("userId", b => b.Remove("userId")),
        ["userId 33"] = ("userId", b => b["userId"] = Long(33)),
        ["userId number"] = ("userId", b => b["userId"] = 2160000000000001),
        ["openId 33"] = ("openId", b => b["openId"] = Long(33)),
        ["templateCode missing"] = ("templateCode", b => b.Remove("templateCode")),
        ["templateCode 33"] = ("templateCode", b => b["templateCode"] = Long(33)),
        ["bizSerialId missing"] = ("bizSerialId", b => b.Remove("bizSerialId")),
        ["bizSerialId 129"] = ("bizSerialId", b => b["bizSerialId"] = Long(129)),
        ["bizSerialType missing"] = ("bizSerialType", b => b.Remove("bizSerialType")),
        ["bizSerialType 33"] = ("bizSerialType", b => b["bizSerialType"] = Long(33)),
        ["bizSerialType other"] = ("bizSerialType", b => b["bizSerialType"] = "IN_PLATFORM"),
        ["startDate missing"] = ("startDate", b => b.Remove("startDate")),
        ["startDate text"] = ("startDate", b => b["startDate"] = "2026-01-01 00:00:00"),
        ["endDate missing"] = ("endDate", b => b.Remove("endDate")),
        ["endDate boolean"] = ("endDate", b => b["endDate"] = true),
        ["endDate before startDate"] = ("endDate", b => b["endDate"] = 1_767_225_599_999),
        ["startDate before the template"] = ("startDate", b => b["startDate"] = 1_700_000_000_000),   // 2023
        ["endDate after the template"] = ("endDate", b => b["endDate"] = 2_200_000_000_000),       // 2039
        ["bizCreate missing"] = ("bizCreate", b => b.Remove("bizCreate")),
        ["bizCreate text"] = ("bizCreate", b => b["bizCreate"] = "yesterday"),
        ["type 33"] = ("type", b => b["type"] = Long(33)),
        ["type other"] = ("type", b => b["type"] = "TICKET"),
        ["product 33"] = ("product", b => b["product"] = Long(33)),
        ["product other"] = ("product", b => b["product"] = "LOYALTY_CARD"),
        ["codeInfo missing"] = ("codeInfo", b => b.Remove("codeInfo")),
        ["codeInfo number"] = ("codeInfo", b => b["codeInfo"] = 42),
        // {"$codevalue$":"..."} is 18 characters around the value.
        ["codeInfo 513"] = ("codeInfo", b => b["codeInfo"] = new JsonObject { ["$codevalue$"] = Long(513 - 18) }),
        ["codeInfo string 513"] = ("codeInfo", b => b["codeInfo"] = new JsonObject { ["$codevalue$"] = Long(513 - 18) }.ToJsonString()),
        ["dataInfo text"] = ("dataInfo", b => b["dataInfo"] = "points=1"),
        // {"en_US":{"$points$":"..."}} is 25 characters around the value.
        ["dataInfo 8193"] = ("dataInfo", b => b["dataInfo"] = new JsonObject { ["en_US"] = new JsonObject { ["$points$"] = Long(8193 - 25) } }),
        ["extInfo object"] = ("extInfo", b => b["extInfo"] = new JsonObject { ["cardType"] = "MEMBER_CARD" }),
        ["publishScene other"] = ("publishScene", b => b["publishScene"] = "SOLD"),
    };

    public static TheoryData<string> CreatePassCaseNames() => [.. CreatePassCases.Keys];

    [Theory]
    [MemberData(nameof(CreatePassCaseNames))]
    public async Task CreatePass_breaking_the_seed_page_is_PARAM_ILLEGAL_naming_the_field_and_creates_nothing(string @case)
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);
        var (field, breakIt) = CreatePassCases[@case];
        var body = Requests.CreatePass();
        breakIt(body);

        var call = await merchant.PostAsync(ApiPaths.CreatePass, body);

        call.AssertFailure("PARAM_ILLEGAL");
        Assert.StartsWith(field + " ", call.ResultMessage, StringComparison.Ordinal);
        Assert.Equal(0, sim.State.Passes.Count);
    }

    [Fact]
    public async Task CreatePass_at_every_limit_and_with_an_openId_only_is_accepted()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);
        var body = Requests.CreatePass(bizSerialId: Long(128));
        body.Remove("userId");
        body["openId"] = Long(32);
        body["codeInfo"] = new JsonObject { ["$codevalue$"] = Long(512 - 18) };
        body["dataInfo"] = new JsonObject { ["en_US"] = new JsonObject { ["$points$"] = Long(8192 - 25) } };
        body["endDate"] = body["startDate"]!.DeepClone();

        (await merchant.PostAsync(ApiPaths.CreatePass, body)).AssertVerifiedSuccess();
        Assert.Equal(1, sim.State.Passes.Count);
    }

    [Fact]
    public async Task The_signature_is_checked_before_the_fields()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);
        var body = Requests.CreatePass();
        body.Remove("startDate");
        var forgedBody = body.ToJsonString().Replace("M0001", "M0002", StringComparison.Ordinal);

        // Signed over one body, sent with another that also lacks a mandatory field.
        var forged = await merchant.PostAsync(ApiPaths.CreatePass, body, tamper: r =>
        {
            var headers = r.Content!.Headers.ContentType;
            r.Content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(forgedBody));
            r.Content.Headers.ContentType = headers;
        });

        forged.AssertFailure("INVALID_SIGNATURE");
        Assert.Equal(0, sim.State.Passes.Count);
    }

    private static readonly Dictionary<string, (string Field, Action<JsonObject> Break)> UpdatePassCases = new()
    {
        ["merchantId missing"] = ("merchantId", b => b.Remove("merchantId")),
        ["merchantId 33"] = ("merchantId", b => b["merchantId"] = Long(33)),
        ["userId and openId missing"] = ("userId", b => b.Remove("userId")),
        ["userId 33"] = ("userId", b => b["userId"] = Long(33)),
        ["passId missing"] = ("passId", b => b.Remove("passId")),
        ["passId 33"] = ("passId", b => b["passId"] = Long(33)),
        ["passId number"] = ("passId", b => b["passId"] = 5),
        ["templateCode 33"] = ("templateCode", b => b["templateCode"] = Long(33)),
        ["status missing"] = ("status", b => b.Remove("status")),
        ["status other"] = ("status", b => b["status"] = "DELETE"),
        ["updateDetailType missing"] = ("updateDetailType", b => b.Remove("updateDetailType")),
        ["updateDetailType other"] = ("updateDetailType", b => b["updateDetailType"] = "UPDATE_EVERYTHING"),
        ["dataInfo missing"] = ("dataInfo", b => b.Remove("dataInfo")),
        ["dataInfo text"] = ("dataInfo", b => b["dataInfo"] = "points=1"),
        ["dataInfo 8193"] = ("dataInfo", b => b["dataInfo"] = new JsonObject { ["en_US"] = new JsonObject { ["$points$"] = Long(8193 - 25) } }),
        ["validity without dates"] = ("startDate", b => b["updateDetailType"] = "UPDATE_VALIDITY"),
        ["validity endDate text"] = ("endDate", b => { b["updateDetailType"] = "UPDATE_VALIDITY"; b["endDate"] = "soon"; }),
        ["validity endDate before startDate"] = ("endDate", b => { b["updateDetailType"] = "UPDATE_VALIDITY"; b["startDate"] = 1_800_000_000_000; b["endDate"] = 1_700_000_000_000; }),
    };

    public static TheoryData<string> UpdatePassCaseNames() => [.. UpdatePassCases.Keys];

    [Theory]
    [MemberData(nameof(UpdatePassCaseNames))]
    public async Task UpdatePass_with_a_bad_field_is_PARAM_ILLEGAL_naming_it_and_changes_nothing(string @case)
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);
        var created = await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass(points: 7));
        created.AssertVerifiedSuccess();
        var passId = created.Body!["passId"]!.GetValue<string>();
        var (field, breakIt) = UpdatePassCases[@case];
        var body = Requests.UpdatePoints(passId, 99);
        breakIt(body);

        var call = await merchant.PostAsync(ApiPaths.UpdatePass, body);

        call.AssertFailure("PARAM_ILLEGAL");
        Assert.StartsWith(field + " ", call.ResultMessage, StringComparison.Ordinal);
        var pass = sim.State.Passes.Find(passId)!;
        Assert.Equal(0, pass.UpdateCount);
        Assert.Equal("7", pass.Variable("en_US", "$points$"));
    }

    private static readonly Dictionary<string, (string Field, Action<JsonObject> Break)> TemplateDetailCases = new()
    {
        ["templateCode missing"] = ("templateCode", b => b.Remove("templateCode")),
        ["templateCode 65"] = ("templateCode", b => b["templateCode"] = Long(65)),
        ["templateCode number"] = ("templateCode", b => b["templateCode"] = 82022031),
        ["merchantId missing"] = ("merchantId", b => b.Remove("merchantId")),
        ["merchantId 65"] = ("merchantId", b => b["merchantId"] = Long(65)),
    };

    public static TheoryData<string> TemplateDetailCaseNames() => [.. TemplateDetailCases.Keys];

    [Theory]
    [MemberData(nameof(TemplateDetailCaseNames))]
    public async Task TemplateDetail_with_a_bad_field_is_PARAM_ILLEGAL_naming_it(string @case)
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);
        var (field, breakIt) = TemplateDetailCases[@case];
        var body = new JsonObject { ["templateCode"] = "TPL-MEMBER", ["merchantId"] = TestSimulator.MerchantId };
        breakIt(body);

        var call = await merchant.PostAsync(ApiPaths.TemplateDetail, body);

        call.AssertFailure("PARAM_ILLEGAL");
        Assert.StartsWith(field + " ", call.ResultMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TemplateDetail_answers_a_64_character_template_code_as_unknown_not_illegal()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);

        var call = await merchant.PostAsync(ApiPaths.TemplateDetail, new JsonObject { ["templateCode"] = Long(64), ["merchantId"] = TestSimulator.MerchantId });

        call.AssertFailure("PASS_TEMPLATE_NOT_EXIST");
    }

    private static readonly Dictionary<string, (string Field, Action<JsonObject> Break)> ApplyTokenCases = new()
    {
        ["grantType missing"] = ("grantType", b => b.Remove("grantType")),
        ["grantType other"] = ("grantType", b => b["grantType"] = "PASSWORD"),
        ["authCode missing"] = ("authCode", b => b.Remove("authCode")),
        ["authCode number"] = ("authCode", b => b["authCode"] = 12345),
        ["appId number"] = ("appId", b => b["appId"] = 3021),
    };

    public static TheoryData<string> ApplyTokenCaseNames() => [.. ApplyTokenCases.Keys];

    [Theory]
    [MemberData(nameof(ApplyTokenCaseNames))]
    public async Task ApplyToken_with_a_bad_field_is_PARAM_ILLEGAL_naming_it_and_keeps_the_code_usable(string @case)
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);
        var code = await AuthorizationTests.IssueAuthCodeAsync(merchant);
        var (field, breakIt) = ApplyTokenCases[@case];
        var body = AuthorizationTests.AuthCodeGrant(code);
        breakIt(body);

        var call = await merchant.PostAsync(ApiPaths.ApplyToken, body);

        call.AssertFailure("PARAM_ILLEGAL");
        Assert.StartsWith(field + " ", call.ResultMessage, StringComparison.Ordinal);
        // The single-use code was not spent by the refused request.
        (await merchant.PostAsync(ApiPaths.ApplyToken, AuthorizationTests.AuthCodeGrant(code))).AssertVerifiedSuccess();
    }

    private static JsonObject Subject() => new() { ["mallGroupLabel"] = "GROUP1", ["mallLabel"] = "MALL1" };

    private static readonly Dictionary<string, (string Path, string Field, Func<JsonObject> Body)> MallCases = new()
    {
        ["billQuery subject missing"] = (ApiPaths.BillQuery, "businessDistrictSubject", () => new JsonObject { ["batchNo"] = "B", ["accessToken"] = "T" }),
        ["billQuery subject text"] = (ApiPaths.BillQuery, "businessDistrictSubject", () => new JsonObject { ["businessDistrictSubject"] = "MALL1", ["batchNo"] = "B", ["accessToken"] = "T" }),
        ["billQuery batchNo missing"] = (ApiPaths.BillQuery, "batchNo", () => new JsonObject { ["businessDistrictSubject"] = Subject(), ["accessToken"] = "T" }),
        ["billQuery batchNo number"] = (ApiPaths.BillQuery, "batchNo", () => new JsonObject { ["businessDistrictSubject"] = Subject(), ["batchNo"] = 7, ["accessToken"] = "T" }),
        ["billQuery accessToken missing"] = (ApiPaths.BillQuery, "accessToken", () => new JsonObject { ["businessDistrictSubject"] = Subject(), ["batchNo"] = "B" }),
        ["circleStoreSave nothing to save"] = (ApiPaths.CircleStoreSave, "circleStore", () => new JsonObject { ["saveWayType"] = "MERCHANT_PMS", ["businessDistrictSubject"] = Subject() }),
        ["circleStoreSave merchantPms missing"] = (ApiPaths.CircleStoreSave, "circleStore.merchantPms", () => new JsonObject
        {
            ["circleStore"] = new JsonObject { ["businessDistrictSubject"] = Subject() },
        }),
        ["circleStoreSave merchantId missing"] = (ApiPaths.CircleStoreSave, "circleStore.merchantPms.merchantId", () => new JsonObject
        {
            ["circleStore"] = new JsonObject { ["merchantPms"] = new JsonObject { ["storeId"] = "S1" }, ["businessDistrictSubject"] = Subject() },
        }),
        ["circleStoreSave no mall"] = (ApiPaths.CircleStoreSave, "businessDistrictSubject", () => new JsonObject
        {
            ["circleStore"] = new JsonObject { ["merchantPms"] = new JsonObject { ["merchantId"] = "M1" } },
        }),
        ["queryPage pageInfo missing"] = (ApiPaths.CircleStoreQueryPage, "pageInfo", () => new JsonObject { ["businessDistrictSubject"] = Subject() }),
        ["queryPage pageSize missing"] = (ApiPaths.CircleStoreQueryPage, "pageInfo.pageSize", () => new JsonObject
        {
            ["businessDistrictSubject"] = Subject(), ["pageInfo"] = new JsonObject { ["pageIndex"] = "1" },
        }),
        ["queryPage pageSize text"] = (ApiPaths.CircleStoreQueryPage, "pageInfo.pageSize", () => new JsonObject
        {
            ["businessDistrictSubject"] = Subject(), ["pageInfo"] = new JsonObject { ["pageSize"] = "ten", ["pageIndex"] = "1" },
        }),
        ["queryPage pageIndex 0"] = (ApiPaths.CircleStoreQueryPage, "pageInfo.pageIndex", () => new JsonObject
        {
            ["businessDistrictSubject"] = Subject(), ["pageInfo"] = new JsonObject { ["pageSize"] = "10", ["pageIndex"] = "0" },
        }),
    };

    public static TheoryData<string> MallCaseNames() => [.. MallCases.Keys];

    [Theory]
    [MemberData(nameof(MallCaseNames))]
    public async Task Mall_apis_with_a_bad_field_are_PARAM_ILLEGAL_naming_it_and_save_nothing(string @case)
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);
        var (path, field, body) = MallCases[@case];

        var call = await merchant.PostAsync(path, body());

        call.AssertFailure("PARAM_ILLEGAL");
        Assert.StartsWith(field, call.ResultMessage, StringComparison.Ordinal);
        Assert.Equal(0, sim.State.CircleStores.Count);
    }
}
