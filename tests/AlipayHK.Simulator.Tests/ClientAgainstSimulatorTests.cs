using AlipayHK.OpenApi.Authorization;
using AlipayHK.OpenApi.Client;
using AlipayHK.OpenApi.Mall;
using AlipayHK.OpenApi.Passes;
using AlipayHK.OpenApi.Serialization;
using AlipayHK.OpenApi.Signing;
using AlipayHK.Simulator.Bills;
using AlipayHK.Simulator.Faults;
using AlipayHK.Simulator.Tests.Infrastructure;

namespace AlipayHK.Simulator.Tests;

/// <summary>
/// The typed AlipayHKClient (functions/AlipayHK.OpenApi) against the simulator: two independent readings of the
/// protocol must agree on every API, and the client must classify every simulated fault the way protocol §3 says.
/// </summary>
public sealed class ClientAgainstSimulatorTests
{
    private const string UserId = "2160000000000555";

    [Fact]
    public async Task The_member_card_lifecycle_works_end_to_end()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var client = new TestClient(sim);

        var template = await client.Api.GetTemplateDetailAsync(new TemplateDetailRequest { TemplateCode = "TPL-MEMBER" });
        Assert.Equal("valid", template.Status);
        Assert.NotNull(template.EffectiveCodeStandard);
        Assert.True(template.StartDate!.Value.TryGetTime(out _));

        var created = await client.Api.CreatePassAsync(CreatePass("MEMBER-1", points: 0));
        Assert.False(string.IsNullOrEmpty(created.PassId));
        Assert.False(string.IsNullOrEmpty(created.TracerId));

        await client.Api.UpdatePassAsync(Points(created.PassId!, 1234));
        Assert.Equal("1234", sim.State.Passes.Find(created.PassId!)!.Variable("en_US", "$points$"));

        var duplicate = await Assert.ThrowsAsync<AlipayHKException>(() => client.Api.CreatePassAsync(CreatePass("MEMBER-1", points: 0)));
        Assert.Equal("PASS_HAS_EXIST", duplicate.ResultCode);
        Assert.False(duplicate.IsRetryable);

        await client.Api.UpdatePassAsync(new UpdatePassRequest { UserId = UserId, PassId = created.PassId, Status = "CLOSED" });
        var closed = await Assert.ThrowsAsync<AlipayHKException>(() => client.Api.UpdatePassAsync(Points(created.PassId!, 1)));
        Assert.Equal("PASS_UPDATE_FAIL", closed.ResultCode);
        Assert.False(closed.IsRetryable);
    }

    [Fact]
    public async Task Mini_app_tokens_and_bill_query_work_end_to_end()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var client = new TestClient(sim);
        var request = new BillBatchRequest { UserId = UserId, MallGroupLabel = "G", MallLabel = "M" };
        request.Bills.Add(new Bill { BillNo = "B-9", Value = 4_200, MerchantName = "Noodles" });
        var batch = sim.State.Bills.Add(request);

        var tokens = await client.Api.ApplyTokenAsync(new ApplyTokenRequest
        {
            GrantType = ApplyTokenRequest.AuthorizationCode,
            AuthCode = sim.State.Authorizations.IssueAuthCode(UserId).AuthCode,
            AuthClientId = sim.ClientId,
        });
        Assert.Equal(UserId, tokens.CustomerId);
        Assert.DoesNotContain(tokens.AccessToken!, tokens.ToString(), StringComparison.Ordinal);

        var bills = await client.Api.QueryBillsAsync(new BillQueryRequest
        {
            BusinessDistrictSubject = new BusinessDistrictSubject { MallGroupLabel = "G", MallLabel = "M" },
            BatchNo = batch.BatchNo,
            AccessToken = tokens.AccessToken,
        });
        var bill = Assert.Single(bills.Bills!);
        Assert.Equal("B-9", bill.BillNo);
        Assert.Equal(4_200, bill.OrderAmount!.Value);
        Assert.True(bill.TryGetPayTime(out _));

        var refreshed = await client.Api.ApplyTokenAsync(new ApplyTokenRequest { GrantType = ApplyTokenRequest.RefreshTokenGrant, RefreshToken = tokens.RefreshToken });
        Assert.Equal(UserId, refreshed.CustomerId);
        var reused = await Assert.ThrowsAsync<AlipayHKException>(() =>
            client.Api.ApplyTokenAsync(new ApplyTokenRequest { GrantType = ApplyTokenRequest.RefreshTokenGrant, RefreshToken = tokens.RefreshToken }));
        Assert.Equal("USED_REFRESH_TOKEN", reused.ResultCode);
    }

    [Fact]
    public async Task Shops_are_saved_and_paged_end_to_end()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var client = new TestClient(sim);
        var subject = new BusinessDistrictSubject { MallGroupLabel = "G", MallLabel = "M" };
        for (var i = 1; i <= 3; i++)
        {
            await client.Api.SaveCircleStoreAsync(new CircleStoreSaveRequest
            {
                SaveWayType = "MERCHANT_PMS",
                CircleStore = new CircleStore
                {
                    MerchantPms = new MerchantPms { PartnerId = "P", MerchantId = $"M{i}", MerchantName = $"Shop {i}", StoreId = $"S{i}", StoreName = $"Store {i}" },
                    BusinessDistrictSubject = subject,
                },
            });
        }

        var page = await client.Api.QueryCircleStorePageAsync(new CircleStoreQueryPageRequest
        {
            BusinessDistrictSubject = subject,
            PageInfo = new PageInfo { PageSize = "2", PageIndex = "2" },
        });

        Assert.Equal(3, sim.State.CircleStores.Count);
        // The list's field is not public: the client keeps it as an unknown field.
        var stores = page.ExtensionData!["circleStores"];
        Assert.Equal("S3", stores.EnumerateArray().Single().GetProperty("merchantPms").GetProperty("storeId").GetString());
    }

    [Theory]
    [InlineData(FaultKind.UnknownException, "UNKNOWN_EXCEPTION", true)]
    [InlineData(FaultKind.SystemError, "SYSTEM_ERROR", true)]
    [InlineData(FaultKind.Http500, null, true)]
    [InlineData(FaultKind.Http503, null, true)]
    [InlineData(FaultKind.Http429, "REQUEST_TRAFFIC_EXCEED_LIMIT", true)]
    [InlineData(FaultKind.UnsignedAnswer, "RESPONSE_UNSIGNED", true)]
    [InlineData(FaultKind.BrokenSignature, "RESPONSE_SIGNATURE_INVALID", true)]
    public async Task The_client_classifies_each_fault_as_protocol_section_3_says(FaultKind kind, string? code, bool retryable)
    {
        await using var sim = await TestSimulator.StartAsync(o => o.Faults.Add(new FaultRule { Path = "createPass", Kind = kind, Mode = FaultMode.NextN }));
        using var client = new TestClient(sim);

        var error = await Assert.ThrowsAsync<AlipayHKException>(() => client.Api.CreatePassAsync(CreatePass("MEMBER-2", points: 0)));

        if (code is not null)
        {
            Assert.Equal(code, error.ResultCode);
        }
        Assert.Equal(retryable, error.IsRetryable);
        if (kind == FaultKind.Http429)
        {
            Assert.Equal(TimeSpan.FromSeconds(1), error.RetryAfter);
        }
        if (retryable)
        {
            // The retry with the same bizSerialId: either it creates the pass or the pass was created by the faulted call.
            try
            {
                await client.Api.CreatePassAsync(CreatePass("MEMBER-2", points: 0));
            }
            catch (AlipayHKException again) when (again.ResultCode == "PASS_HAS_EXIST")
            {
            }
            Assert.Equal(1, sim.State.Passes.Count);
        }
    }

    [Fact]
    public async Task A_slow_answer_is_a_retryable_timeout_and_a_lost_answer_is_found_by_the_retry()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var client = new TestClient(sim, timeout: TimeSpan.FromSeconds(2));
        await client.Api.GetTemplateDetailAsync(new TemplateDetailRequest { TemplateCode = "TPL-MEMBER" });   // warm the connection
        sim.Faults.Add(new FaultRule { Path = "createPass", Kind = FaultKind.Delay, Delay = TimeSpan.FromSeconds(30), Mode = FaultMode.NextN });

        var slow = await Assert.ThrowsAsync<AlipayHKException>(() => client.Api.CreatePassAsync(CreatePass("MEMBER-3", points: 0)));
        Assert.Equal("TIMEOUT", slow.ResultCode);
        Assert.True(slow.IsRetryable);

        sim.Faults.Add(new FaultRule { Path = "createPass", Kind = FaultKind.DropAnswerAfterProcessing, Mode = FaultMode.NextN });
        var lost = await Assert.ThrowsAsync<AlipayHKException>(() => client.Api.CreatePassAsync(CreatePass("MEMBER-3", points: 0)));
        Assert.True(lost.IsRetryable);
        Assert.Equal(1, sim.State.Passes.Count);
        var retry = await Assert.ThrowsAsync<AlipayHKException>(() => client.Api.CreatePassAsync(CreatePass("MEMBER-3", points: 0)));
        Assert.Equal("PASS_HAS_EXIST", retry.ResultCode);
    }

    [Fact]
    public async Task A_client_holding_the_wrong_platform_key_rejects_genuine_answers()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var client = new TestClient(sim, platformPublicKey: TestKeys.MerchantPublicPem);

        var error = await Assert.ThrowsAsync<AlipayHKException>(() => client.Api.GetTemplateDetailAsync(new TemplateDetailRequest { TemplateCode = "TPL-MEMBER" }));

        Assert.Equal("RESPONSE_SIGNATURE_INVALID", error.ResultCode);
    }

    private static CreatePassRequest CreatePass(string bizSerialId, long points)
    {
        var request = new CreatePassRequest
        {
            UserId = UserId,
            TemplateCode = "TPL-MEMBER",
            BizSerialId = bizSerialId,
            BizCreate = AlipayTimestamp.FromUnixMilliseconds(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero)),
            StartDate = AlipayTimestamp.FromUnixMilliseconds(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero)),
            EndDate = AlipayTimestamp.FromUnixMilliseconds(new DateTimeOffset(2027, 11, 22, 0, 0, 0, TimeSpan.Zero)),
            Type = "CARD",
            Product = "MEMBER_CARD",
            CodeInfo = new() { ["$codemsg$"] = bizSerialId, ["$codevalue$"] = bizSerialId },
            DataInfo = new() { ["en_US"] = new() { ["$points$"] = points.ToString(System.Globalization.CultureInfo.InvariantCulture) } },
            PublishScene = "FREE_GIVE",
        };
        request.SetExtInfo(new PassExtInfo { CardType = "MEMBER_CARD" });
        return request;
    }

    private static UpdatePassRequest Points(string passId, long points) => new()
    {
        UserId = UserId,
        TemplateCode = "TPL-MEMBER",
        PassId = passId,
        Status = "UPDATE",
        UpdateDetailType = "UPDATE_DATA_INFO",
        DataInfo = new() { ["en_US"] = new() { ["$points$"] = points.ToString(System.Globalization.CultureInfo.InvariantCulture) } },
    };

    private sealed class TestClient : IDisposable
    {
        private readonly HttpClient _http = new();
        private readonly PemAlipaySigner _key = new(TestKeys.MerchantPrivatePem);

        public TestClient(SimulatorHost sim, TimeSpan? timeout = null, string? platformPublicKey = null)
        {
            Api = new AlipayHKClient(_http, new AlipayHKClientOptions
            {
                BaseUrl = sim.BaseUrl,
                ClientId = sim.ClientId,
                MerchantId = sim.MerchantId,
                PlatformPublicKey = platformPublicKey ?? sim.PlatformPublicKey,
                Timeout = timeout ?? TimeSpan.FromSeconds(10),
            }, _key);
        }

        public AlipayHKClient Api { get; }

        public void Dispose()
        {
            Api.Dispose();
            _key.Dispose();
            _http.Dispose();
        }
    }
}
