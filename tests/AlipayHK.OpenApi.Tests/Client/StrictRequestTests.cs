using System.Text;
using System.Text.Json;
using AlipayHK.OpenApi.Authorization;
using AlipayHK.OpenApi.Client;
using AlipayHK.OpenApi.Mall;
using AlipayHK.OpenApi.Passes;
using AlipayHK.OpenApi.Results;
using AlipayHK.OpenApi.Serialization;
using AlipayHK.OpenApi.Signing;
using AlipayHK.OpenApi.Tests.Support;

namespace AlipayHK.OpenApi.Tests.Client;

/// <summary>
/// Strict in what we send: every field AlipayHK's pages mark M, every documented length, type and enumeration is
/// checked before signing, and a bad request never leaves. The expectations are the seed pages' tables, written
/// out here independently of the library's checks.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes through IAsyncLifetime.DisposeAsync.")]
public sealed class StrictRequestTests : IAsyncLifetime
{
    private FakeAlipayHK _server = null!;
    private readonly HttpClient _http = new();
    private readonly PemAlipaySigner _key = new(TestKeys.MerchantPrivatePem);

    public async Task InitializeAsync() => _server = await FakeAlipayHK.StartAsync();

    private AlipayHKClient NewClient(Uri? baseUrl = null, string? platformKey = null, string? nextPlatformKey = null) => new(_http, new AlipayHKClientOptions
    {
        BaseUrl = baseUrl ?? _server.BaseUrl,
        ClientId = FakeAlipayHK.ClientId,
        MerchantId = "2160120036095023",
        PlatformPublicKey = platformKey ?? TestKeys.PlatformPublicBase64,
        NextPlatformPublicKey = nextPlatformKey,
        Timeout = TimeSpan.FromSeconds(30),
    }, _key);

    private static string Long(int length) => new('x', length);

    private static AlipayTimestamp Ms(long ms) => AlipayTimestamp.FromUnixMilliseconds(DateTimeOffset.FromUnixTimeMilliseconds(ms));

    // createPass, seed page 002 §2.1.2: (case, the field the error must name, how to break the request).
    public static TheoryData<string, string> CreatePassCases() => new()
    {
        { "merchantId missing", "merchantId" },
        { "merchantId 33", "merchantId" },
        { "userId and openId missing", "userId" },
        { "userId 33", "userId" },
        { "openId 33", "openId" },
        { "templateCode missing", "templateCode" },
        { "templateCode 33", "templateCode" },
        { "bizSerialId missing", "bizSerialId" },
        { "bizSerialId 129", "bizSerialId" },
        { "bizSerialType missing", "bizSerialType" },
        { "bizSerialType other", "bizSerialType" },
        { "startDate missing", "startDate" },
        { "startDate text", "startDate" },
        { "endDate missing", "endDate" },
        { "endDate before startDate", "endDate" },
        { "bizCreate missing", "bizCreate" },
        { "bizCreate text", "bizCreate" },
        { "type other", "type" },
        { "product other", "product" },
        { "codeInfo missing", "codeInfo" },
        { "codeInfo 513", "codeInfo" },
        { "dataInfo 8193", "dataInfo" },
        { "extInfo not JSON", "extInfo" },
        { "publishScene other", "publishScene" },
    };

    private static void Break(CreatePassRequest r, string @case)
    {
        switch (@case)
        {
            case "merchantId missing": r.MerchantId = " "; break;
            case "merchantId 33": r.MerchantId = Long(33); break;
            case "userId and openId missing": r.UserId = null; r.OpenId = null; break;
            case "userId 33": r.UserId = Long(33); break;
            case "openId 33": r.OpenId = Long(33); break;
            case "templateCode missing": r.TemplateCode = null; break;
            case "templateCode 33": r.TemplateCode = Long(33); break;
            case "bizSerialId missing": r.BizSerialId = ""; break;
            case "bizSerialId 129": r.BizSerialId = Long(129); break;
            case "bizSerialType missing": r.BizSerialType = null; break;
            case "bizSerialType other": r.BizSerialType = "IN_PLATFORM"; break;
            case "startDate missing": r.StartDate = null; break;
            case "startDate text": r.StartDate = AlipayTimestamp.FromText("2026-11-22 10:00:00"); break;
            case "endDate missing": r.EndDate = null; break;
            case "endDate before startDate": r.EndDate = Ms(1767225599999); break;
            case "bizCreate missing": r.BizCreate = null; break;
            case "bizCreate text": r.BizCreate = AlipayTimestamp.FromText("1788192061000"); break;
            case "type other": r.Type = "TICKET"; break;
            case "product other": r.Product = "LOYALTY_CARD"; break;
            case "codeInfo missing": r.CodeInfo = null; break;
            // {"$codevalue$":"xxx..."}: 18 characters of JSON around the value.
            case "codeInfo 513": r.CodeInfo = new() { ["$codevalue$"] = Long(513 - 18) }; break;
            // {"en_US":{"$points$":"xxx..."}}: 25 characters around the value.
            case "dataInfo 8193": r.DataInfo = new() { ["en_US"] = new() { ["$points$"] = Long(8193 - 25) } }; break;
            case "extInfo not JSON": r.ExtInfo = "paymentOrderId=1"; break;
            case "publishScene other": r.PublishScene = "SOLD"; break;
            default: throw new ArgumentOutOfRangeException(nameof(@case), @case, null);
        }
    }

    [Theory]
    [MemberData(nameof(CreatePassCases))]
    public async Task A_createPass_breaking_the_seed_page_is_refused_naming_the_field_and_nothing_is_sent(string @case, string field)
    {
        using var client = NewClient();
        var request = AlipayHKClientTests.NewPass();
        Break(request, @case);

        var e = await Assert.ThrowsAsync<ArgumentException>(() => client.CreatePassAsync(request));

        Assert.Equal(field, e.ParamName);
        Assert.Contains(field, e.Message, StringComparison.Ordinal);
        Assert.Empty(_server.Received);
    }

    [Fact]
    public async Task A_createPass_at_every_limit_is_sent_with_startDate_and_endDate_as_numbers()
    {
        using var client = NewClient();
        var request = AlipayHKClientTests.NewPass();
        request.MerchantId = Long(32);
        request.UserId = Long(32);
        request.OpenId = Long(32);
        request.TemplateCode = Long(32);
        request.BizSerialId = Long(128);
        request.CodeInfo = new() { ["$codevalue$"] = Long(512 - 18) };
        request.DataInfo = new() { ["en_US"] = new() { ["$points$"] = Long(8192 - 25) } };
        request.EndDate = request.StartDate;

        await client.CreatePassAsync(request);

        using var sent = JsonDocument.Parse(Assert.Single(_server.Received).Body);
        Assert.Equal(JsonValueKind.Number, sent.RootElement.GetProperty("startDate").ValueKind);
        Assert.Equal(1767225600000, sent.RootElement.GetProperty("startDate").GetInt64());
        Assert.Equal(JsonValueKind.Number, sent.RootElement.GetProperty("endDate").ValueKind);
    }

    public static TheoryData<string, string> OtherApiCases() => new()
    {
        { "updatePass passId missing", "passId" },
        { "updatePass passId 33", "passId" },
        { "updatePass status other", "status" },
        { "updatePass UPDATE without updateDetailType", "updateDetailType" },
        { "updatePass UPDATE_DATA_INFO without dataInfo", "dataInfo" },
        { "updatePass UPDATE_VALIDITY without dates", "startDate" },
        { "updatePass no user", "userId" },
        { "templateDetail templateCode missing", "templateCode" },
        { "templateDetail templateCode 65", "templateCode" },
        { "templateDetail merchantId 65", "merchantId" },
        { "applyToken grantType other", "grantType" },
        { "applyToken authCode missing", "authCode" },
        { "applyToken refreshToken missing", "refreshToken" },
        { "billQuery batchNo missing", "batchNo" },
        { "billQuery accessToken missing", "accessToken" },
        { "billQuery subject missing", "businessDistrictSubject" },
        { "circleStoreSave nothing", "ipayTradeNo" },
        { "circleStoreQueryPage pageSize 0", "pageInfo.pageSize" },
        { "circleStoreQueryPage pageIndex missing", "pageInfo.pageIndex" },
    };

    [Theory]
    [MemberData(nameof(OtherApiCases))]
    public async Task Every_other_request_is_checked_before_it_is_sent(string @case, string field)
    {
        using var client = NewClient();
        UpdatePassRequest Update() => new() { UserId = "2160220037090534", PassId = "P-1", Status = "UPDATE", UpdateDetailType = "UPDATE_DATA_INFO", DataInfo = new() { ["en_US"] = new() { ["$points$"] = "1" } } };
        var subject = new BusinessDistrictSubject { MallLabel = "M" };
        Func<Task> call = @case switch
        {
            "updatePass passId missing" => () => client.UpdatePassAsync(With(Update(), r => r.PassId = null)),
            "updatePass passId 33" => () => client.UpdatePassAsync(With(Update(), r => r.PassId = Long(33))),
            "updatePass status other" => () => client.UpdatePassAsync(With(Update(), r => r.Status = "DELETE")),
            "updatePass UPDATE without updateDetailType" => () => client.UpdatePassAsync(With(Update(), r => r.UpdateDetailType = null)),
            "updatePass UPDATE_DATA_INFO without dataInfo" => () => client.UpdatePassAsync(With(Update(), r => r.DataInfo = null)),
            "updatePass UPDATE_VALIDITY without dates" => () => client.UpdatePassAsync(With(Update(), r => r.UpdateDetailType = "UPDATE_VALIDITY")),
            "updatePass no user" => () => client.UpdatePassAsync(With(Update(), r => r.UserId = null)),
            "templateDetail templateCode missing" => () => client.GetTemplateDetailAsync(new TemplateDetailRequest()),
            "templateDetail templateCode 65" => () => client.GetTemplateDetailAsync(new TemplateDetailRequest { TemplateCode = Long(65) }),
            "templateDetail merchantId 65" => () => client.GetTemplateDetailAsync(new TemplateDetailRequest { TemplateCode = "T", MerchantId = Long(65) }),
            "applyToken grantType other" => () => client.ApplyTokenAsync(new ApplyTokenRequest { GrantType = "PASSWORD", AuthCode = "c" }),
            "applyToken authCode missing" => () => client.ApplyTokenAsync(new ApplyTokenRequest { GrantType = ApplyTokenRequest.AuthorizationCode }),
            "applyToken refreshToken missing" => () => client.ApplyTokenAsync(new ApplyTokenRequest { GrantType = ApplyTokenRequest.RefreshTokenGrant, AuthCode = "c" }),
            "billQuery batchNo missing" => () => client.QueryBillsAsync(new BillQueryRequest { BusinessDistrictSubject = subject, AccessToken = "t" }),
            "billQuery accessToken missing" => () => client.QueryBillsAsync(new BillQueryRequest { BusinessDistrictSubject = subject, BatchNo = "b" }),
            "billQuery subject missing" => () => client.QueryBillsAsync(new BillQueryRequest { BatchNo = "b", AccessToken = "t" }),
            "circleStoreSave nothing" => () => client.SaveCircleStoreAsync(new CircleStoreSaveRequest { SaveWayType = "TRADE" }),
            "circleStoreQueryPage pageSize 0" => () => client.QueryCircleStorePageAsync(new CircleStoreQueryPageRequest { BusinessDistrictSubject = subject, PageInfo = new PageInfo { PageSize = "0", PageIndex = "1" } }),
            "circleStoreQueryPage pageIndex missing" => () => client.QueryCircleStorePageAsync(new CircleStoreQueryPageRequest { BusinessDistrictSubject = subject, PageInfo = new PageInfo { PageSize = "10" } }),
            _ => throw new ArgumentOutOfRangeException(nameof(@case), @case, null),
        };

        var e = await Assert.ThrowsAsync<ArgumentException>(call);

        Assert.Equal(field, e.ParamName);
        Assert.Empty(_server.Received);
    }

    private static T With<T>(T request, Action<T> change)
    {
        change(request);
        return request;
    }

    [Fact]
    public async Task A_plus_sign_goes_on_the_wire_as_a_plus_sign()
    {
        using var client = NewClient();
        var request = AlipayHKClientTests.NewPass();
        request.DataInfo = new() { ["en_US"] = new() { ["$hotline$"] = "+852 1234 <b>", ["$since$"] = "2026-11-22T10:00:00+08:00" } };

        await client.CreatePassAsync(request);

        var body = Encoding.UTF8.GetString(Assert.Single(_server.Received).Body);
        Assert.Contains("\"+852 1234 <b>\"", body, StringComparison.Ordinal);
        Assert.Contains("\"2026-11-22T10:00:00+08:00\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u002B", body, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_answer_signed_by_the_next_platform_key_verifies_and_one_signed_by_neither_is_retryable()
    {
        using var stale = System.Security.Cryptography.RSA.Create(2048);
        var staleKey = RsaKeys.ExportPublicKeyBase64(stale);
        // The fake signs with TestKeys.Platform: configured as the next key while the current one is stale.
        using var rotating = NewClient(platformKey: staleKey, nextPlatformKey: TestKeys.PlatformPublicBase64);
        using var staleOnly = NewClient(platformKey: staleKey);

        var created = await rotating.CreatePassAsync(AlipayHKClientTests.NewPass());
        var e = await Assert.ThrowsAsync<AlipayHKException>(() => staleOnly.CreatePassAsync(AlipayHKClientTests.NewPass()));

        Assert.Equal("P-1", created.PassId);
        Assert.Equal(ResultCodes.ResponseSignatureInvalid, e.ResultCode);
        Assert.True(e.IsRetryable);
    }

    [Theory]
    [InlineData("https://gw.example", "https://gw.example/api/open/alipay/v1/ipass/pass/manage/createPass")]
    [InlineData("https://gw.example/", "https://gw.example/api/open/alipay/v1/ipass/pass/manage/createPass")]
    [InlineData("https://gw.example/sandbox", "https://gw.example/sandbox/api/open/alipay/v1/ipass/pass/manage/createPass")]
    [InlineData("https://gw.example/sandbox/", "https://gw.example/sandbox/api/open/alipay/v1/ipass/pass/manage/createPass")]
    [InlineData("http://127.0.0.1:5180/a/b", "http://127.0.0.1:5180/a/b/api/open/alipay/v1/ipass/pass/manage/createPass")]
    public void The_base_url_keeps_its_path(string baseUrl, string expected)
    {
        var options = new AlipayHKClientOptions { BaseUrl = new Uri(baseUrl) };

        Assert.Equal(expected, options.ResolveUri(options.Paths.CreatePass).AbsoluteUri);
    }

    [Fact]
    public async Task A_base_url_with_a_path_is_called_and_signed_with_that_path()
    {
        using var client = NewClient(baseUrl: new Uri(_server.BaseUrl, "/sandbox"));

        var created = await client.CreatePassAsync(AlipayHKClientTests.NewPass());

        var received = Assert.Single(_server.Received);
        Assert.Equal("/sandbox/api/open/alipay/v1/ipass/pass/manage/createPass", received.Path);
        // The fake verifies the request over the path it received, and signs its answer over it: both held.
        Assert.Equal(SignatureRejection.None, received.Verdict);
        Assert.Equal("P-1", created.PassId);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        _key.Dispose();
        await _server.DisposeAsync();
    }
}
