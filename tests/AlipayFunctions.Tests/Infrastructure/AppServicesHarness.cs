using AlipayFunctions.Loyalty;
using AlipayFunctions.Passes;
using AlipayFunctions.Settings;
using AlipayFunctions.Storage;
using AlipayFunctions.Testing;
using AlipayHK.Simulator;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AlipayFunctions.Tests.Infrastructure;

/// <summary>
/// The app's own services (the composition the worker uses, <see cref="AppServices.AddAppServices"/>) against the
/// shared Azurite and an AlipayHK simulator, without a host: for tests of the ledger and the pass work, which call the
/// feature services directly, one delivery at a time.
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

    public IServiceProvider Services => _services;

    public static async Task<AppServicesHarness> StartAsync(AzuriteFixture azurite, Action<Dictionary<string, string?>>? configure = null, Action<SimulatorOptions>? configureSimulator = null)
    {
        var sim = await TestApp.StartSimulatorAsync(configureSimulator);
        var settings = TestApp.DefaultSettings(azurite.ConnectionString, sim);
        // One delivery at a time, no host redelivering: a slow first call (JIT, a loaded machine) must not look like a U.
        settings["AlipayHK:Timeout"] = "00:00:10";
        configure?.Invoke(settings);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddMetrics();
        services.AddSingleton<IConfiguration>(configuration);
        AppServices.AddAppServices(services, configuration);
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

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await Sim.DisposeAsync();
    }
}
