using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using AlipayFunctions.MiniApp;
using AlipayFunctions.Observability;
using AlipayFunctions.Settings;
using AlipayFunctions.Signing;
using AlipayFunctions.Storage;
using AlipayFunctions.Testing;
using AlipayFunctions.Tests.Infrastructure;
using AlipayHK.OpenApi.Signing;
using AlipayHK.Simulator.Bills;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace AlipayFunctions.Tests;

/// <summary>
/// Issue 14 (the app side): the mini-app endpoints are rate-limited, their signatures are capped so webhook answers
/// keep their share of the merchant key's budget, oversize and user-less input is refused. End-to-end through the
/// built worker under the local Functions host where the behaviour is the worker's; the budget's arithmetic at
/// service level with a clock the test drives.
/// </summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class AbuseTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    [Fact]
    public async Task A_client_over_its_limit_gets_429_with_Retry_After_and_other_clients_do_not()
    {
        await using var app = await TestApp.StartAsync(azurite, new TestAppOptions { Settings = { ["MiniApp:RequestsPerMinutePerClient"] = "3", [AlipayTimeout] = "00:00:10" } });
        // Real distinct clients: connections from 127.0.0.7 and 127.0.0.8 through the local host, which (as the real
        // host) sets X-Forwarded-For to the address it accepted, so what a client claims in that header is dropped.
        using var client = SourceAddressClient.Create(SourceAddressClient.Loopback(7), app.Host.BaseAddress);
        using var neighbour = SourceAddressClient.Create(SourceAddressClient.Loopback(8), app.Host.BaseAddress);

        for (var i = 0; i < 3; i++)
        {
            using var allowed = await AuthorizeAsync(client, "bogus-" + i);
            Assert.Equal(HttpStatusCode.BadRequest, allowed.StatusCode); // reached AlipayHK, which refused the code
        }
        using (var limited = await AuthorizeAsync(client, "bogus-4"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            var retryAfter = limited.Headers.RetryAfter?.Delta;
            Assert.NotNull(retryAfter);
            Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20)); // one token every 20 s
            Assert.Equal("TOO_MANY_REQUESTS", JsonNode.Parse(await limited.Content.ReadAsStringAsync())!["code"]!.GetValue<string>());
        }
        // The bills endpoint shares the client's limit, and refuses before it looks at the session.
        using (var bills = await client.SendAsync(Post("/miniapp/bills", """{"batchNo":"B"}""")))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, bills.StatusCode);
        }
        // Claiming other addresses in X-Forwarded-For does not make it another client: a public one, a chain, or
        // another loopback address the worker would trust as a proxy.
        foreach (var claimed in new[] { "198.51.100.1", "198.51.100.1, 203.0.113.7", "127.0.0.9", "[2001:db8::1]:41234" })
        {
            using var spoofed = await AuthorizeAsync(client, "bogus-5", claimed);
            Assert.Equal(HttpStatusCode.TooManyRequests, spoofed.StatusCode);
        }
        // Nor does a proxy's client-address header while MiniApp:ClientAddressHeader is not set.
        using (var claimed = Post("/miniapp/authorize", """{"authCode":"bogus-5"}"""))
        {
            claimed.Headers.TryAddWithoutValidation("X-Azure-ClientIP", "198.51.100.2");
            using var ignored = await client.SendAsync(claimed);
            Assert.Equal(HttpStatusCode.TooManyRequests, ignored.StatusCode);
        }
        // ...and another address is another client, even when it claims to be the limited one.
        using (var other = await AuthorizeAsync(neighbour, "bogus-6", "127.0.0.7"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
        }
    }

    [Fact]
    public async Task Behind_a_proxy_the_client_address_header_names_each_clients_bucket_through_the_host()
    {
        await using var app = await TestApp.StartAsync(azurite, new TestAppOptions
        {
            Settings = { ["MiniApp:RequestsPerMinutePerClient"] = "1", ["MiniApp:ClientAddressHeader"] = "X-Azure-ClientIP" },
        });
        // One connection address for all, as behind Front Door; the header reaches the worker through the host.
        async Task<HttpStatusCode> AuthorizeAs(string? clientAddress)
        {
            using var request = Post("/miniapp/authorize", "{}"); // 400 PARAM_ILLEGAL when admitted: nothing is signed
            if (clientAddress is not null)
            {
                request.Headers.TryAddWithoutValidation("X-Azure-ClientIP", clientAddress);
            }
            using var response = await app.Http.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.BadRequest, await AuthorizeAs("203.0.113.1"));
        Assert.Equal(HttpStatusCode.BadRequest, await AuthorizeAs("203.0.113.2"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await AuthorizeAs("203.0.113.1"));
        // Without a usable header: the connection's bucket, shared by all such requests.
        Assert.Equal(HttpStatusCode.BadRequest, await AuthorizeAs(null));
        Assert.Equal(HttpStatusCode.TooManyRequests, await AuthorizeAs("not-an-address"));
    }

    [Fact]
    public async Task A_flood_of_bogus_authorizations_spends_at_most_the_mini_app_budget_while_bill_notify_stays_signed()
    {
        const int flood = 1_000;
        const int miniAppPerSecond = 5;
        await using var app = await TestApp.StartAsync(azurite, new TestAppOptions
        {
            Settings =
            {
                // Only the signing cap limits the flood here: the request limits are opened wide.
                ["MiniApp:RequestsPerMinutePerClient"] = "100000",
                ["MiniApp:RequestsPerSecond"] = "100000",
                ["Signing:SignaturesPerSecond"] = "200",
                ["Signing:MiniAppSignaturesPerSecond"] = miniAppPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [DiagnosticCountersKey] = "true",
                [AlipayTimeout] = "00:00:10",
            },
        });
        var user = TestApp.NewUserId();
        await app.CreateMemberAsync(user);
        // bill/notify alone first, for comparison.
        var quiet = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            var one = Stopwatch.StartNew();
            (await app.NotifyBillAsync(user, $"QUIET-{i}-{user}", 1000)).AssertSignedSuccess();
            quiet.Add(one.Elapsed.TotalMilliseconds);
        }
        quiet.Sort();
        var before = await CountersAsync(app);

        var clock = Stopwatch.StartNew();
        var statuses = new System.Collections.Concurrent.ConcurrentBag<HttpStatusCode>();
        var next = 0;
        var flooders = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= flood)
            {
                using var response = await AuthorizeAsync(app.Http, "made-up-" + Guid.NewGuid().ToString("N"));
                statuses.Add(response.StatusCode);
            }
        })).ToArray();

        // bill/notify during the flood: every answer signed SUCCESS, each a new signature (a new bill each time).
        var latencies = new List<double>();
        var billNo = 0;
        while (!flooders.All(f => f.IsCompleted))
        {
            var one = Stopwatch.StartNew();
            var answer = await app.NotifyBillAsync(user, $"FLOOD-{billNo++}-{user}", 1000);
            latencies.Add(one.Elapsed.TotalMilliseconds);
            answer.AssertSignedSuccess();
            Assert.True(answer.SignatureValid);
        }
        await Task.WhenAll(flooders);
        var seconds = clock.Elapsed.TotalSeconds;
        var after = await CountersAsync(app);

        var miniAppSigned = after["miniAppSignaturesMade"]!.GetValue<long>() - before["miniAppSignaturesMade"]!.GetValue<long>();
        var refused = statuses.Count(s => s == HttpStatusCode.TooManyRequests);
        var reachedAlipay = flood - refused; // 400 from AlipayHK's refusal of the made-up code (or 503 if it was slow)
        latencies.Sort();
        output.WriteLine($"flood {flood} in {seconds:0.0} s: {reachedAlipay} reached AlipayHK (400), {refused} refused (429), mini-app signatures {miniAppSigned} " +
            $"(budget {miniAppPerSecond}/s => at most {miniAppPerSecond * (Math.Ceiling(seconds) + 1)}); bill/notify during it: {latencies.Count} answers, " +
            $"median {latencies[latencies.Count / 2]:0} ms, p95 {latencies[(int)(latencies.Count * 0.95)]:0} ms, max {latencies[^1]:0} ms " +
            $"(without the flood: median {quiet[quiet.Count / 2]:0} ms, max {quiet[^1]:0} ms); " +
            $"priority signatures over budget {after["signaturesOverBudget"]}");

        Assert.Equal(flood, statuses.Count);
        Assert.All(statuses, s => Assert.Contains(s, new[] { HttpStatusCode.TooManyRequests, HttpStatusCode.BadRequest, HttpStatusCode.ServiceUnavailable }));
        Assert.Equal(miniAppSigned, reachedAlipay); // one signature per authorisation that went out, none for a refused one
        Assert.InRange(miniAppSigned, 1, miniAppPerSecond * ((long)Math.Ceiling(seconds) + 1));
        Assert.NotEmpty(latencies);
        Assert.Equal(0, after["signaturesOverBudget"]!.GetValue<long>());
    }

    [Fact]
    public async Task Oversize_mini_app_bodies_are_refused_with_413_also_when_chunked()
    {
        await using var app = await TestApp.StartAsync(azurite);
        var big = "{\"authCode\":\"x\",\"pad\":\"" + new string('a', 20_000) + "\"}";

        using (var withLength = await app.Http.SendAsync(Post("/miniapp/authorize", big)))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, withLength.StatusCode);
        }
        // Chunked: no Content-Length to check first, so only the bounded read on the stream can refuse it.
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "/miniapp/authorize") { Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big))) };
        chunked.Headers.TransferEncodingChunked = true;
        chunked.Content.Headers.ContentType = new("application/json");
        using var answer = await app.Http.SendAsync(chunked);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, answer.StatusCode);
        Assert.Equal("BODY_TOO_LARGE", JsonNode.Parse(await answer.Content.ReadAsStringAsync())!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Bills_from_bill_query_without_a_userId_are_refused_not_credited_to_the_session()
    {
        await using var app = await TestApp.StartAsync(azurite, new TestAppOptions { Settings = { [AlipayTimeout] = "00:00:10" } });
        var user = TestApp.NewUserId();
        var code = app.Sim.State.Authorizations.IssueAuthCode(user).AuthCode;
        string session;
        using (var authorized = await AuthorizeAsync(app.Http, code))
        {
            Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
            session = JsonNode.Parse(await authorized.Content.ReadAsStringAsync())!["sessionToken"]!.GetValue<string>();
        }
        var batch = new BillBatchRequest { UserId = user, MallGroupLabel = "MALLGROUP", MallLabel = "MALL1" };
        batch.Bills.Add(new Bill { BillNo = "NOUSER-" + user, Value = 5000 });
        batch.Bills.Add(new Bill { BillNo = "MINE-" + user, Value = 1000 });
        var stored = app.Sim.State.Bills.Add(batch);
        // AlipayHK's answer for the first bill names no user (the simulator always fills it in, so it is taken out).
        Assert.True(stored.Bills[0].Remove("userId"));

        using var request = Post("/miniapp/bills", $$"""{"batchNo":"{{stored.BatchNo}}"}""");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + session);
        using var response = await app.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var body = JsonNode.Parse(text)!;
        Assert.Equal(1, body["queued"]!.GetValue<int>());
        var rejected = Assert.Single(body["rejected"]!.AsArray());
        Assert.StartsWith("NOUSER-" + user + ":", rejected!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("userId", rejected.GetValue<string>(), StringComparison.Ordinal);

        await Eventually.UntilAsync(async () => (await app.MemberAsync(user))?.Points == 10, "the user's own bill to be applied");
        Assert.Single(await app.BillRowsAsync(user));
    }

    [Fact]
    public void The_mini_app_class_never_spends_more_than_its_cap_nor_what_webhooks_need()
    {
        var clock = new ManualClock();
        using var budget = new SigningBudget(perSecond: 10, miniAppPerSecond: 3, clock);

        // A flood: 3 of 1,000 mini-app signatures go ahead in the second, the rest are refused.
        var allowed = Enumerable.Range(0, 1_000).Count(_ => TryTake(budget, SigningClass.MiniApp));
        Assert.Equal(3, allowed);
        Assert.Equal(997, budget.Refused);
        // Webhook answers still have the rest of the second's budget, and are never refused beyond it.
        for (var i = 0; i < 7; i++)
        {
            budget.Take(SigningClass.Priority);
        }
        Assert.Equal(0, budget.OverBudget);
        budget.Take(SigningClass.Priority);
        Assert.Equal(1, budget.OverBudget);

        // Next second: webhooks spend the whole budget first, so the mini-app gets nothing though its cap is unspent.
        clock.Tick();
        for (var i = 0; i < 10; i++)
        {
            budget.Take(SigningClass.Priority);
        }
        Assert.False(TryTake(budget, SigningClass.MiniApp));
        clock.Tick();
        Assert.True(TryTake(budget, SigningClass.MiniApp));
    }

    [Fact]
    public async Task Signatures_inside_a_mini_app_scope_are_capped_and_others_are_not()
    {
        var clock = new ManualClock();
        using var signer = new MerchantSigner(new PemAlipaySigner(TestKeys.MerchantPrivateKeyPem), new SigningBudget(100, 2, clock));
        var data = Encoding.UTF8.GetBytes("POST /x\nclient.1\n2026-12-02T15:00:00+08:00.{}");

        await SignAsMiniAppAsync(signer, data, expectRefusedAfter: 2);
        // Outside the scope (the flow that made the mini-app signatures has ended): webhook class, not refused.
        Assert.Equal(SigningClass.Priority, MerchantSigner.CurrentClass);
        for (var i = 0; i < 20; i++)
        {
            Assert.NotEmpty(await signer.SignAsync(data));
        }
        Assert.Equal(22, signer.SignaturesMade);
        Assert.Equal(2, signer.MiniAppSignaturesMade);
    }

    [Theory]
    // The worker's forwarded-headers step already moved the host's entry into the connection's address; a header
    // still on the request (what the client claimed) is never read.
    [InlineData("198.51.100.1", "203.0.113.7", "203.0.113.7")]
    [InlineData("198.51.100.1, 203.0.113.8", "203.0.113.7", "203.0.113.7")]
    [InlineData("", "::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("", "2001:db8::2", "2001:db8::2")]
    // Forwarded headers not applied: the host's loopback address, one bucket for all such requests.
    [InlineData("203.0.113.9", "127.0.0.1", "127.0.0.1")]
    [InlineData("203.0.113.9", null, "unknown")]
    public void The_client_address_is_the_connections_after_forwarded_headers_never_the_header(string forwarded, string? connection, string expected)
    {
        var context = new DefaultHttpContext();
        if (forwarded.Length > 0)
        {
            context.Request.Headers["X-Forwarded-For"] = forwarded;
        }
        context.Connection.RemoteIpAddress = connection is null ? null : IPAddress.Parse(connection);
        Assert.Equal(expected, MiniAppRateLimiter.ClientAddress(context.Request));
    }

    [Fact]
    public void The_client_address_header_when_set_gives_each_client_behind_the_proxy_its_own_bucket()
    {
        using var limiter = new MiniAppRateLimiter(LimiterSettings("X-Azure-ClientIP"));

        // Both through the same Front Door address: each has its own one request a minute.
        Assert.Null(limiter.Refuse(FromProxy("203.0.113.1")));
        Assert.Null(limiter.Refuse(FromProxy("203.0.113.2")));
        Assert.NotNull(limiter.Refuse(FromProxy("203.0.113.1")));
        Assert.NotNull(limiter.Refuse(FromProxy("::ffff:203.0.113.2"))); // the same client over IPv6
        Assert.Null(limiter.Refuse(FromProxy("2001:db8::7")));
        Assert.Equal("203.0.113.1", limiter.ClientKey(FromProxy(" 203.0.113.1 ")));
    }

    [Fact]
    public void The_client_address_header_is_ignored_without_the_setting_so_a_client_cannot_choose_its_bucket()
    {
        using var limiter = new MiniAppRateLimiter(LimiterSettings(header: null));

        Assert.Null(limiter.Refuse(FromProxy("203.0.113.1")));
        Assert.NotNull(limiter.Refuse(FromProxy("203.0.113.2")));
        Assert.NotNull(limiter.Refuse(FromProxy(null)));
        Assert.Equal(ProxyAddress, limiter.ClientKey(FromProxy("203.0.113.3")));
    }

    [Fact]
    public void An_unusable_client_address_header_falls_back_to_the_connection_counted_and_logged_once()
    {
        using var meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var metrics = new AppMetrics(meters.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), () => 0);
        var logger = new ListLogger<MiniAppRateLimiter>();
        using var limiter = new MiniAppRateLimiter(LimiterSettings("X-Azure-ClientIP"), metrics, logger);
        var counted = new List<string>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == AppMetrics.MeterName && instrument.Name == "miniapp.client_address.fallbacks")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) => counted.Add((string)tags[0].Value!));
        listener.Start();

        string?[] unusable =
        [
            null, "", "   ", "unknown", "203.0.113.1, 198.51.100.9", "203.0.113.1:443", "[2001:db8::1]:443", "[2001:db8::1]",
            "fe80::1%eth0", "10.1", "0x7f.0.0.1", "010.0.0.1", "203.0.113.256", "203.0.113.1\r\nX-Evil: 1", new string('1', 5000),
        ];
        foreach (var value in unusable)
        {
            Assert.Equal(ProxyAddress, limiter.ClientKey(FromProxy(value)));
        }
        var twice = FromProxy("203.0.113.1");
        twice.Headers.Append("X-Azure-ClientIP", "203.0.113.2");
        Assert.Equal(ProxyAddress, limiter.ClientKey(twice));

        Assert.Equal(["missing", .. Enumerable.Repeat("malformed", unusable.Length)], counted);
        var line = Assert.Single(logger.Lines);
        Assert.Contains("X-Azure-ClientIP", line, StringComparison.Ordinal);
        // They all share the proxy's bucket: one request a minute between them.
        Assert.Null(limiter.Refuse(FromProxy("not an address")));
        Assert.NotNull(limiter.Refuse(FromProxy(null)));
    }

    [Fact]
    public void The_channel_is_on_with_an_AppId_and_then_requires_the_session_secret()
    {
        var settings = BaseSettings();
        settings["MiniApp:AppId"] = "MINIAPP-1";
        settings.Remove("MiniApp:SessionSecret");
        var e = Assert.Throws<SettingsException>(() => AppSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(settings).Build()));
        Assert.Equal("MiniApp:SessionSecret", e.Key);

        // A secret alone does not turn the channel on.
        settings.Remove("MiniApp:AppId");
        settings["MiniApp:SessionSecret"] = Convert.ToBase64String(new byte[32]);
        Assert.False(AppSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(settings).Build()).MiniApp.Enabled);

        settings["Signing:MiniAppSignaturesPerSecond"] = "500";
        settings["Signing:SignaturesPerSecond"] = "100";
        Assert.Equal("Signing:MiniAppSignaturesPerSecond",
            Assert.Throws<SettingsException>(() => AppSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())).Key);
    }

    [Fact]
    public async Task Each_poison_queue_length_is_reported_as_a_gauge_by_work_queue()
    {
        await using var harness = await AppServicesHarness.StartAsync(azurite);
        var poison = harness.Queues.GetQueueClient(AppStorage.PoisonQueue(AppStorage.BillsQueue));
        await poison.CreateIfNotExistsAsync();
        await poison.ClearMessagesAsync();
        await poison.SendMessageAsync("a");
        await poison.SendMessageAsync("b");
        // pass-sync's poison queue does not exist until the host first poisons a message: it counts 0.
        await harness.Queues.GetQueueClient(AppStorage.PoisonQueue(AppStorage.PassSyncQueue)).DeleteIfExistsAsync();

        var gauge = harness.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<PoisonQueueGauge>().Single();
        var seen = new Dictionary<string, long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == AppMetrics.MeterName && instrument.Name == "queue.poison.length")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) => seen[(string)tags[0].Value!] = value);
        listener.Start();

        listener.RecordObservableInstruments();
        Assert.Empty(seen); // nothing read yet: the gauge never waits on storage

        await gauge.RefreshAsync(CancellationToken.None);
        listener.RecordObservableInstruments();
        Assert.Equal(2, seen[AppStorage.BillsQueue]);
        Assert.Equal(0, seen[AppStorage.PassSyncQueue]);
        Assert.Equal(AppStorage.Queues.Order(StringComparer.Ordinal), seen.Keys.Order(StringComparer.Ordinal));
    }

    private const string DiagnosticCountersKey = "Diagnostics:ExposeCounters";

    // The tests' 1 s default can pass for an outage on a loaded machine (503); these tests are not about AlipayHK's speed.
    private const string AlipayTimeout = "AlipayHK:Timeout";

    private static async Task SignAsMiniAppAsync(MerchantSigner signer, byte[] data, int expectRefusedAfter)
    {
        using var scope = MerchantSigner.MiniAppScope();
        for (var i = 0; i < expectRefusedAfter; i++)
        {
            Assert.NotEmpty(await signer.SignAsync(data));
        }
        var refused = await Assert.ThrowsAsync<SigningBudgetExceededException>(async () => await signer.SignAsync(data));
        Assert.Equal(TimeSpan.FromSeconds(1), refused.RetryAfter);
    }

    private static bool TryTake(SigningBudget budget, SigningClass signingClass)
    {
        try
        {
            budget.Take(signingClass);
            return true;
        }
        catch (SigningBudgetExceededException)
        {
            return false;
        }
    }

    private static Dictionary<string, string?> BaseSettings() => new(StringComparer.OrdinalIgnoreCase)
    {
        ["AlipayHK:BaseUrl"] = "http://127.0.0.1:1/",
        ["AlipayHK:ClientId"] = "client",
        ["AlipayHK:MerchantId"] = "merchant",
        ["AlipayHK:PlatformPublicKey"] = TestKeys.MerchantPublicKey,
        ["Signing:Mode"] = "Pem",
        ["Signing:PrivateKeyPem"] = TestKeys.MerchantPrivateKeyPem,
        ["Webhooks:MerchantTag"] = "tag",
        ["Loyalty:TemplateCode"] = "T",
    };

    // What the worker sees behind Front Door: every connection is Front Door's.
    private const string ProxyAddress = "198.51.100.50";

    private static MiniAppSettings LimiterSettings(string? header) =>
        new("MINIAPP", "client", new byte[32], TimeSpan.FromHours(1), "", "", RequestsPerMinutePerClient: 1, RequestsPerSecond: 1_000) { ClientAddressHeader = header };

    private static HttpRequest FromProxy(string? clientAddress)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(ProxyAddress);
        if (clientAddress is not null)
        {
            context.Request.Headers["X-Azure-ClientIP"] = clientAddress;
        }
        return context.Request;
    }

    private static HttpRequestMessage Post(string path, string json, string? claimedForwardedFor = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (claimedForwardedFor is not null)
        {
            // What a client may put in the header itself; the host replaces it before the worker sees it.
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", claimedForwardedFor);
        }
        return request;
    }

    private static Task<HttpResponseMessage> AuthorizeAsync(HttpClient http, string authCode, string? claimedForwardedFor = null) =>
        http.SendAsync(Post("/miniapp/authorize", System.Text.Json.JsonSerializer.Serialize(new { authCode }), claimedForwardedFor));

    private static async Task<JsonNode> CountersAsync(TestApp app) =>
        JsonNode.Parse(await app.Http.GetStringAsync("/diagnostics/counters"))!;

    /// <summary>Keeps each formatted log line.</summary>
    private sealed class ListLogger<T> : Microsoft.Extensions.Logging.ILogger<T>
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }

    /// <summary>A clock whose once-a-second timers fire only when the test says a second has passed.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private readonly List<(TimerCallback Callback, object? State)> _timers = [];

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            _timers.Add((callback, state));
            return new Idle();
        }

        public void Tick()
        {
            foreach (var (callback, state) in _timers)
            {
                callback(state);
            }
        }

        private sealed class Idle : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose() { }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
