using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AlipayFunctions.Storage;
using AlipayFunctions.Loyalty;
using AlipayFunctions.MiniApp;
using AlipayFunctions.Testing;
using AlipayFunctions.Tests.Infrastructure;
using AlipayHK.Simulator.Bills;
using Microsoft.AspNetCore.Http;

namespace AlipayFunctions.Tests;

/// <summary>The mall mini-app channel: authorise with an auth code, upload a batch of bills with the session.</summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class MiniAppTests(AzuriteFixture azurite)
{
    private static readonly byte[] SessionSecret = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public async Task Authorize_then_upload_a_batch_applies_its_bills_once()
    {
        await using var app = await TestApp.StartAsync(azurite, new TestAppOptions { Settings = { ["MiniApp:SessionSecret"] = Convert.ToBase64String(SessionSecret) } });
        var user = TestApp.NewUserId();
        var code = app.Sim.State.Authorizations.IssueAuthCode(user);

        using var authorized = await app.Http.PostAsJsonAsync("/miniapp/authorize", new { authCode = code.AuthCode });
        var text = await authorized.Content.ReadAsStringAsync();
        Assert.True(authorized.StatusCode == HttpStatusCode.OK, text);
        var answer = JsonNode.Parse(text)!.AsObject();
        var memberId = answer["memberId"]!.GetValue<string>();
        var session = answer["sessionToken"]!.GetValue<string>();
        Assert.Equal(["expiresAt", "memberId", "sessionToken"], answer.Select(p => p.Key).Order(StringComparer.Ordinal));

        // The AlipayHK tokens stay server-side.
        var tokens = (await app.Table.GetEntityAsync<Azure.Data.Tables.TableEntity>(user, "token")).Value;
        var accessToken = tokens.GetString("AccessToken")!;
        Assert.Equal(user, app.Sim.State.Authorizations.ResolveAccessToken(accessToken));
        Assert.DoesNotContain(accessToken, text, StringComparison.Ordinal);
        Assert.DoesNotContain(tokens.GetString("RefreshToken")!, text, StringComparison.Ordinal);

        await app.WaitForCardAsync(memberId, 0, user);

        var batch = new BillBatchRequest { UserId = user, MallGroupLabel = "MALLGROUP", MallLabel = "MALL1" };
        batch.Bills.Add(new Bill { BillNo = "MA1-" + user, Value = 1234 });
        batch.Bills.Add(new Bill { BillNo = "MA2-" + user, Value = 2000, PointsProvider = "ALIPAYCN" });
        var batchNo = app.Sim.State.Bills.Add(batch).BatchNo;

        var uploaded = await UploadAsync(app, session, batchNo);
        Assert.Equal(HttpStatusCode.OK, uploaded.Status);
        Assert.Equal(2, uploaded.Body!["queued"]!.GetValue<int>());
        await app.WaitForCardAsync(memberId, 32, user);

        // The same batch again, and one of its bills through bill/notify: the same dedupe, nothing changes.
        Assert.Equal(HttpStatusCode.OK, (await UploadAsync(app, session, batchNo)).Status);
        (await app.NotifyBillAsync(user, "MA1-" + user, 1234)).AssertSignedSuccess();
        await Eventually.UntilAsync(async () => await app.MessageCountAsync(AppStorage.BillsQueue) == 0, "the resent bills to be processed");
        Assert.Equal(32, (await app.MemberAsync(user))!.Points);
        var bills = await app.BillRowsAsync(user);
        Assert.Equal(2, bills.Count);
        Assert.All(bills, b => Assert.Equal(BillMessage.FromMiniApp, b.GetString("Source")));
    }

    [Fact]
    public async Task Bad_expired_or_missing_sessions_and_bad_auth_codes_are_refused()
    {
        await using var app = await TestApp.StartAsync(azurite, new TestAppOptions { Settings = { ["MiniApp:SessionSecret"] = Convert.ToBase64String(SessionSecret) } });
        var user = TestApp.NewUserId();
        var batch = new BillBatchRequest { UserId = user };
        batch.Bills.Add(new Bill { BillNo = "X-" + user, Value = 1000 });
        var batchNo = app.Sim.State.Bills.Add(batch).BatchNo;

        var genuine = new SessionTokens(SessionSecret, TimeSpan.FromHours(1), TimeProvider.System).Issue(user).Token;
        var expired = new SessionTokens(SessionSecret, TimeSpan.FromSeconds(-1), TimeProvider.System).Issue(user).Token;
        var forged = new SessionTokens(RandomNumberGenerator.GetBytes(32), TimeSpan.FromHours(1), TimeProvider.System).Issue(user).Token;
        var tampered = genuine[..^2] + (genuine[^2] == 'A' ? "B" : "A") + genuine[^1];

        foreach (var token in new[] { null, "", "garbage", expired, forged, tampered })
        {
            var refused = await UploadAsync(app, token, batchNo);
            Assert.True(refused.Status == HttpStatusCode.Unauthorized, $"token '{token}': {refused.Status}");
        }
        // A genuine session of a user who never authorised: still refused (no AlipayHK token to query with).
        Assert.Equal(HttpStatusCode.Unauthorized, (await UploadAsync(app, genuine, batchNo)).Status);
        Assert.Equal(0, await app.VisibleMessagesAsync(AppStorage.BillsQueue));

        // An unknown, and a used, auth code.
        using (var bad = await app.Http.PostAsJsonAsync("/miniapp/authorize", new { authCode = "not-a-code" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }
        var code = app.Sim.State.Authorizations.IssueAuthCode(user).AuthCode;
        using (var first = await app.Http.PostAsJsonAsync("/miniapp/authorize", new { authCode = code }))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        using (var reused = await app.Http.PostAsJsonAsync("/miniapp/authorize", new { authCode = code }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, reused.StatusCode);
        }
    }

    [Fact]
    public async Task A_request_that_is_not_JSON_by_its_Content_Type_gets_415_before_any_signing_or_rate_limit()
    {
        // One request per client per minute: a refusal that spent the bucket would leave the genuine request a 429.
        await using var app = await AppServicesHarness.StartAsync(azurite, s => s["MiniApp:RequestsPerMinutePerClient"] = "1");
        var miniApp = app.Get<MiniAppService>();
        var user = TestApp.NewUserId();
        // A genuine auth code and session: without the check each request would go on to applyToken or bill/query.
        var authorize = $$"""{"authCode":"{{app.Sim.State.Authorizations.IssueAuthCode(user).AuthCode}}"}""";
        var session = new SessionTokens(app.Settings.MiniApp.SessionSecret!, TimeSpan.FromHours(1), TimeProvider.System).Issue(user).Token;

        foreach (var contentType in new[] { null, "", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                     "application/jsonp", "application/json-seq", "text/json", ";;;", "application/json, text/plain" })
        {
            foreach (var bills in new[] { false, true })
            {
                var answer = bills
                    ? await miniApp.UploadBillsAsync(MiniAppRequest(app, """{"batchNo":"B-1"}""", contentType, "Bearer " + session), default)
                    : await miniApp.AuthorizeAsync(MiniAppRequest(app, authorize, contentType), default);
                var refused = Assert.IsType<JsonAnswer<MiniAppError>>(answer);
                Assert.True(refused.StatusCode == StatusCodes.Status415UnsupportedMediaType, $"'{contentType}' ({(bills ? "bills" : "authorize")}): {refused.StatusCode} {refused.Value.Code}");
                Assert.Equal("UNSUPPORTED_MEDIA_TYPE", refused.Value.Code);
                Assert.Equal("Content-Type must be application/json.", refused.Value.Message);
            }
        }
        Assert.Empty(app.Sim.State.Calls.List());
        Assert.Equal(0, app.Get<AlipayFunctions.Signing.MerchantSigner>().SignaturesMade);

        // JSON with parameters, in any case, is JSON; and the client's one request of the minute is still there.
        var accepted = await miniApp.AuthorizeAsync(MiniAppRequest(app, authorize, "Application/JSON; charset=UTF-8"), default);
        Assert.Equal(StatusCodes.Status200OK, Assert.IsType<JsonAnswer<AuthorizeResponse>>(accepted).StatusCode);
    }

    /// <summary>A mini-app request as the worker hands it to the service, from one client address.</summary>
    private static HttpRequest MiniAppRequest(AppServicesHarness app, string body, string? contentType, string? authorization = null)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(body);
        var context = new DefaultHttpContext { RequestServices = app.Services };
        context.Connection.RemoteIpAddress = IPAddress.Parse("203.0.113.10");
        context.Request.Method = "POST";
        if (contentType is not null)
        {
            context.Request.ContentType = contentType;
        }
        if (authorization is not null)
        {
            context.Request.Headers.Authorization = authorization;
        }
        context.Request.ContentLength = bytes.Length;
        context.Request.Body = new MemoryStream(bytes);
        return context.Request;
    }

    private static async Task<(HttpStatusCode Status, JsonNode? Body)> UploadAsync(TestApp app, string? session, string batchNo)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/miniapp/bills") { Content = JsonContent.Create(new { batchNo }) };
        if (session is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + session);
        }
        using var response = await app.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null);
    }
}
