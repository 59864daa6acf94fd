using System.Security.Cryptography;
using AlipayFunctions.Hosting;
using AlipayFunctions.Settings;
using AlipayFunctions.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace AlipayFunctions.Tests;

/// <summary>Start-up refuses missing or malformed configuration with one message naming the key.</summary>
public sealed class SettingsTests
{
    private static readonly string PublicKey = TestApp.MerchantPublicKey;

    private static Dictionary<string, string?> Valid() => new(StringComparer.OrdinalIgnoreCase)
    {
        ["AlipayHK:BaseUrl"] = "http://127.0.0.1:9/",
        ["AlipayHK:ClientId"] = "CLIENT",
        ["AlipayHK:MerchantId"] = "MERCHANT",
        ["AlipayHK:PlatformPublicKey"] = PublicKey,
        ["Signing:Mode"] = "Pem",
        ["Signing:PrivateKeyPem"] = TestApp.MerchantPrivateKeyPem,
        ["Webhooks:MerchantTag"] = "mall",
        ["Loyalty:TemplateCode"] = "TPL",
        ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
    };

    [Fact]
    public async Task A_complete_configuration_builds()
    {
        await using var app = Build(Valid());
        Assert.NotNull(app);
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
    [InlineData("Queues:BatchSize", "64", "Queues:BatchSize")]
    public void Missing_or_malformed_settings_stop_start_up_naming_the_key(string key, string? value, string named)
    {
        var settings = Valid();
        settings[key] = value;

        var e = Assert.Throws<SettingsException>(() => Build(settings));

        Assert.Equal(named, e.Key);
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("AAAA", e.Message, StringComparison.Ordinal); // the value (possibly a secret) is not echoed
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
    public void Storage_is_required()
    {
        var settings = Valid();
        settings.Remove("AzureWebJobsStorage");

        var e = Assert.Throws<SettingsException>(() => Build(settings));

        Assert.Contains("AzureWebJobsStorage", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Configuration_files_are_read_once_and_not_watched()
    {
        // A watcher walks every directory under the content root at start-up (issue 7: start-up time).
        var watched = new List<string>();
        using var directory = new TempDirectory();
        File.WriteAllText(Path.Combine(directory.Path, "appsettings.json"), "{}");
        await using var app = FunctionsApp.Build(["--contentRoot", directory.Path], builder =>
        {
            watched.AddRange(builder.Configuration.Sources.OfType<FileConfigurationSource>()
                .Where(source => source.ReloadOnChange).Select(source => source.Path ?? "?"));
            builder.Configuration.AddInMemoryCollection(Valid());
        });

        Assert.Empty(watched);
    }

    private sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("alipayfunctions-settings-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    private static Microsoft.AspNetCore.Builder.WebApplication Build(Dictionary<string, string?> settings) =>
        FunctionsApp.Build([], builder =>
        {
            builder.Configuration.Sources.Clear(); // nothing from the environment of the test run
            builder.Configuration.AddInMemoryCollection(settings);
        });

    [Fact]
    public async Task A_long_enough_session_secret_is_accepted()
    {
        var settings = Valid();
        settings["MiniApp:SessionSecret"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await using var app = Build(settings);
        Assert.NotNull(app);
    }
}
