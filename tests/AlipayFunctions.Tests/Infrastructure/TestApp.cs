using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlipayFunctions.Hosting;
using AlipayFunctions.Loyalty;
using AlipayFunctions.Storage;
using AlipayFunctions.Storage.Queues;
using AlipayFunctions.Storage.Tables;
using AlipayFunctions.Testing;
using AlipayHK.OpenApi.Signing;
using AlipayHK.Simulator;
using AlipayHK.Simulator.Passes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AlipayFunctions.Tests.Infrastructure;

/// <summary>How a <see cref="TestApp"/> is started.</summary>
internal sealed class TestAppOptions
{
    /// <summary>Configuration on top of the defaults (a null value removes a default).</summary>
    public Dictionary<string, string?> Settings { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Start as the Functions host would (<c>FUNCTIONS_CUSTOMHANDLER_PORT</c> set, no listeners).</summary>
    public bool CustomHandler { get; set; }

    /// <summary>A simulator to share (two app instances); by default each app gets its own.</summary>
    public SimulatorHost? Simulator { get; set; }

    /// <summary>Changes to the simulator's options before it starts.</summary>
    public Action<SimulatorOptions>? ConfigureSimulator { get; set; }

    /// <summary>Empty the app's queues before starting (off for a second instance on the same storage).</summary>
    public bool ClearQueues { get; set; } = true;

    /// <summary>The lowest log level captured.</summary>
    public LogLevel MinimumLogLevel { get; set; } = LogLevel.Information;
}

/// <summary>
/// The app under test, real everything: the AlipayHK simulator on a free loopback port, the function app built by
/// <see cref="FunctionsApp.Build"/> on Kestrel (port 0) against the shared Azurite, configuration from memory.
/// </summary>
internal sealed class TestApp : IAsyncDisposable
{
    public const string MerchantTag = "testmall";
    public const string TemplateCode = "TPL-MEMBER";
    public const string PointsVariable = "$points$";

    // Generated once per test run: RSA key generation is the slowest part of a start.
    private static readonly Lazy<(string Pem, string PublicKey)> MerchantKeyPair = new(GenerateKey);
    private static readonly Lazy<(string Pem, string PublicKey)> PlatformKeyPair = new(GenerateKey);

    private readonly bool _ownsSimulator;

    private TestApp(WebApplication app, SimulatorHost sim, bool ownsSimulator, CapturedLogs logs, Uri baseUrl)
    {
        App = app;
        Sim = sim;
        _ownsSimulator = ownsSimulator;
        Logs = logs;
        BaseUrl = baseUrl;
        Http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(30) };
        Queues = app.Services.GetRequiredService<QueueServiceClient>();
        Table = app.Services.GetRequiredService<ITableClient>();
        Ledger = app.Services.GetRequiredService<LoyaltyLedger>();
        MerchantVerifier = new AlipaySignatureVerifier(MerchantPublicKey);
    }

    /// <summary>The merchant's private key (PKCS#8 PEM) the app signs with.</summary>
    public static string MerchantPrivateKeyPem => MerchantKeyPair.Value.Pem;

    /// <summary>The merchant's public key, registered with the simulator.</summary>
    public static string MerchantPublicKey => MerchantKeyPair.Value.PublicKey;

    public WebApplication App { get; }

    public SimulatorHost Sim { get; }

    public CapturedLogs Logs { get; }

    public Uri BaseUrl { get; }

    public HttpClient Http { get; }

    public QueueServiceClient Queues { get; }

    public ITableClient Table { get; }

    public LoyaltyLedger Ledger { get; }

    /// <summary>Verifies what the app signs (its webhook answers) with the merchant's public key.</summary>
    public AlipaySignatureVerifier MerchantVerifier { get; }

    public static async Task<TestApp> StartAsync(AzuriteFixture azurite, TestAppOptions? options = null)
    {
        options ??= new TestAppOptions();
        var sim = options.Simulator;
        var ownsSimulator = sim is null;
        if (sim is null)
        {
            var simOptions = new SimulatorOptions { MerchantPublicKey = MerchantPublicKey, PlatformPrivateKey = PlatformKeyPair.Value.Pem };
            simOptions.Webhooks.MerchantTag = MerchantTag;
            simOptions.Webhooks.TimeFactor = 10_000; // AlipayHK's 2 min before the first retry becomes 12 ms
            simOptions.Webhooks.AttemptTimeout = TimeSpan.FromSeconds(10);
            options.ConfigureSimulator?.Invoke(simOptions);
            sim = await SimulatorHost.StartAsync(simOptions);
        }

        if (options.ClearQueues)
        {
            var queues = new QueueServiceClient(StorageAccount.Parse(azurite.ConnectionString));
            await Task.WhenAll(AppStorage.Queues.SelectMany(q => new[] { q, AppStorage.PoisonQueue(q) }).Select(async name =>
            {
                var queue = queues.GetQueueClient(name);
                await queue.CreateIfNotExistsAsync();
                await queue.ClearAsync();
            }));
        }

        var settings = DefaultSettings(azurite, sim);
        foreach (var (key, value) in options.Settings)
        {
            settings[key] = value;
        }
        var logs = new CapturedLogs();
        string[] args = options.CustomHandler ? ["--FUNCTIONS_CUSTOMHANDLER_PORT=0"] : ["--urls", "http://127.0.0.1:0"];
        WebApplication app;
        try
        {
            app = FunctionsApp.Build(args, builder =>
            {
                builder.Configuration.AddInMemoryCollection(settings);
                builder.Logging.ClearProviders();
                builder.Logging.SetMinimumLevel(options.MinimumLogLevel);
                builder.Logging.AddProvider(logs);
            });
            await app.StartAsync();
        }
        catch
        {
            if (ownsSimulator)
            {
                await sim.DisposeAsync();
            }
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var baseUrl = new Uri(address.TrimEnd('/') + "/");
        if (ownsSimulator)
        {
            sim.Options.Webhooks.TargetBaseUrl = baseUrl;
        }
        return new TestApp(app, sim, ownsSimulator, logs, baseUrl);
    }

    /// <summary>The configuration every test app starts from.</summary>
    public static Dictionary<string, string?> DefaultSettings(AzuriteFixture azurite, SimulatorHost sim) => new(StringComparer.OrdinalIgnoreCase)
    {
        ["AlipayHK:BaseUrl"] = sim.BaseUrl.ToString(),
        ["AlipayHK:ClientId"] = sim.ClientId,
        ["AlipayHK:MerchantId"] = sim.MerchantId,
        ["AlipayHK:PlatformPublicKey"] = sim.PlatformPublicKey,
        ["AlipayHK:Timeout"] = "00:00:01",
        ["Signing:Mode"] = "Pem",
        ["Signing:PrivateKeyPem"] = MerchantPrivateKeyPem,
        ["Webhooks:MerchantTag"] = MerchantTag,
        ["Loyalty:TemplateCode"] = TemplateCode,
        ["AzureWebJobsStorage"] = azurite.ConnectionString,
        ["Queues:RetryBaseDelay"] = "00:00:00.2",
        ["Queues:PassSyncDelay"] = "00:00:00.3",
        ["Queues:MaxPollingInterval"] = "00:00:00.2",
        ["Queues:VisibilityTimeout"] = "00:00:10",
        ["MiniApp:SessionSecret"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        ["MiniApp:AppId"] = "MINIAPP-TEST",
        ["MiniApp:MallGroupLabel"] = "MALLGROUP",
        ["MiniApp:MallLabel"] = "MALL1",
    };

    /// <summary>A user id no other test uses.</summary>
    public static string NewUserId(string prefix = "2160") =>
        prefix + string.Concat(RandomNumberGenerator.GetBytes(6).Select(b => (b % 100).ToString("D2", System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>A bill/notify body.</summary>
    public static string BillJson(string userId, string billNo, long value, string currency = "HKD", string provider = "ALIPAYHK") =>
        new JsonObject
        {
            ["userId"] = userId,
            ["billNo"] = billNo,
            ["orderAmount"] = new JsonObject { ["currency"] = currency, ["value"] = value },
            ["payTime"] = "2026-11-22T10:15:30+08:00",
            ["pointsProvider"] = provider,
            ["merchantName"] = "Test Shop",
        }.ToJsonString();

    /// <summary>A membercard/create body.</summary>
    public static string MemberCardJson(string userId, string? mobileNo = "85291234567", string? email = "someone@example.com") =>
        new JsonObject
        {
            ["userId"] = userId,
            ["mobileNo"] = mobileNo,
            ["userEmail"] = email,
            ["createCardChannel"] = "ALIPAYHK",
        }.ToJsonString();

    /// <summary>Sends a webhook as AlipayHK does: signed with the platform key over the public path.</summary>
    /// <param name="endpoint"><c>bill/notify</c> or <c>membercard/create</c>.</param>
    /// <param name="body">The raw body.</param>
    /// <param name="change">Changes to the signed request before it is sent (to break it).</param>
    /// <param name="tag">The merchant tag in the path.</param>
    public async Task<WebhookAnswer> PostWebhookAsync(string endpoint, string body, Action<HttpRequestMessage>? change = null, string tag = MerchantTag)
    {
        var path = $"/{tag}/points/{endpoint}";
        var bytes = Encoding.UTF8.GetBytes(body);
        var signed = await Sim.Keys.PlatformSigner.SignAsync(path, bytes);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(AlipayHeaders.JsonContentType);
        request.Headers.TryAddWithoutValidation(AlipayHeaders.ClientId, signed.ClientId);
        request.Headers.TryAddWithoutValidation(AlipayHeaders.RequestTime, signed.Time);
        request.Headers.TryAddWithoutValidation(AlipayHeaders.Signature, signed.Signature);
        change?.Invoke(request);
        using var response = await Http.SendAsync(request);
        return await WebhookAnswer.ReadAsync(response, request.RequestUri!.IsAbsoluteUri ? request.RequestUri.AbsolutePath : path, MerchantVerifier);
    }

    public Task<WebhookAnswer> NotifyBillAsync(string userId, string billNo, long value, string currency = "HKD", string provider = "ALIPAYHK") =>
        PostWebhookAsync("bill/notify", BillJson(userId, billNo, value, currency, provider));

    /// <summary>membercard/create; asserts a signed SUCCESS and returns the member id.</summary>
    public async Task<string> CreateMemberAsync(string userId)
    {
        var answer = await PostWebhookAsync("membercard/create", MemberCardJson(userId));
        answer.AssertSignedSuccess();
        return answer.MemberId ?? throw new InvalidOperationException("membercard/create answered no memberId: " + answer.Body);
    }

    public Task<Member?> MemberAsync(string userId) => Ledger.GetMemberAsync(userId, CancellationToken.None);

    /// <summary>The card the simulator holds for a member, or null.</summary>
    public PassSnapshot? Card(string memberId) => Sim.State.Passes.FindByBizSerialId(Sim.MerchantId, TemplateCode, memberId);

    /// <summary>The points a card shows (en_US), or null.</summary>
    public static long? CardPoints(PassSnapshot? card) =>
        card?.Variable("en_US", PointsVariable) is { } text ? long.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : null;

    /// <summary>Waits until the member's card exists and shows <paramref name="points"/>, and the ledger agrees.</summary>
    public async Task<PassSnapshot> WaitForCardAsync(string memberId, long points, string userId, TimeSpan? timeout = null)
    {
        await Eventually.UntilAsync(
            async () => CardPoints(Card(memberId)) == points && (await MemberAsync(userId))?.Points == points,
            $"the card of {memberId} to show {points} points",
            timeout,
            async () => $"card shows {CardPoints(Card(memberId))?.ToString() ?? "no card"}, ledger {(await MemberAsync(userId))?.ToString() ?? "no member"}");
        return Card(memberId)!;
    }

    /// <summary>How many messages are visible on a queue (up to 32).</summary>
    public async Task<int> VisibleMessagesAsync(string queue) => (await Queues.GetQueueClient(queue).PeekMessagesAsync(32)).Count;

    public Task<IReadOnlyList<TableEntity>> BillRowsAsync(string userId) => Ledger.GetBillsAsync(userId, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        MerchantVerifier.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        if (_ownsSimulator)
        {
            await Sim.DisposeAsync();
        }
    }

    private static (string, string) GenerateKey()
    {
        using var rsa = RSA.Create(2048);
        return (rsa.ExportPkcs8PrivateKeyPem(), Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo()));
    }
}

/// <summary>The app's answer to a webhook, with its signature checked against the merchant's public key.</summary>
internal sealed record WebhookAnswer(int Status, string Body, string? ResultStatus, string? ResultCode, string? MemberId, string? Signature, bool SignatureValid)
{
    public static async Task<WebhookAnswer> ReadAsync(HttpResponseMessage response, string path, AlipaySignatureVerifier verifier)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var body = Encoding.UTF8.GetString(bytes);
        string? status = null, code = null, memberId = null;
        try
        {
            using var json = JsonDocument.Parse(bytes);
            if (json.RootElement.TryGetProperty("result", out var result))
            {
                status = result.TryGetProperty("resultStatus", out var s) ? s.GetString() : null;
                code = result.TryGetProperty("resultCode", out var c) ? c.GetString() : null;
            }
            memberId = json.RootElement.TryGetProperty("memberId", out var m) ? m.GetString() : null;
        }
        catch (JsonException)
        {
        }
        string? Header(string name) => response.Headers.TryGetValues(name, out var values) ? values.First() : null;
        var signature = Header(AlipayHeaders.Signature);
        var valid = signature is not null && Header(AlipayHeaders.ResponseTime) is { } time && Header(AlipayHeaders.ClientId) is { } clientId
            && verifier.Verify("POST", path, clientId, time, bytes, signature) == SignatureRejection.None;
        return new WebhookAnswer((int)response.StatusCode, body, status, code, memberId, signature, valid);
    }

    public bool Signed => Signature is not null;

    public void AssertSignedSuccess()
    {
        Assert.True(Status == 200, $"HTTP {Status}: {Body}");
        Assert.Equal("S", ResultStatus);
        Assert.Equal("SUCCESS", ResultCode);
        Assert.True(SignatureValid, "the answer's signature does not verify with the merchant's public key");
    }
}
