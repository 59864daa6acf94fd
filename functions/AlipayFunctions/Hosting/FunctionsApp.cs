using AlipayFunctions.Loyalty;
using AlipayFunctions.MiniApp;
using AlipayFunctions.Observability;
using AlipayFunctions.Passes;
using AlipayFunctions.Settings;
using AlipayFunctions.Signing;
using AlipayFunctions.Storage;
using AlipayFunctions.Storage.Queues;
using AlipayFunctions.Storage.Tables;
using AlipayFunctions.Webhooks;
using AlipayHK.OpenApi.Client;
using AlipayHK.OpenApi.Signing;
using AlipayHK.OpenApi.Webhooks;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace AlipayFunctions.Hosting;

/// <summary>
/// The composition root. One app, two hosts: under the Functions host (<c>FUNCTIONS_CUSTOMHANDLER_PORT</c> set) it
/// listens on that loopback port and the host delivers queue messages to <c>POST /{FunctionName}</c>; standalone it
/// also runs a <see cref="QueueListener"/> per queue function.
/// </summary>
public static class FunctionsApp
{
    /// <summary>Builds the app from configuration (environment variables, command line, appsettings).</summary>
    /// <param name="args">Command-line arguments (<c>--urls</c> and configuration keys).</param>
    /// <param name="configure">A last look at the builder (tests add configuration and a clock here).</param>
    /// <exception cref="SettingsException">The configuration is missing or malformed.</exception>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // Settings are read once (in Azure a changed app setting restarts the app), so configuration files are not
        // watched: a watcher puts an inotify watch on every directory under the content root, and walking that tree
        // cost 50-100 ms of every start (seconds in a repository with node_modules).
        var builder = WebApplication.CreateSlimBuilder([.. args, "--hostBuilder:reloadConfigOnChange=false"]);
        if (builder.Configuration["FUNCTIONS_CUSTOMHANDLER_PORT"] is { Length: > 0 } port)
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        }
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        configure?.Invoke(builder);

        var settings = AppSettings.Load(builder.Configuration);
        StorageAccount account;
        try
        {
            account = StorageAccount.FromConfiguration(builder.Configuration);
        }
        catch (InvalidOperationException e)
        {
            throw new SettingsException(e.Message, e);
        }

        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(settings);
        services.AddSingleton(settings.Loyalty);
        services.AddSingleton(settings.Queues);
        services.AddSingleton(new QueueServiceClient(account));
        services.AddSingleton<ITableClient>(new TableServiceClient(account).GetTableClient(AppStorage.LoyaltyTable));
        services.AddSingleton<StorageInitializer>();
        services.AddHostedService(sp => sp.GetRequiredService<StorageInitializer>());

        services.AddSingleton(_ => MerchantSigner.Create(settings.Signing));
        services.AddSingleton(sp => new AlipayMessageSigner(sp.GetRequiredService<MerchantSigner>(), settings.AlipayHK.ClientId, settings.AlipayHK.KeyVersion, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new AlipayWebhookVerifier(
            new AlipayWebhookVerifierOptions { PlatformPublicKey = settings.AlipayHK.PlatformPublicKey, ClientId = settings.AlipayHK.ClientId },
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
                Timeout = settings.AlipayHK.Timeout,
            },
            sp.GetRequiredService<MerchantSigner>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new AppMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), () => sp.GetRequiredService<MerchantSigner>().SignaturesMade));
        if (!string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            services.AddSingleton(_ => Sdk.CreateMeterProviderBuilder().AddMeter(AppMetrics.MeterName).AddOtlpExporter().Build());
        }

        services.AddSingleton<LoyaltyLedger>();
        services.AddSingleton<QueueFunctionInvoker>();
        services.AddWebhooks();
        services.AddPasses();
        services.AddMiniApp(settings.MiniApp);
        services.AddSingleton<IQueueFunction, ApplyBillFunction>();
        if (settings.Queues.RunListeners)
        {
            services.AddHostedService<QueueListeners>();
        }

        var app = builder.Build();
        // The Functions host waits for any answer on GET / before it sends work.
        app.MapGet("/", () => Results.Text("AlipayFunctions is running."));
        // Everything that touches storage waits until the queues and the table exist (at once, after the first start).
        var work = app.MapGroup("").AddEndpointFilter(async (context, next) =>
        {
            await context.HttpContext.RequestServices.GetRequiredService<StorageInitializer>().WaitAsync(context.HttpContext.RequestAborted).ConfigureAwait(false);
            return await next(context).ConfigureAwait(false);
        });
        work.MapWebhooks();
        work.MapMiniApp();
        work.MapQueueFunctions();
        if (bool.TryParse(builder.Configuration[DiagnosticCounters.ConfigurationKey], out var expose) && expose)
        {
            app.MapDiagnosticCounters();
        }
        return app;
    }
}
