using System.Security.Cryptography;
using System.Text;
using AlipayFunctions.Loyalty;
using AlipayFunctions.Passes;
using AlipayFunctions.Settings;
using AlipayFunctions.Storage;
using AlipayFunctions.Testing;
using AlipayFunctions.Webhooks;
using AlipayHK.OpenApi.Signing;
using AlipayHK.Simulator;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AlipayFunctions.Cards.Tests;

[CollectionDefinition(AzuriteFixture.CollectionName)]
public sealed class AzuriteTests : ICollectionFixture<AzuriteFixture>;

/// <summary>
/// The app's feature services as the worker composes them (<see cref="AppServices.AddAppServices"/>: settings from
/// configuration, the real queues) with a ledger table of the harness's own, against the shared Azurite and a strict AlipayHK simulator; each harness has its own table.
/// </summary>
internal sealed class Harness : IAsyncDisposable
{
    public const string MerchantTag = "merchant";
    private static readonly Lazy<(string Pem, string PublicKey)> MerchantKey = new(() =>
    {
        using var rsa = RSA.Create(2048);
        return (rsa.ExportPkcs8PrivateKeyPem(), Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo()));
    });

    private readonly ServiceProvider _services;

    private Harness(ServiceProvider services, SimulatorHost sim)
    {
        _services = services;
        Sim = sim;
    }

    public SimulatorHost Sim { get; }
    public AppSettings Settings => _services.GetRequiredService<AppSettings>();
    public LoyaltyLedger Ledger => _services.GetRequiredService<LoyaltyLedger>();
    public PassCreation PassCreation => _services.GetRequiredService<PassCreation>();
    public PassSync PassSync => _services.GetRequiredService<PassSync>();
    public WebhookService Webhooks => _services.GetRequiredService<WebhookService>();
    public QueueServiceClient Queues => _services.GetRequiredService<QueueServiceClient>();
    public TableClient Table => _services.GetRequiredService<TableClient>();
    public T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    public static async Task<Harness> StartAsync(
        AzuriteFixture azurite,
        Action<Dictionary<string, string?>>? configure = null,
        Action<SimulatorOptions>? configureSimulator = null)
    {
        var simOptions = new SimulatorOptions { MerchantPublicKey = MerchantKey.Value.PublicKey };
        simOptions.Webhooks.MerchantTag = MerchantTag;
        configureSimulator?.Invoke(simOptions);
        var sim = await SimulatorHost.StartAsync(simOptions);
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["AlipayHK:BaseUrl"] = sim.BaseUrl.ToString(),
            ["AlipayHK:ClientId"] = sim.ClientId,
            ["AlipayHK:MerchantId"] = sim.MerchantId,
            ["AlipayHK:PlatformPublicKey"] = sim.PlatformPublicKey,
            ["AlipayHK:Timeout"] = "00:00:05",
            ["Signing:Mode"] = "Pem",
            ["Signing:PrivateKeyPem"] = MerchantKey.Value.Pem,
            ["Webhooks:MerchantTag"] = MerchantTag,
            ["Loyalty:TemplateCode"] = "TPL-MEMBER",
            ["Queues:VisibilityTimeout"] = "00:00:30",
            ["Queues:PassSyncDelay"] = "00:00:00",
        };
        values["AzureWebJobsStorage"] = azurite.ConnectionString;
        configure?.Invoke(values);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();

        // The composition the worker uses; only the table differs: each harness has one of its own, because the sweep
        // reads the whole attention index.
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddMetrics();
        services.AddSingleton<IConfiguration>(configuration);
        AppServices.AddAppServices(services, configuration);
        var table = azurite.NewTableName("cards");
        services.AddSingleton(sp => sp.GetRequiredService<TableServiceClient>().GetTableClient(table));
        var provider = services.BuildServiceProvider();
        foreach (var queue in AppStorage.Queues)
        {
            await provider.GetRequiredService<QueueServiceClient>().GetQueueClient(queue).CreateIfNotExistsAsync();
        }
        await provider.GetRequiredService<TableClient>().CreateIfNotExistsAsync();
        return new Harness(provider, sim);
    }

    public static string NewUser() => "2088" + Convert.ToHexString(RandomNumberGenerator.GetBytes(6));

    public static QueueDelivery MemberDelivery(string userId, string messageId = "message-1", long dequeueCount = 1) =>
        new($$"""{"userId":"{{userId}}"}""", messageId, dequeueCount, DateTimeOffset.UtcNow);

    public static BillMessage Bill(string userId, string billNo, long value = 1000) =>
        new(userId, billNo, "ALIPAYHK", "HKD", value, null, BillMessage.FromNotify, null);

    public Task<Enrolment> EnrolAsync(string userId) => Ledger.EnrolAsync(userId, new MemberProfile("TEST", null, null), default);

    /// <summary>Member messages for <paramref name="userId"/> waiting on a queue (peeked, left in place).</summary>
    public async Task<int> QueuedForAsync(string queue, string userId)
    {
        var peeked = await Queues.GetQueueClient(queue).PeekMessagesAsync(32);
        return peeked.Value.Count(m => m.Body.ToString().Contains(userId, StringComparison.Ordinal));
    }

    /// <summary>Takes the member messages for <paramref name="userId"/> off a queue, as deliveries the workers can run.</summary>
    public async Task<List<QueueDelivery>> TakeForAsync(string queue, string userId)
    {
        var client = Queues.GetQueueClient(queue);
        var taken = new List<QueueDelivery>();
        var messages = await client.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30));
        foreach (var m in messages.Value)
        {
            if (m.Body.ToString().Contains(userId, StringComparison.Ordinal))
            {
                taken.Add(new QueueDelivery(m.Body.ToString(), m.MessageId, m.DequeueCount, m.InsertedOn));
                await client.DeleteMessageAsync(m.MessageId, m.PopReceipt);
            }
            else
            {
                await client.UpdateMessageAsync(m.MessageId, m.PopReceipt, visibilityTimeout: TimeSpan.Zero);
            }
        }
        return taken;
    }

    /// <summary>A webhook as AlipayHK sends it (signed with the simulator's platform key), run through the app's service.</summary>
    public async Task<(int Status, string Body, IHeaderDictionary Headers)> WebhookAsync(
        string endpoint, string json, Action<IHeaderDictionary>? headers = null, string? requestTime = null)
    {
        var path = $"/{MerchantTag}/points/{endpoint}";
        var body = Encoding.UTF8.GetBytes(json);
        var signed = requestTime is null
            ? await Sim.Keys.PlatformSigner.SignAsync(path, body)
            : await Sim.Keys.PlatformSigner.SignAsync(path, body, requestTime);
        var context = new DefaultHttpContext { RequestServices = _services };
        context.Request.Method = "POST";
        context.Request.Path = path;
        context.Request.ContentType = "application/json; charset=UTF-8";
        context.Request.ContentLength = body.Length;
        context.Request.Body = new MemoryStream(body);
        context.Request.Headers[AlipayHeaders.ClientId] = signed.ClientId;
        context.Request.Headers[AlipayHeaders.RequestTime] = signed.Time;
        context.Request.Headers[AlipayHeaders.Signature] = signed.Signature;
        headers?.Invoke(context.Request.Headers);
        var response = new MemoryStream();
        context.Response.Body = response;
        IActionResult result = endpoint == "bill/notify"
            ? await Webhooks.BillNotifyAsync(context.Request, MerchantTag, default)
            : await Webhooks.MemberCardCreateAsync(context.Request, MerchantTag, default);
        await ((RawJsonResult)result).ExecuteAsync(context);
        return (context.Response.StatusCode, Encoding.UTF8.GetString(response.ToArray()), context.Response.Headers);
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await Sim.DisposeAsync();
    }
}
