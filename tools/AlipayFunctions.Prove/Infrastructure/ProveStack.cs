using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AlipayFunctions.Storage;
using AlipayFunctions.Testing;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using AlipayHK.OpenApi.Signing;
using AlipayHK.Simulator;

namespace AlipayFunctions.Prove.Infrastructure;

/// <summary>What a run needs started.</summary>
internal sealed record StackOptions
{
    /// <summary>The app to run (<c>--app</c>): a publish folder; null for tools/publish.sh's artifacts/app.</summary>
    public string? AppPath { get; init; }

    /// <summary>How Azurite runs (in memory on free ports by default).</summary>
    public AzuriteStartOptions Azurite { get; init; } = new();

    /// <summary>
    /// Whether the queue functions run (off to measure the front door alone, or to see what it queued): off is the
    /// Functions app settings <c>AzureWebJobs.&lt;Function&gt;.Disabled</c>.
    /// </summary>
    public bool RunListeners { get; init; } = true;

    /// <summary>The simulator's webhook retry schedule is AlipayHK's divided by this.</summary>
    public double WebhookTimeFactor { get; init; } = 600;

    /// <summary>App settings added to (or replacing) the defaults, by configuration key (<c>Queues:PassSyncDelay</c>, or host.json
    /// overrides such as <c>AzureFunctionsJobHost:extensions:queues:maxDequeueCount</c>).</summary>
    public IReadOnlyDictionary<string, string> AppSettings { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Whether the mini-app channel is on (<c>MiniApp:AppId</c>, a fresh <c>MiniApp:SessionSecret</c>, the mall
    /// labels), as in Azure when the operator configures it; off by default, as the app is without an AppId.
    /// </summary>
    public bool MiniApp { get; init; }
}

/// <summary>
/// Azurite, the AlipayHK simulator (in this process) and the app (the published worker, a process of its own, under
/// the local Functions host in this process), wired together on free
/// loopback ports with fresh keys, plus clients to look at what the app stored.
/// </summary>
internal sealed class ProveStack : IAsyncDisposable
{
    public const string MerchantTag = "prove-shop";
    public const string TemplateCode = "TPL-MEMBER";
    public const string PointsVariable = "$points$";

    /// <summary>The mini-app's <c>MiniApp:AppId</c> when the channel is on.</summary>
    public const string MiniAppId = "PROVE-MINIAPP";

    private ProveStack(StackOptions options, AzuriteProcess azurite, SimulatorHost simulator, AppProcess app, AppLaunch launch, string merchantPrivatePem, byte[]? sessionSecret)
    {
        _launch = launch;
        Options = options;
        SessionSecret = sessionSecret;
        Azurite = azurite;
        Simulator = simulator;
        App = app;
        MerchantPrivatePem = merchantPrivatePem;
        // The app's own client factory over the same setting the app is given: base64 messages, as the trigger reads them.
        var storage = new ConfigurationBuilder().AddInMemoryCollection([new(StorageClients.ConnectionName, azurite.ConnectionString)]).Build();
        Queues = StorageClients.CreateQueueServiceClient(storage);
        Table = StorageClients.CreateTableServiceClient(storage).GetTableClient(AppStorage.LoyaltyTable);
        Http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), MaxConnectionsPerServer = 512 })
        {
            BaseAddress = app.BaseUrl,
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    public StackOptions Options { get; }

    public AzuriteProcess Azurite { get; private set; }

    public SimulatorHost Simulator { get; }

    public AppProcess App { get; private set; }

    private readonly AppLaunch _launch;

    public string MerchantPrivatePem { get; }

    /// <summary>The app's <c>MiniApp:SessionSecret</c> when the channel is on (<see cref="StackOptions.MiniApp"/>).</summary>
    public byte[]? SessionSecret { get; }

    public QueueServiceClient Queues { get; }

    public TableClient Table { get; }

    /// <summary>An HTTP client for the app (base address set).</summary>
    public HttpClient Http { get; }

    /// <summary>The path AlipayHK signs for bill/notify.</summary>
    public static string BillNotifyPath => $"/{MerchantTag}/points/bill/notify";

    /// <summary>The path AlipayHK signs for membercard/create.</summary>
    public static string MemberCardCreatePath => $"/{MerchantTag}/points/membercard/create";

    /// <summary>Signs as AlipayHK: the simulator's own platform signer.</summary>
    public AlipayMessageSigner PlatformSigner => Simulator.Keys.PlatformSigner;

    public static async Task<ProveStack> StartAsync(StackOptions options, CancellationToken ct)
    {
        using var merchant = RSA.Create(2048);
        var merchantPrivate = merchant.ExportPkcs8PrivateKeyPem();
        AzuriteProcess? azurite = null;
        SimulatorHost? simulator = null;
        try
        {
            azurite = await AzuriteProcess.StartAsync(options.Azurite, ct).ConfigureAwait(false);
            var appPort = AppProcess.FreePort();
            var simulatorOptions = new SimulatorOptions
            {
                ClientId = "PROVE-CLIENT-0001",
                MerchantId = "PROVE-MERCHANT-0001",
                MerchantPublicKey = merchant.ExportSubjectPublicKeyInfoPem(),
                MaxRecordedCalls = 1_000_000,
            };
            simulatorOptions.Webhooks.TargetBaseUrl = new Uri($"http://127.0.0.1:{appPort}/");
            simulatorOptions.Webhooks.MerchantTag = MerchantTag;
            simulatorOptions.Webhooks.TimeFactor = options.WebhookTimeFactor;
            simulatorOptions.Webhooks.AttemptTimeout = TimeSpan.FromSeconds(10);
            simulator = await SimulatorHost.StartAsync(simulatorOptions, ct).ConfigureAwait(false);

            var settings = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["AzureWebJobsStorage"] = azurite.ConnectionString,
                ["AlipayHK:BaseUrl"] = simulator.BaseUrl.ToString(),
                ["AlipayHK:ClientId"] = simulator.ClientId,
                ["AlipayHK:MerchantId"] = simulator.MerchantId,
                ["AlipayHK:PlatformPublicKey"] = simulator.PlatformPublicKey,
                ["Signing:Mode"] = "Pem",
                ["Signing:PrivateKeyPem"] = merchantPrivate,
                ["Webhooks:MerchantTag"] = MerchantTag,
                ["Loyalty:TemplateCode"] = TemplateCode,
                ["Loyalty:PointsVariable"] = PointsVariable,
                // Console logging at Information writes a line per webhook; production sends logs elsewhere.
                ["Logging:LogLevel:Default"] = "Warning",
            };
            byte[]? sessionSecret = null;
            if (options.MiniApp)
            {
                sessionSecret = RandomNumberGenerator.GetBytes(32);
                settings["MiniApp:AppId"] = MiniAppId;
                settings["MiniApp:SessionSecret"] = Convert.ToBase64String(sessionSecret);
                settings["MiniApp:MallGroupLabel"] = "MALLGROUP";
                settings["MiniApp:MallLabel"] = "MALL1";
            }
            if (!options.RunListeners)
            {
                foreach (var function in new[] { "ApplyBill", "CreatePass", "SyncPass" })
                {
                    settings[$"AzureWebJobs.{function}.Disabled"] = "true";
                }
            }
            foreach (var (key, value) in options.AppSettings)
            {
                settings[key] = value;
            }
            // Exactly as an operator configures it: app settings (environment variables), ':' written as '__'.
            var environment = settings.ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value, StringComparer.Ordinal);
            var launch = AppLaunch.Create(options.AppPath, environment);
            var app = await AppProcess.StartAtAsync(launch, appPort, Probe.Unsigned(BillNotifyPath), ct).ConfigureAwait(false);
            return new ProveStack(options, azurite, simulator, app, launch, merchantPrivate, sessionSecret);
        }
        catch
        {
            if (simulator is not null)
            {
                await simulator.DisposeAsync().ConfigureAwait(false);
            }
            if (azurite is not null)
            {
                await azurite.DisposeAsync().ConfigureAwait(false);
            }
            throw;
        }
    }

    /// <summary>
    /// Stops the host (and its worker) and starts a new one on the same port, as a cold instance starts: returns when
    /// the new worker answered <paramref name="probe"/> (<see cref="AppProcess.LastStartup"/> has the time).
    /// </summary>
    public async Task RestartHostAsync(Probe probe, CancellationToken ct)
    {
        var port = App.Port;
        await App.DisposeAsync().ConfigureAwait(false);
        App = await AppProcess.StartAtAsync(_launch, port, probe, ct).ConfigureAwait(false);
    }

    /// <summary>Stops Azurite (SIGTERM, so a persisted one saves) and starts it again on the same ports and folder.</summary>
    public async Task RestartAzuriteAsync(TimeSpan downtime, CancellationToken ct)
    {
        await Azurite.StopGracefullyAsync(TimeSpan.FromSeconds(20)).ConfigureAwait(false);
        await Azurite.DisposeAsync().ConfigureAwait(false);
        await Task.Delay(downtime, ct).ConfigureAwait(false);
        Azurite = await AzuriteProcess.StartAsync(Options.Azurite, ct).ConfigureAwait(false);
    }

    /// <summary>A bill/notify body as AlipayHK sends it (compact UTF-8 JSON).</summary>
    public static byte[] BillBody(string userId, string billNo, long value) =>
        Encoding.UTF8.GetBytes(new JsonObject
        {
            ["userId"] = userId,
            ["billNo"] = billNo,
            ["orderAmount"] = new JsonObject { ["currency"] = "HKD", ["value"] = value },
            ["payTime"] = AlipayTime.ToHeaderValue(DateTimeOffset.UtcNow),
            ["pointsProvider"] = "ALIPAYHK",
        }.ToJsonString());

    /// <summary>A request carrying a signed webhook, ready to send (build a new one per send).</summary>
    public static HttpRequestMessage WebhookRequest(string path, SignedMessage signed)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path.TrimStart('/')) { Content = new ReadOnlyMemoryContent(signed.Body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", AlipayHeaders.JsonContentType);
        request.Headers.TryAddWithoutValidation(AlipayHeaders.ClientId, signed.ClientId);
        request.Headers.TryAddWithoutValidation(AlipayHeaders.RequestTime, signed.Time);
        request.Headers.TryAddWithoutValidation(AlipayHeaders.Signature, signed.Signature);
        return request;
    }

    /// <summary>The member row of a user, or null when there is none.</summary>
    public async Task<TableEntity?> MemberRowAsync(string userId, CancellationToken ct)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(userId, "member", cancellationToken: ct).ConfigureAwait(false);
        return row.HasValue ? row.Value : null;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.DisposeAsync().ConfigureAwait(false);
        await Simulator.DisposeAsync().ConfigureAwait(false);
        await Azurite.DisposeAsync().ConfigureAwait(false);
    }
}
