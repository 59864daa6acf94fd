using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlipayFunctions.Loyalty;
using AlipayFunctions.Settings;
using AlipayFunctions.Storage;
using AlipayFunctions.Testing;
using AlipayHK.OpenApi.Signing;
using AlipayHK.Simulator;
using AlipayHK.Simulator.Passes;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using LocalFunctionsHost;
using FunctionsHost = LocalFunctionsHost.LocalFunctionsHost;

namespace AlipayFunctions.Tests.Infrastructure;

/// <summary>How a <see cref="TestApp"/> is started.</summary>
internal sealed class TestAppOptions
{
    /// <summary>App settings on top of the defaults (a null value removes a default), in configuration form (<c>A:B</c>).</summary>
    public Dictionary<string, string?> Settings { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A simulator to share (two app instances); by default each app gets its own.</summary>
    public SimulatorHost? Simulator { get; set; }

    /// <summary>Changes to the simulator's options before it starts.</summary>
    public Action<SimulatorOptions>? ConfigureSimulator { get; set; }

    /// <summary>Empty the app's queues before starting (off for a second instance on the same storage).</summary>
    public bool ClearQueues { get; set; } = true;

    /// <summary>The worker's lowest log level (Logging:LogLevel:Default).</summary>
    public string MinimumLogLevel { get; set; } = "Information";
}

/// <summary>
/// The app under test, real everything: the BUILT worker (functions/AlipayFunctions/bin/&lt;Configuration&gt;/net10.0)
/// run by <see cref="FunctionsHost"/> on a free loopback port, against the shared Azurite and an AlipayHK simulator.
/// The test reads storage with its own SDK clients and the ledger's own code.
/// </summary>
internal sealed class TestApp : IAsyncDisposable
{
    public const string MerchantTag = "testmall";
    public const string TemplateCode = "TPL-MEMBER";
    public const string PointsVariable = "$points$";

    /// <summary>How long to wait for work that a failure sends through a retry (host.json's visibilityTimeout is 30 s).</summary>
    public static readonly TimeSpan RetryTimeout = TimeSpan.FromMinutes(4);

    private readonly bool _ownsSimulator;
    private readonly ConcurrentQueue<InvocationCompletedEventArgs> _invocations = new();

    private TestApp(FunctionsHost host, SimulatorHost sim, bool ownsSimulator, CapturedLogs logs, string connectionString)
    {
        Host = host;
        Sim = sim;
        _ownsSimulator = ownsSimulator;
        Logs = logs;
        // Long enough for bursts of webhooks through the host's proxy on a loaded machine.
        Http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(120) };
        Queues = TestStorage.Queues(connectionString);
        Table = TestStorage.Tables(connectionString).GetTableClient(AppStorage.LoyaltyTable);
        Ledger = new LoyaltyLedger(Table, new LoyaltySettings(TemplateCode, EarnRules.Default, PointsVariable, "M", ["en_US", "zh_HK"]), TimeProvider.System);
        MerchantVerifier = new AlipaySignatureVerifier(MerchantPublicKey);
        host.InvocationCompleted += (_, e) => _invocations.Enqueue(e);
    }

    public static string MerchantPrivateKeyPem => TestKeys.MerchantPrivateKeyPem;

    public static string MerchantPublicKey => TestKeys.MerchantPublicKey;

    public FunctionsHost Host { get; }

    public SimulatorHost Sim { get; }

    public CapturedLogs Logs { get; }

    public HttpClient Http { get; }

    public QueueServiceClient Queues { get; }

    public TableClient Table { get; }

    public LoyaltyLedger Ledger { get; }

    /// <summary>Every invocation the host completed so far.</summary>
    public IReadOnlyList<InvocationCompletedEventArgs> Invocations => [.. _invocations];

    /// <summary>Verifies what the app signs (its webhook answers) with the merchant's public key.</summary>
    public AlipaySignatureVerifier MerchantVerifier { get; }

    public static async Task<SimulatorHost> StartSimulatorAsync(Action<SimulatorOptions>? configure = null)
    {
        var simOptions = new SimulatorOptions { MerchantPublicKey = MerchantPublicKey, PlatformPrivateKey = TestKeys.PlatformPrivateKeyPem };
        simOptions.Webhooks.MerchantTag = MerchantTag;
        simOptions.Webhooks.TimeFactor = 10_000; // AlipayHK's 2 min before the first retry becomes 12 ms
        simOptions.Webhooks.AttemptTimeout = TimeSpan.FromSeconds(10);
        configure?.Invoke(simOptions);
        return await SimulatorHost.StartAsync(simOptions);
    }

    public static async Task<TestApp> StartAsync(AzuriteFixture azurite, TestAppOptions? options = null)
    {
        options ??= new TestAppOptions();
        var sim = options.Simulator ?? await StartSimulatorAsync(options.ConfigureSimulator);
        var ownsSimulator = options.Simulator is null;
        try
        {
            if (options.ClearQueues)
            {
                var queues = TestStorage.Queues(azurite.ConnectionString);
                await Task.WhenAll(AppStorage.Queues.SelectMany(q => new[] { q, AppStorage.PoisonQueue(q) }).Select(async name =>
                {
                    var queue = queues.GetQueueClient(name);
                    await queue.CreateIfNotExistsAsync();
                    await queue.ClearMessagesAsync();
                }));
            }

            var settings = DefaultSettings(azurite.ConnectionString, sim);
            settings["Logging:LogLevel:Default"] = options.MinimumLogLevel;
            foreach (var (key, value) in options.Settings)
            {
                settings[key] = value;
            }
            var logs = new CapturedLogs();
            var hostOptions = new LocalHostOptions { ScriptRoot = WorkerBuild.ScriptRoot, Port = 0, Output = logs.Add, Verbose = true };
            foreach (var (key, value) in settings)
            {
                // App settings reach the worker as environment variables: '__' is the portable form of ':'.
                hostOptions.Settings[key.Replace(":", "__", StringComparison.Ordinal)] = value;
            }
            var host = await FunctionsHost.StartAsync(hostOptions);
            if (ownsSimulator)
            {
                sim.Options.Webhooks.TargetBaseUrl = host.BaseAddress;
            }
            return new TestApp(host, sim, ownsSimulator, logs, azurite.ConnectionString);
        }
        catch
        {
            if (ownsSimulator)
            {
                await sim.DisposeAsync();
            }
            throw;
        }
    }

    /// <summary>The configuration every test app starts from.</summary>
    public static Dictionary<string, string?> DefaultSettings(string storageConnectionString, SimulatorHost sim) => new(StringComparer.OrdinalIgnoreCase)
    {
        ["AlipayHK:BaseUrl"] = sim.BaseUrl.ToString(),
        ["AlipayHK:ClientId"] = sim.ClientId,
        ["AlipayHK:MerchantId"] = sim.MerchantId,
        ["AlipayHK:PlatformPublicKey"] = sim.PlatformPublicKey,
        // Generous: a cold worker on a loaded machine must not turn the first call into a U result (a 30 s retry).
        ["AlipayHK:Timeout"] = "00:00:05",
        ["Signing:Mode"] = "Pem",
        ["Signing:PrivateKeyPem"] = MerchantPrivateKeyPem,
        ["Webhooks:MerchantTag"] = MerchantTag,
        ["Loyalty:TemplateCode"] = TemplateCode,
        ["AzureWebJobsStorage"] = storageConnectionString,
        ["Queues:PassSyncDelay"] = "00:00:00.3",
        ["Queues:VisibilityTimeout"] = "00:00:10",
        // The host's retry delay and polling (host.json's values suit production, not a test run), for a host that
        // reads host.json overrides from app settings as the Functions host does.
        ["AzureFunctionsJobHost:extensions:queues:visibilityTimeout"] = "00:00:00.2",
        ["AzureFunctionsJobHost:extensions:queues:maxPollingInterval"] = "00:00:00.2",
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
    public async Task<int> VisibleMessagesAsync(string queue) => (await Queues.GetQueueClient(queue).PeekMessagesAsync(32)).Value.Length;

    /// <summary>The queue's approximate message count (visible and invisible).</summary>
    public async Task<int> MessageCountAsync(string queue) => (await Queues.GetQueueClient(queue).GetPropertiesAsync()).Value.ApproximateMessagesCount;

    public Task<IReadOnlyList<TableEntity>> BillRowsAsync(string userId) => Ledger.GetBillsAsync(userId, CancellationToken.None);

    /// <summary>How many visible messages on a queue (up to 32) name the user: other tests share the queues.</summary>
    public async Task<int> MessagesForAsync(string queue, string userId) =>
        (await Queues.GetQueueClient(queue).PeekMessagesAsync(32)).Value.Count(m => m.Body.ToString().Contains(userId, StringComparison.Ordinal));

    /// <summary>
    /// Everything converged for one member: the ledger's balance and the card show <paramref name="points"/>, the card
    /// is Active and current, AlipayHK holds one card for the user, each of <paramref name="bills"/> bills is one row,
    /// Applied, and no poison queue holds the user's work.
    /// </summary>
    public async Task AssertConvergedAsync(string userId, string memberId, long points, int bills)
    {
        var member = (await MemberAsync(userId))!;
        Assert.Equal(points, member.Points);
        Assert.Equal(PassState.Active, member.PassState);
        Assert.False(member.NeedsSync);
        Assert.Equal(points, CardPoints(Card(memberId)));
        Assert.Single(Sim.State.Passes.List(), p => p.UserId == userId); // one card, never a second
        var rows = await BillRowsAsync(userId);
        Assert.Equal(bills, rows.Count); // each bill once
        Assert.All(rows, r => Assert.Equal(nameof(BillState.Applied), r.GetString(nameof(BillState))));
        foreach (var queue in AppStorage.Queues)
        {
            Assert.Equal(0, await MessagesForAsync(AppStorage.PoisonQueue(queue), userId));
        }
    }

    public async ValueTask DisposeAsync()
    {
        // For a failed run: ALIPAYFUNCTIONS_TEST_LOGS=<folder> keeps every app's host and worker output.
        if (Environment.GetEnvironmentVariable("ALIPAYFUNCTIONS_TEST_LOGS") is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            await File.WriteAllTextAsync(Path.Combine(folder, $"app-{DateTime.UtcNow:HHmmss}-{Guid.NewGuid():N}.log"), Logs.AllText());
        }
        Http.Dispose();
        MerchantVerifier.Dispose();
        await Host.DisposeAsync();
        if (_ownsSimulator)
        {
            await Sim.DisposeAsync();
        }
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
