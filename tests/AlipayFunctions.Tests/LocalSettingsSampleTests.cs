using System.Text.Json.Nodes;
using AlipayFunctions.Passes;
using AlipayFunctions.Settings;
using AlipayFunctions.Testing;
using AlipayHK.Simulator;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AlipayFunctions.Tests;

/// <summary>
/// Issue 11: <c>local.settings.sample.json</c> works as it is with <c>func start</c>. Its Values pass the app's start-up
/// (settings and storage connection checked by <see cref="AppServices.AddAppServices"/>), and the app configured by
/// them talks to the simulator started with the development keys the README names: the simulator verifies the app's
/// signature and the app verifies the simulator's.
/// </summary>
public sealed class LocalSettingsSampleTests
{
    private static readonly string Root = AzuriteProcess.FindRepoRoot();
    private static readonly string DevelopmentKeys = Path.Combine(Root, "tools", "AlipayHK.Simulator", "DevelopmentKeys");

    /// <summary>The sample's Values as the worker reads them: environment variables, where '__' stands for ':'.</summary>
    private static Dictionary<string, string?> SampleValues()
    {
        var sample = JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "local.settings.sample.json")))!;
        return sample["Values"]!.AsObject().ToDictionary(v => v.Key.Replace("__", ":", StringComparison.Ordinal), v => (string?)v.Value!.GetValue<string>(), StringComparer.OrdinalIgnoreCase);
    }

    private static ServiceProvider Compose(Dictionary<string, string?> values)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddMetrics();
        services.AddSingleton<IConfiguration>(configuration);
        AppServices.AddAppServices(services, configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void The_sample_passes_the_app_s_start_up_validation_as_it_is()
    {
        var values = SampleValues();

        using var services = Compose(values);

        var settings = services.GetRequiredService<AppSettings>();
        Assert.Equal(SigningMode.Pem, settings.Signing.Mode);
        Assert.Equal("UseDevelopmentStorage=true", values["AzureWebJobsStorage"]);
        Assert.False(settings.MiniApp.Enabled);
        // The key it signs with is the development key the README and the simulator's DevelopmentKeys folder name.
        Assert.Equal(File.ReadAllText(Path.Combine(DevelopmentKeys, "merchant-private.pem")).Trim(), settings.Signing.PrivateKeyPem!.Trim());
    }

    [Fact]
    public async Task The_app_configured_by_the_sample_reads_the_template_from_the_simulator_started_with_the_development_keys()
    {
        var options = new SimulatorOptions
        {
            MerchantPublicKeyPath = Path.Combine(DevelopmentKeys, "merchant-public.pem"),
            PlatformPrivateKeyPath = Path.Combine(DevelopmentKeys, "platform-private.pem"),
        };
        await using var sim = await SimulatorHost.StartAsync(options);
        var values = SampleValues();
        values["AlipayHK:BaseUrl"] = sim.BaseUrl.ToString(); // the sample's port 7070 may be taken on this machine
        Assert.Equal(sim.ClientId, values["AlipayHK:ClientId"]);
        Assert.Equal(sim.MerchantId, values["AlipayHK:MerchantId"]);
        Assert.Equal(sim.PlatformPublicKey, values["AlipayHK:PlatformPublicKey"]);
        await using var services = Compose(values);

        var template = await services.GetRequiredService<TemplateCache>().GetAsync(CancellationToken.None);

        Assert.Equal("valid", template.Status, ignoreCase: true);
        Assert.Equal(values["Loyalty:TemplateCode"], template.TemplateCode);
    }
}
