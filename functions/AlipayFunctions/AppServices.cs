using AlipayFunctions.Loyalty;
using AlipayFunctions.MiniApp;
using AlipayFunctions.Observability;
using AlipayFunctions.Passes;
using AlipayFunctions.Settings;
using AlipayFunctions.Signing;
using AlipayFunctions.Storage;
using AlipayFunctions.Webhooks;
using AlipayHK.OpenApi.Client;
using AlipayHK.OpenApi.Signing;
using AlipayHK.OpenApi.Webhooks;
using Azure.Data.Tables;
using Azure.Monitor.OpenTelemetry.Exporter;
using Azure.Storage.Queues;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace AlipayFunctions;

/// <summary>The composition root: settings, storage, AlipayHK, signing, telemetry and each feature's services.</summary>
internal static class AppServices
{
    /// <summary>Reads and checks the settings, then registers everything the functions use.</summary>
    /// <exception cref="SettingsException">A setting is missing or malformed (storage included).</exception>
    public static FunctionsApplicationBuilder AddAlipayFunctions(this FunctionsApplicationBuilder builder)
    {
        AddAppServices(builder.Services, builder.Configuration);
        builder.UseMiddleware<StorageReadyMiddleware>();
        // The SDK's request logs name table rows (user ids) in their URLs: only its warnings reach the logs.
        builder.Logging.AddFilter("Azure", LogLevel.Warning);
        AddTelemetry(builder.Services, builder.Configuration);
        return builder;
    }

    /// <summary>
    /// The services behind the functions, without the worker: what the function classes resolve, and what tests of the
    /// feature services (ledger, pass work) build against real storage without a host.
    /// </summary>
    /// <exception cref="SettingsException">A setting is missing or malformed (storage included).</exception>
    public static AppSettings AddAppServices(IServiceCollection services, IConfiguration configuration)
    {
        var settings = AppSettings.Load(configuration);

        // Storage: the connection the queue triggers use, parsed now so a bad one stops start-up, not the first call.
        StorageClients.CreateQueueServiceClient(configuration);
        StorageClients.CreateTableServiceClient(configuration);
        services.AddAzureClients(clients =>
        {
            clients.AddClient<QueueServiceClient, QueueClientOptions>(options => StorageClients.CreateQueueServiceClient(configuration, options));
            clients.AddClient<TableServiceClient, TableClientOptions>(options => StorageClients.CreateTableServiceClient(configuration, options));
        });
        services.AddSingleton(sp => sp.GetRequiredService<TableServiceClient>().GetTableClient(AppStorage.LoyaltyTable));
        services.AddSingleton<StorageInitializer>();
        services.AddHostedService(sp => sp.GetRequiredService<StorageInitializer>());

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(settings);
        services.AddSingleton(settings.Loyalty);
        services.AddSingleton(settings.Queues);
        services.AddSingleton(settings.Sweep);
        // Test-only; off unless Testing:CrashAt is set in the Development environment (see CrashPoints).
        var crash = Reconciliation.CrashPoints.From(configuration);
        services.AddSingleton(crash);
        if (crash.Enabled || crash.Ignored)
        {
            services.AddHostedService<Reconciliation.CrashPointsNotice>();
        }
        services.AddSingleton(sp => MerchantSigner.Create(settings.Signing, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new AlipayMessageSigner(sp.GetRequiredService<MerchantSigner>(), settings.AlipayHK.ClientId, settings.AlipayHK.KeyVersion, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new AlipayWebhookVerifier(
            new AlipayWebhookVerifierOptions
            {
                PlatformPublicKey = settings.AlipayHK.PlatformPublicKey,
                NextPlatformPublicKey = settings.AlipayHK.NextPlatformPublicKey,
                ClientId = settings.AlipayHK.ClientId,
                MaxRequestAge = settings.Webhooks.MaxRequestAge,
                MaxFutureSkew = settings.Webhooks.MaxFutureSkew,
            },
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new AlipayHKClient(
            new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }),
            new AlipayHKClientOptions
            {
                BaseUrl = settings.AlipayHK.BaseUrl,
                ClientId = settings.AlipayHK.ClientId,
                MerchantId = settings.AlipayHK.MerchantId,
                KeyVersion = settings.AlipayHK.KeyVersion,
                PlatformPublicKey = settings.AlipayHK.PlatformPublicKey,
                NextPlatformPublicKey = settings.AlipayHK.NextPlatformPublicKey,
                Timeout = settings.AlipayHK.Timeout,
            },
            sp.GetRequiredService<MerchantSigner>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new AppMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), () => sp.GetRequiredService<MerchantSigner>().SignaturesMade));
        services.AddHostedService<PoisonQueueGauge>();

        services.AddSingleton<LoyaltyLedger>();
        services.AddSingleton<BillWork>();
        services.AddSingleton<WebhookRequestReader>();
        services.AddSingleton(sp => new WebhookAnswerSigner(sp.GetRequiredService<AlipayMessageSigner>()));
        services.AddSingleton<WebhookService>();
        services.AddSingleton<TemplateCache>();
        services.AddSingleton<PassCreation>();
        services.AddSingleton<PassSync>();
        services.AddSingleton<Reconciliation.ReconcileSweep>();
        MiniAppService.AddMiniApp(services, settings.MiniApp);
        return settings;
    }

    // The worker's OpenTelemetry integration (invocation spans, trace context from the host), the app's meter, and an
    // exporter only where one is configured.
    private static void AddTelemetry(IServiceCollection services, ConfigurationManager configuration)
    {
        var azureMonitor = !string.IsNullOrWhiteSpace(configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]);
        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (!azureMonitor && !otlp)
        {
            return;
        }
        var telemetry = services.AddOpenTelemetry()
            .UseFunctionsWorkerDefaults()
            .WithMetrics(metrics => metrics.AddMeter(AppMetrics.MeterName));
        if (azureMonitor)
        {
            var credential = TelemetryCredential.FromAuthenticationString(configuration["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
            telemetry.UseAzureMonitorExporter(options => options.Credential = credential);
        }
        if (otlp)
        {
            telemetry.WithTracing(tracing => tracing.AddOtlpExporter())
                .WithMetrics(metrics => metrics.AddOtlpExporter())
                .WithLogging(logging => logging.AddOtlpExporter());
        }
    }
}
