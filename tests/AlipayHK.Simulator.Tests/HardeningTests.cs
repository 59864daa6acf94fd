using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using AlipayHK.OpenApi.Client;
using AlipayHK.OpenApi.Passes;
using AlipayHK.OpenApi.Serialization;
using AlipayHK.OpenApi.Signing;
using AlipayHK.Simulator.Bills;
using AlipayHK.Simulator.Protocol;
using AlipayHK.Simulator.Tests.Infrastructure;

namespace AlipayHK.Simulator.Tests;

/// <summary>Platform key rotation, a gateway path prefix, the admin Host check, and the bytes of what is sent.</summary>
public sealed class HardeningTests
{
    private const string UserId = "2160000000000888";

    private static AlipayHKClient Client(HttpClient http, PemAlipaySigner key, SimulatorHost sim, string platformKey, string? nextKey = null, Uri? baseUrl = null) =>
        new(http, new AlipayHKClientOptions
        {
            BaseUrl = baseUrl ?? sim.BaseUrl,
            ClientId = sim.ClientId,
            MerchantId = sim.MerchantId,
            PlatformPublicKey = platformKey,
            NextPlatformPublicKey = nextKey,
            Timeout = TimeSpan.FromSeconds(10),
        }, key);

    private static CreatePassRequest Pass(string bizSerialId) => new()
    {
        UserId = UserId,
        TemplateCode = "TPL-MEMBER",
        BizSerialId = bizSerialId,
        BizCreate = AlipayTimestamp.FromUnixMilliseconds(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero)),
        StartDate = AlipayTimestamp.FromUnixMilliseconds(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero)),
        EndDate = AlipayTimestamp.FromUnixMilliseconds(new DateTimeOffset(2027, 11, 22, 0, 0, 0, TimeSpan.Zero)),
        CodeInfo = new() { ["$codevalue$"] = bizSerialId },
    };

    [Fact]
    public async Task After_the_platform_key_rotates_a_client_holding_it_as_next_key_goes_on_and_one_without_retries()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var http = new HttpClient();
        using var key = new PemAlipaySigner(TestKeys.MerchantPrivatePem);
        var oldKey = sim.PlatformPublicKey;

        // The operator learns the next key over the admin API, configures it as next, then AlipayHK switches.
        using var admin = new HttpClient { BaseAddress = sim.BaseUrl };
        using var rotated = await admin.PostAsJsonAsync("admin/platform-key/rotate", new { keyVersion = "2" });
        rotated.EnsureSuccessStatusCode();
        var newKey = JsonNode.Parse(await rotated.Content.ReadAsStringAsync())!["platformPublicKey"]!.GetValue<string>();
        Assert.NotEqual(oldKey, newKey);
        Assert.Equal(newKey, sim.PlatformPublicKey);

        using var ready = Client(http, key, sim, oldKey, nextKey: newKey);
        using var stale = Client(http, key, sim, oldKey);

        var created = await ready.CreatePassAsync(Pass("ROT-1"));
        var e = await Assert.ThrowsAsync<AlipayHKException>(() => stale.CreatePassAsync(Pass("ROT-2")));

        Assert.False(string.IsNullOrEmpty(created.PassId));
        Assert.Equal("RESPONSE_SIGNATURE_INVALID", e.ResultCode);
        Assert.True(e.IsRetryable);
        // AlipayHK did create ROT-2: the stale client's retry must not be recorded as a failure, and it is not lost.
        Assert.Equal(2, sim.State.Passes.Count);
        Assert.Equal("2", sim.Keys.PlatformSigner.KeyVersion);
    }

    [Fact]
    public async Task A_client_whose_base_url_has_a_path_works_against_a_simulator_mounted_under_it()
    {
        await using var sim = await TestSimulator.StartAsync(o => o.PathBase = "/sandbox");
        using var http = new HttpClient();
        using var key = new PemAlipaySigner(TestKeys.MerchantPrivatePem);
        Assert.EndsWith("/sandbox/", sim.BaseUrl.AbsoluteUri, StringComparison.Ordinal);
        using var client = Client(http, key, sim, sim.PlatformPublicKey, baseUrl: new Uri(sim.BaseUrl.AbsoluteUri.TrimEnd('/')));

        var template = await client.GetTemplateDetailAsync(new TemplateDetailRequest { TemplateCode = "TPL-MEMBER" });
        var created = await client.CreatePassAsync(Pass("BASE-1"));

        Assert.Equal("valid", template.Status);
        Assert.NotNull(sim.State.Passes.Find(created.PassId!));
        Assert.All(sim.State.Calls.List(), call => Assert.StartsWith("/sandbox/api/open/", call.Path, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_request_signed_without_the_prefix_is_refused_under_a_prefix()
    {
        await using var sim = await TestSimulator.StartAsync(o => o.PathBase = "/sandbox");
        using var merchant = new MerchantCaller(sim);

        // MerchantCaller signs "/api/open/..." while its base address sends the request to "/sandbox/api/open/...".
        var call = await merchant.PostAsync(ApiPaths.TemplateDetail, new JsonObject { ["templateCode"] = "TPL-MEMBER", ["merchantId"] = TestSimulator.MerchantId });

        Assert.Equal("INVALID_SIGNATURE", call.ResultCode);
        var record = Assert.Single(sim.State.Calls.List());
        Assert.Equal("/sandbox" + ApiPaths.TemplateDetail, record.Path);
    }

    [Theory]
    [InlineData("127.0.0.1", HttpStatusCode.OK)]
    [InlineData("localhost", HttpStatusCode.OK)]
    [InlineData("LOCALHOST:5180", HttpStatusCode.OK)]
    [InlineData("[::1]:5180", HttpStatusCode.OK)]
    [InlineData("attacker.example", HttpStatusCode.Forbidden)]
    [InlineData("attacker.example:5180", HttpStatusCode.Forbidden)]
    [InlineData("127.0.0.1.nip.io", HttpStatusCode.Forbidden)]
    public async Task Admin_endpoints_answer_a_loopback_Host_only(string host, HttpStatusCode expected)
    {
        await using var sim = await TestSimulator.StartAsync();
        using var http = new HttpClient { BaseAddress = sim.BaseUrl };

        foreach (var path in new[] { "admin/info", "" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Host = host;
            using var response = await http.SendAsync(request);
            Assert.Equal(expected, response.StatusCode);
        }
        using var rotate = new HttpRequestMessage(HttpMethod.Post, "admin/platform-key/rotate") { Content = JsonContent.Create(new { }) };
        rotate.Headers.Host = host;
        var before = sim.PlatformPublicKey;
        using var rotated = await http.SendAsync(rotate);
        Assert.Equal(expected, rotated.StatusCode);
        Assert.Equal(expected == HttpStatusCode.OK, before != sim.PlatformPublicKey);
    }

    [Fact]
    public async Task Webhook_bodies_and_answers_carry_a_plus_sign_as_is()
    {
        await using var merchant = await TestMerchant.StartAsync();
        await using var sim = await TestSimulator.StartAsync(o =>
        {
            o.Webhooks.TargetBaseUrl = merchant.BaseUrl;
            o.Webhooks.MerchantTag = "shop1";
            o.Webhooks.TimeFactor = 100_000;
        });

        var delivery = await sim.Webhooks.SendBillNotifyAsync(new Bill
        {
            UserId = UserId, BillNo = "B-PLUS", Currency = "HKD", Value = 100, MerchantName = "A+B Tea",
            PayTime = new DateTimeOffset(2026, 11, 22, 10, 15, 30, TimeSpan.FromHours(8)),
        });
        await delivery.WaitAsync(TestContext.Token);

        var raw = Encoding.UTF8.GetString(Assert.Single(merchant.Received).Raw);
        Assert.Contains("\"payTime\":\"2026-11-22T10:15:30+08:00\"", raw, StringComparison.Ordinal);
        Assert.Contains("\"A+B Tea\"", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u002B", raw, StringComparison.OrdinalIgnoreCase);

        // The simulator's own answers too: applyToken's expiry times carry an offset.
        using var caller = new MerchantCaller(sim);
        var code = await AuthorizationTests.IssueAuthCodeAsync(caller, UserId);
        var tokens = await caller.PostAsync(ApiPaths.ApplyToken, AuthorizationTests.AuthCodeGrant(code));
        tokens.AssertVerifiedSuccess();
        Assert.Contains("+08:00\"", tokens.Raw, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u002B", tokens.Raw, StringComparison.OrdinalIgnoreCase);
    }
}
