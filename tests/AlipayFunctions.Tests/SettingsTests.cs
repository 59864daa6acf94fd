using System.Diagnostics;
using System.Security.Cryptography;
using AlipayFunctions.Settings;
using AlipayFunctions.Storage;
using AlipayFunctions.Tests.Infrastructure;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AlipayFunctions.Tests;

/// <summary>Start-up refuses missing or malformed configuration with one message naming the key.</summary>
public sealed class SettingsTests
{
    private static Dictionary<string, string?> Valid() => new(StringComparer.OrdinalIgnoreCase)
    {
        ["AlipayHK:BaseUrl"] = "http://127.0.0.1:9/",
        ["AlipayHK:ClientId"] = "CLIENT",
        ["AlipayHK:MerchantId"] = "MERCHANT",
        ["AlipayHK:PlatformPublicKey"] = TestKeys.MerchantPublicKey,
        ["Signing:Mode"] = "Pem",
        ["Signing:PrivateKeyPem"] = TestKeys.MerchantPrivateKeyPem,
        ["Webhooks:MerchantTag"] = "mall",
        ["Loyalty:TemplateCode"] = "TPL",
        ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
    };

    [Fact]
    public void A_complete_configuration_builds()
    {
        using var services = Build(Valid());
        Assert.NotNull(services.GetRequiredService<QueueServiceClient>());
    }

    [Theory]
    [InlineData("AlipayHK:ClientId", null, "AlipayHK:ClientId")]
    [InlineData("AlipayHK:ClientId", "   ", "AlipayHK:ClientId")]
    [InlineData("AlipayHK:BaseUrl", "open.alipay.hk", "AlipayHK:BaseUrl")]
    [InlineData("AlipayHK:PlatformPublicKey", "not a key", "AlipayHK:PlatformPublicKey")]
    [InlineData("AlipayHK:PlatformPublicKey", "AAAAAAAAAAAAAAAAAAAAAAAAAAAA", "AlipayHK:PlatformPublicKey")]
    [InlineData("AlipayHK:PlatformPublicKey", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "AlipayHK:PlatformPublicKey")]
    [InlineData("AlipayHK:Timeout", "soon", "AlipayHK:Timeout")]
    [InlineData("Signing:Mode", "Vault", "Signing:Mode")]
    [InlineData("Signing:PrivateKeyPem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "Signing:PrivateKeyPem")]
    [InlineData("Loyalty:EarnRules", "HKD:abc:1", "Loyalty:EarnRules")]
    [InlineData("Loyalty:EarnRules", "HKD:100:1;HKD:100:2", "Loyalty:EarnRules")]
    [InlineData("Loyalty:EarnRules", "HKD:0:1", "Loyalty:EarnRules")]
    [InlineData("Loyalty:TemplateCode", null, "Loyalty:TemplateCode")]
    [InlineData("Webhooks:MerchantTag", "a/b", "Webhooks:MerchantTag")]
    [InlineData("Webhooks:MaxBodyBytes", "ten", "Webhooks:MaxBodyBytes")]
    [InlineData("MiniApp:SessionSecret", "c2hvcnQ=", "MiniApp:SessionSecret")]
    [InlineData("Queues:MaxDequeueCount", "0", "Queues:MaxDequeueCount")]
    [InlineData("MiniApp:ClientAddressHeader", "X Azure ClientIP", "MiniApp:ClientAddressHeader")]
    [InlineData("MiniApp:ClientAddressHeader", "X-Azure-ClientIP:", "MiniApp:ClientAddressHeader")]
    [InlineData("MiniApp:ClientAddressHeader", "X-Azure-ClientIP, X-Forwarded-For", "MiniApp:ClientAddressHeader")]
    [InlineData("MiniApp:ClientAddressHeader", "X-AAAA\r\nX-Injected", "MiniApp:ClientAddressHeader")]
    [InlineData("MiniApp:ClientAddressHeader", "X-Client-Ä", "MiniApp:ClientAddressHeader")]
    [InlineData("AzureWebJobsStorage", null, "AzureWebJobsStorage")]
    [InlineData("AzureWebJobsStorage", "AccountName=x;AAAA", "AzureWebJobsStorage")]
    public void Missing_or_malformed_settings_stop_start_up_naming_the_key(string key, string? value, string named)
    {
        var settings = Valid();
        settings[key] = value;

        var e = Assert.Throws<SettingsException>(() => Build(settings));

        Assert.Equal(named, e.Key);
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("AAAA", e.Message, StringComparison.Ordinal); // the value (possibly a secret) is not echoed
    }

    [Theory]
    [InlineData("AzureWebJobsStorage:queueServiceUri", "http://acct.queue.core.windows.net/", "AzureWebJobsStorage:queueServiceUri")]
    [InlineData("AzureWebJobsStorage:accountName", "Not_An_Account", "AzureWebJobsStorage:accountName")]
    [InlineData("AzureWebJobsStorage:credential", "password", "AzureWebJobsStorage:credential")]
    public void A_malformed_identity_based_storage_connection_is_refused_naming_the_key(string key, string value, string named)
    {
        var settings = Valid();
        settings.Remove("AzureWebJobsStorage");
        settings["AzureWebJobsStorage:accountName"] = "alipayfunctions";
        settings[key] = value;

        var e = Assert.Throws<SettingsException>(() => Build(settings));

        Assert.Equal(named, e.Key);
    }

    [Fact]
    public void An_identity_based_connection_reaches_the_accounts_https_endpoints_with_base64_messages()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage:accountName"] = "alipayfunctions",
            ["AzureWebJobsStorage:credential"] = "managedidentity",
            ["AzureWebJobsStorage:clientId"] = "00000000-0000-0000-0000-000000000001",
        }).Build();

        var queues = StorageClients.CreateQueueServiceClient(configuration);
        var tables = StorageClients.CreateTableServiceClient(configuration);

        Assert.Equal(new Uri("https://alipayfunctions.queue.core.windows.net/"), queues.Uri);
        Assert.Equal(new Uri("https://alipayfunctions.table.core.windows.net/"), tables.Uri);
        Assert.Equal("alipayfunctions", queues.AccountName);
    }

    [Fact]
    public void The_client_address_header_is_off_by_default_and_read_as_a_header_name_when_set()
    {
        var settings = Valid();
        Assert.Null(AppSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(settings).Build()).MiniApp.ClientAddressHeader);

        settings["MiniApp:ClientAddressHeader"] = " X-Azure-ClientIP ";
        Assert.Equal("X-Azure-ClientIP", AppSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(settings).Build()).MiniApp.ClientAddressHeader);
    }

    [Fact]
    public void KeyVault_signing_needs_a_key_id()
    {
        var settings = Valid();
        settings["Signing:Mode"] = "KeyVault";
        settings.Remove("Signing:PrivateKeyPem");

        var e = Assert.Throws<SettingsException>(() => Build(settings));

        Assert.Equal("Signing:KeyVaultKeyId", e.Key);
    }

    [Fact]
    public void Pem_signing_needs_a_key()
    {
        var settings = Valid();
        settings.Remove("Signing:PrivateKeyPem");

        var e = Assert.Throws<SettingsException>(() => Build(settings));

        Assert.Equal("Signing:PrivateKeyPath", e.Key);
    }

    [Fact]
    public void A_long_enough_session_secret_is_accepted()
    {
        var settings = Valid();
        settings["MiniApp:SessionSecret"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        using var services = Build(settings);
        Assert.NotNull(services.GetRequiredService<AppSettings>().MiniApp.SessionSecret);
    }

    [Fact]
    public async Task The_built_worker_refuses_a_bad_setting_with_one_line_naming_the_key_and_exit_code_2()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = WorkerBuild.ScriptRoot };
        start.ArgumentList.Add(Path.Combine(WorkerBuild.ScriptRoot, "AlipayFunctions.dll"));
        foreach (var (key, value) in Valid())
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        start.Environment["Webhooks__MaxBodyBytes"] = "ten";

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(2, process.ExitCode);
        var lines = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines);
        Assert.Contains("Webhooks:MaxBodyBytes", line, StringComparison.Ordinal);
        Assert.Contains("Webhooks__MaxBodyBytes", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", await stdout, StringComparison.Ordinal);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMetrics();
        AppServices.AddAppServices(services, configuration);
        return services.BuildServiceProvider();
    }
}
