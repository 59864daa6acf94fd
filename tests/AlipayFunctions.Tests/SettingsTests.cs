using System.Diagnostics;
using System.Security.Cryptography;
using AlipayFunctions.Settings;
using AlipayFunctions.Storage;
using AlipayFunctions.Tests.Infrastructure;
using AlipayHK.OpenApi.Signing;
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
    public void The_platform_key_is_the_setting_or_the_PEM_file_it_names_and_exactly_one_of_the_two()
    {
        var folder = Directory.CreateTempSubdirectory("platform-key-");
        try
        {
            var pemPath = Path.Combine(folder.FullName, "platform-public.pem");
            var pem = $"-----BEGIN PUBLIC KEY-----\n{TestKeys.MerchantPublicKey}\n-----END PUBLIC KEY-----\n";
            File.WriteAllText(pemPath, pem);
            var byFile = Valid();
            byFile.Remove("AlipayHK:PlatformPublicKey");
            byFile["AlipayHK:PlatformPublicKeyPath"] = pemPath;
            using (var services = Build(byFile))
            {
                Assert.Equal(pem, services.GetRequiredService<AppSettings>().AlipayHK.PlatformPublicKey);
            }

            var both = Valid();
            both["AlipayHK:PlatformPublicKeyPath"] = pemPath;
            var twice = Assert.Throws<SettingsException>(() => Build(both));
            Assert.Contains("'AlipayHK:PlatformPublicKey' and 'AlipayHK:PlatformPublicKeyPath' are both set", twice.Message, StringComparison.Ordinal);

            var neither = Valid();
            neither.Remove("AlipayHK:PlatformPublicKey");
            var none = Assert.Throws<SettingsException>(() => Build(neither));
            Assert.Equal("AlipayHK:PlatformPublicKey", none.Key);
            Assert.Contains("AlipayHK:PlatformPublicKeyPath", none.Message, StringComparison.Ordinal);

            var missing = Path.Combine(folder.FullName, "absent.pem");
            byFile["AlipayHK:PlatformPublicKeyPath"] = missing;
            var gone = Assert.Throws<SettingsException>(() => Build(byFile));
            Assert.Equal("AlipayHK:PlatformPublicKeyPath", gone.Key);
            Assert.Contains($"names a file that does not exist ({missing})", gone.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', gone.Message);

            File.WriteAllText(missing, "not a key");
            Assert.Equal("AlipayHK:PlatformPublicKeyPath", Assert.Throws<SettingsException>(() => Build(byFile)).Key);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_relative_key_path_is_found_in_the_working_directory_or_the_nearest_of_its_parents()
    {
        var repo = Directory.CreateTempSubdirectory("key-files-");
        try
        {
            var output = Directory.CreateDirectory(Path.Combine(repo.FullName, "functions", "App", "bin", "Release", "net10.0")).FullName;
            var project = Path.Combine(repo.FullName, "functions", "App");
            var atRoot = Write(repo.FullName);
            var relative = Path.Combine(".local", "merchant-private.pem");

            Assert.Equal(atRoot, KeyFiles.Find(relative, output));
            Assert.Equal(atRoot, KeyFiles.Find(relative, project));
            Assert.Equal(atRoot, KeyFiles.Find(relative, repo.FullName));
            // The nearest one wins.
            var inProject = Write(project);
            Assert.Equal(inProject, KeyFiles.Find(relative, output));
            Assert.Equal(atRoot, KeyFiles.Find(relative, repo.FullName));
            // Nothing anywhere up the tree; an absolute path is taken as it is, never searched for.
            Assert.Null(KeyFiles.Find(Path.Combine(".local", "other.pem"), output));
            Assert.Null(KeyFiles.Find(Path.Combine(output, relative), output));
            Assert.Equal(atRoot, KeyFiles.Find(atRoot, output));
        }
        finally
        {
            repo.Delete(recursive: true);
        }

        static string Write(string under)
        {
            var path = Path.Combine(Directory.CreateDirectory(Path.Combine(under, ".local")).FullName, "merchant-private.pem");
            File.WriteAllText(path, "key");
            return path;
        }
    }

    [Fact]
    public void A_relative_key_path_found_nowhere_is_one_line_naming_the_key_the_path_and_where_it_was_looked_for()
    {
        var settings = Valid();
        settings.Remove("Signing:PrivateKeyPem");
        settings["Signing:PrivateKeyPath"] = $".local/absent-{Guid.NewGuid():N}.pem";

        var e = Assert.Throws<SettingsException>(() => Build(settings));

        Assert.Equal("Signing:PrivateKeyPath", e.Key);
        Assert.Contains($"({settings["Signing:PrivateKeyPath"]}, looked for in {Directory.GetCurrentDirectory()} and its parent folders)", e.Message, StringComparison.Ordinal);
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
