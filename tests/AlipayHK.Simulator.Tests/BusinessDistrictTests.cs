using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlipayHK.Simulator.Protocol;
using AlipayHK.Simulator.Tests.Infrastructure;

namespace AlipayHK.Simulator.Tests;

public sealed class BusinessDistrictTests
{
    private const string Alice = "2160000000000101";
    private const string Bob = "2160000000000202";

    [Fact]
    public async Task Bill_query_answers_a_batch_only_to_its_users_access_token()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);
        using var added = await merchant.Http.PostAsJsonAsync("admin/bills/batches", new
        {
            userId = Alice,
            mallGroupLabel = "GROUP1",
            mallLabel = "MALL1",
            bills = new[]
            {
                new { billNo = "B-1", merchantName = "Tea Shop", currency = "HKD", value = 12_50, outBillNo = "O-1" },
                new { billNo = "B-2", merchantName = "Book Shop", currency = "HKD", value = 99_00, outBillNo = "O-2" },
            },
        });
        added.EnsureSuccessStatusCode();
        var batchNo = JsonNode.Parse(await added.Content.ReadAsStringAsync())!["batchNo"]!.GetValue<string>();
        var aliceToken = await TokenAsync(merchant, Alice);
        var bobToken = await TokenAsync(merchant, Bob);

        var call = await merchant.PostAsync(ApiPaths.BillQuery, Query(batchNo, aliceToken));

        call.AssertVerifiedSuccess();
        var bills = call.Body!["bills"]!.AsArray();
        Assert.Equal(2, bills.Count);
        Assert.Equal("B-1", bills[0]!["billNo"]!.GetValue<string>());
        Assert.Equal(Alice, bills[0]!["userId"]!.GetValue<string>());
        Assert.Equal(1250, bills[0]!["orderAmount"]!["value"]!.GetValue<long>());
        Assert.Equal("HKD", bills[0]!["orderAmount"]!["currency"]!.GetValue<string>());
        Assert.Equal("ALIPAYHK", bills[0]!["pointsProvider"]!.GetValue<string>());
        Assert.NotNull(bills[0]!["payTime"]);
        Assert.Equal("MALL1", call.Body!["businessDistrictSubject"]!["mallLabel"]!.GetValue<string>());

        (await merchant.PostAsync(ApiPaths.BillQuery, Query(batchNo, bobToken))).AssertFailure("BATCH_NOT_EXIST");
        (await merchant.PostAsync(ApiPaths.BillQuery, Query(batchNo, "forged-token"))).AssertFailure("INVALID_ACCESS_TOKEN");
        (await merchant.PostAsync(ApiPaths.BillQuery, Query("BATCH-NONE", aliceToken))).AssertFailure("BATCH_NOT_EXIST");
        var noToken = Query(batchNo, aliceToken);
        noToken.Remove("accessToken");
        var missing = await merchant.PostAsync(ApiPaths.BillQuery, noToken);
        missing.AssertFailure("PARAM_ILLEGAL");
        Assert.Contains("accessToken", missing.ResultMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Saved_shops_page_with_string_page_numbers()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);
        for (var i = 1; i <= 5; i++)
        {
            (await merchant.PostAsync(ApiPaths.CircleStoreSave, SaveShop($"S{i}"))).AssertVerifiedSuccess();
        }
        // Saving a shop again replaces it; a shop of another mall is not listed.
        (await merchant.PostAsync(ApiPaths.CircleStoreSave, SaveShop("S1"))).AssertVerifiedSuccess();
        (await merchant.PostAsync(ApiPaths.CircleStoreSave, SaveShop("OTHER", mall: "MALL2"))).AssertVerifiedSuccess();

        var page1 = await merchant.PostAsync(ApiPaths.CircleStoreQueryPage, QueryPage("2", "1"));
        var page3 = await merchant.PostAsync(ApiPaths.CircleStoreQueryPage, QueryPage("2", "3"));

        page1.AssertVerifiedSuccess();
        Assert.Equal(5, page1.Body!["pageInfo"]!["totalCount"]!.GetValue<int>());
        Assert.Equal(3, page1.Body!["pageInfo"]!["totalPage"]!.GetValue<long>());
        Assert.Equal(["S1", "S2"], StoreIds(page1));
        Assert.Equal(["S5"], StoreIds(page3));
        var numbers = await merchant.PostAsync(ApiPaths.CircleStoreQueryPage, QueryPage(2, 2));
        Assert.Equal(["S3", "S4"], StoreIds(numbers));

        var bad = await merchant.PostAsync(ApiPaths.CircleStoreQueryPage, QueryPage("two", "1"));
        bad.AssertFailure("PARAM_ILLEGAL");
        Assert.Contains("pageInfo.pageSize", bad.ResultMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Saving_a_shop_needs_its_merchant_id()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);
        var body = SaveShop("S1");
        body["circleStore"]!["merchantPms"]!.AsObject().Remove("merchantId");

        var call = await merchant.PostAsync(ApiPaths.CircleStoreSave, body);

        call.AssertFailure("PARAM_ILLEGAL");
        Assert.Contains("circleStore.merchantPms.merchantId", call.ResultMessage, StringComparison.Ordinal);
        Assert.Equal(0, sim.State.CircleStores.Count);
    }

    private static async Task<string> TokenAsync(MerchantCaller merchant, string userId)
    {
        var code = await AuthorizationTests.IssueAuthCodeAsync(merchant, userId);
        var call = await merchant.PostAsync(ApiPaths.ApplyToken, AuthorizationTests.AuthCodeGrant(code));
        call.AssertVerifiedSuccess();
        return call.Body!["accessToken"]!.GetValue<string>();
    }

    private static JsonObject Query(string batchNo, string accessToken) => new()
    {
        ["businessDistrictSubject"] = new JsonObject { ["mallGroupLabel"] = "GROUP1", ["mallLabel"] = "MALL1" },
        ["batchNo"] = batchNo,
        ["accessToken"] = accessToken,
        ["appId"] = "3021000000000001",
    };

    private static JsonObject SaveShop(string storeId, string mall = "MALL1") => new()
    {
        ["saveWayType"] = "MERCHANT_PMS",
        ["circleStore"] = new JsonObject
        {
            ["merchantPms"] = new JsonObject
            {
                ["partnerId"] = "P1",
                ["merchantId"] = "M-" + storeId,
                ["merchantName"] = "Shop " + storeId,
                ["storeId"] = storeId,
                ["storeName"] = "Store " + storeId,
            },
            ["businessDistrictSubject"] = new JsonObject { ["mallGroupLabel"] = "GROUP1", ["mallLabel"] = mall },
        },
    };

    private static JsonObject QueryPage(JsonNode pageSize, JsonNode pageIndex) => new()
    {
        ["businessDistrictSubject"] = new JsonObject { ["mallGroupLabel"] = "GROUP1", ["mallLabel"] = "MALL1" },
        ["pageInfo"] = new JsonObject { ["pageSize"] = pageSize, ["pageIndex"] = pageIndex },
    };

    private static string[] StoreIds(ApiCall call) =>
        call.Body!["circleStores"]!.AsArray().Select(s => s!["merchantPms"]!["storeId"]!.GetValue<string>()).ToArray();
}
