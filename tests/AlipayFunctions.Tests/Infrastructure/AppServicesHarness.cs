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

namespace AlipayFunctions.Tests.Infrastructure;

/// <summary>
/// The app's own services (the composition the worker uses, <see cref="AppServices.AddAppServices"/>) against the
/// shared Azurite and an AlipayHK simulator, without a host: for tests of the ledger and the pass work, which call the
/// feature services directly, one delivery at a time. Each harness has a ledger table of its own (the sweep reads the
/// whole attention index); the queues are the app's.
/// </summary>
internal sealed class AppServicesHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private AppServicesHarness(ServiceProvider services, SimulatorHost sim)
    {
        _services = services;
        Sim = sim;
    }

    public SimulatorHost Sim { get; }

    public AppSettings Settings => _services.GetRequiredService<AppSettings>();

    public LoyaltyLedger Ledger => _services.GetRequiredService<LoyaltyLedger>();

    public PassCreation PassCreation => _services.GetRequiredService<PassCreation>();

    public PassSync PassSync => _services.GetRequiredService<PassSync>();

    public BillWork Bills => _services.GetRequiredService<BillWork>();

    public QueueServiceClient Queues => _services.GetRequiredService<QueueServiceClient>();

    public TableClient Table => _services.GetRequiredService<TableClient>();

    public WebhookService Webhooks => _services.GetRequiredService<WebhookService>();

    public IServiceProvider Services => _services;

    public T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    public static async Task<AppServicesHarness> StartAsync(AzuriteFixture azurite, Action<Dictionary<string, string?>>? configure = null, Action<SimulatorOptions>? configureSimulator = null)
    {
        var sim = await TestApp.StartSimulatorAsync(configureSimulator);
        var settings = TestApp.DefaultSettings(azurite.ConnectionString, sim);
        // One delivery at a time, no host redelivering: a slow first call (JIT, a loaded machine) must not look like a U.
        settings["AlipayHK:Timeout"] = "00:00:10";
        // A claim must not lapse between two deliveries a test makes by hand; a queued card sync is visible at once.
        settings["Queues:VisibilityTimeout"] = "00:00:30";
        settings["Queues:PassSyncDelay"] = "00:00:00";
        configure?.Invoke(settings);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddMetrics();
        services.AddSingleton<IConfiguration>(configuration);
        AppServices.AddAppServices(services, configuration);
        var table = azurite.NewTableName("harness");
        services.AddSingleton(sp => sp.GetRequiredService<TableServiceClient>().GetTableClient(table));
        var provider = services.BuildServiceProvider();
        var queues = provider.GetRequiredService<QueueServiceClient>();
        foreach (var queue in AppStorage.Queues)
        {
            await queues.GetQueueClient(queue).CreateIfNotExistsAsync();
        }
        await provider.GetRequiredService<TableClient>().CreateIfNotExistsAsync();
        return new AppServicesHarness(provider, sim);
    }

    /// <summary>A delivery of a member message, as the trigger hands it over.</summary>
    public static QueueDelivery MemberDelivery(string userId, string messageId = "message-1", long dequeueCount = 1) =>
        new($$"""{"userId":"{{userId}}"}""", messageId, dequeueCount, DateTimeOffset.UtcNow);

    /// <summary>A bill as bill/notify queues it.</summary>
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
        var path = $"/{TestApp.MerchantTag}/points/{endpoint}";
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
            ? await Webhooks.BillNotifyAsync(context.Request, TestApp.MerchantTag, default)
            : await Webhooks.MemberCardCreateAsync(context.Request, TestApp.MerchantTag, default);
        await ((RawJsonResult)result).ExecuteAsync(context);
        return (context.Response.StatusCode, Encoding.UTF8.GetString(response.ToArray()), context.Response.Headers);
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await Sim.DisposeAsync();
    }
}
