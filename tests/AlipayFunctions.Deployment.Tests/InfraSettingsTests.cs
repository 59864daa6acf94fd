using System.Security.Cryptography;
using System.Text.RegularExpressions;
using AlipayFunctions.Settings;
using AlipayFunctions.Storage;
using Microsoft.Extensions.Configuration;

namespace AlipayFunctions.Deployment.Tests;

/// <summary>
/// infra/main.bicep against the code: every setting the app reads is set by the infrastructure (or deliberately
/// left to its default, in the commented list below), and every setting the infrastructure sets is read by the app
/// or by the platform. "What the app reads" is observed, not listed by hand: the app's own loaders
/// (<see cref="AppSettings.Load"/>, <see cref="StorageClients.CreateQueueServiceClient"/>) run against a configuration that
/// records every key they ask for, plus a scan of the app's source for literal <c>Configuration["..."]</c> reads.
/// </summary>
public sealed partial class InfraSettingsTests
{
    /// <summary>Keys the app reads that the infrastructure leaves unset on purpose, and why.</summary>
    private static readonly Dictionary<string, string> LeftToDefaults = new(StringComparer.OrdinalIgnoreCase)
    {
        ["AlipayHK:Timeout"] = "default 10 s per AlipayHK call",
        ["Webhooks:PublicPathPrefix"] = "only behind a gateway that adds a path prefix; AlipayHK calls the app directly",
        ["Webhooks:MaxBodyBytes"] = "default 64 KiB",
        ["Webhooks:MemberIdField"] = "default memberId",
        ["Loyalty:MemberIdPrefix"] = "default M",
        ["Loyalty:Locales"] = "default en_US, zh_HK",
        ["MiniApp:SessionLifetime"] = "default 2 h",
        ["Queues:RunListeners"] = "false under the Functions host, which sets FUNCTIONS_CUSTOMHANDLER_PORT and delivers the queues itself",
        ["Queues:BatchSize"] = "standalone listeners only; under the host, host.json's extensions.queues governs",
        ["Queues:MaxDequeueCount"] = "standalone listeners only; under the host, host.json's extensions.queues governs",
        ["Queues:MaxPollingInterval"] = "standalone listeners only; under the host, host.json's extensions.queues governs",
        ["Queues:VisibilityTimeout"] = "standalone listeners only; under the host, host.json's extensions.queues governs",
        ["Queues:RetryBaseDelay"] = "default 5 s",
        ["Queues:PassSyncDelay"] = "default 2 s",
        ["AzureWebJobsStorage"] = "the connection-string form; the account has no keys, the infrastructure uses the identity-based form",
        ["ConnectionStrings:AzureWebJobsStorage"] = "the connection-string form, as above",
        ["AzureWebJobsStorage:queueServiceUri"] = "derived from AzureWebJobsStorage__accountName in the public cloud",
        ["AzureWebJobsStorage:tableServiceUri"] = "derived from AzureWebJobsStorage__accountName in the public cloud",
        ["FUNCTIONS_CUSTOMHANDLER_PORT"] = "set by the Functions host when it starts the handler",
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "optional OTLP metrics export; Application Insights gets the host's telemetry",
        ["Signing:PrivateKeyPem"] = "Pem signing mode (local runs) only; Azure signs in Key Vault",
    };

    /// <summary>Settings the infrastructure sets for the platform rather than for the app's configuration.</summary>
    private static readonly Dictionary<string, string> ReadByThePlatform = new(StringComparer.OrdinalIgnoreCase)
    {
        ["AZURE_CLIENT_ID"] = "DefaultAzureCredential (the Key Vault signer) reads it from the environment",
        ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = "the Functions host's telemetry",
        ["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] = "the Functions host's telemetry with the managed identity",
    };

    [Fact]
    public void Every_setting_the_app_reads_is_set_by_the_infrastructure_or_deliberately_left_to_its_default()
    {
        var infra = InfraSettings();
        var read = SettingsTheAppReads(infra);

        var unset = read.Where(k => !infra.ContainsKey(k) && !LeftToDefaults.ContainsKey(k)).Order().ToList();
        Assert.True(unset.Count == 0, "The app reads settings infra/main.bicep does not set: " + string.Join(", ", unset));

        // The allow-list may not outlive the code: each entry must still be read.
        var stale = LeftToDefaults.Keys.Where(k => !read.Contains(k)).Order().ToList();
        Assert.True(stale.Count == 0, "LeftToDefaults names settings the app no longer reads: " + string.Join(", ", stale));
        var overlap = LeftToDefaults.Keys.Where(infra.ContainsKey).ToList();
        Assert.True(overlap.Count == 0, "LeftToDefaults names settings infra/main.bicep sets: " + string.Join(", ", overlap));
    }

    [Fact]
    public void Every_setting_the_infrastructure_sets_is_read_by_the_app_or_the_platform()
    {
        var infra = InfraSettings();
        var read = SettingsTheAppReads(infra);

        var unused = infra.Keys.Where(k => !read.Contains(k) && !ReadByThePlatform.ContainsKey(k)).Order().ToList();
        Assert.True(unused.Count == 0, "infra/main.bicep sets settings nothing reads: " + string.Join(", ", unused));
        Assert.All(ReadByThePlatform.Keys, k => Assert.True(infra.ContainsKey(k), $"{k} is listed as a platform setting but infra/main.bicep does not set it"));
        Assert.Contains("new DefaultAzureCredential(", AppSourceText(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_infrastructure_follows_Flex_Consumption_and_identity_only_storage()
    {
        var infra = InfraSettings();

        // Flex Consumption takes the runtime from functionAppConfig and rejects these; the account has no keys.
        Assert.DoesNotContain("FUNCTIONS_WORKER_RUNTIME", infra.Keys);
        Assert.DoesNotContain("FUNCTIONS_EXTENSION_VERSION", infra.Keys);
        Assert.DoesNotContain("WEBSITE_RUN_FROM_PACKAGE", infra.Keys);
        Assert.DoesNotContain("AzureWebJobsStorage", infra.Keys);
        Assert.Equal("'managedidentity'", infra["AzureWebJobsStorage:credential"]);
        Assert.Equal("'KeyVault'", infra["Signing:Mode"]);
        Assert.StartsWith("'@Microsoft.KeyVault(SecretUri=", infra["MiniApp:SessionSecret"], StringComparison.Ordinal);
    }

    [Fact]
    public void The_infrastructure_creates_the_queues_and_the_table_the_app_uses()
    {
        var bicep = File.ReadAllText(Repo.MainBicep);
        var queues = QueueListPattern().Match(bicep);
        Assert.True(queues.Success, "infra/main.bicep has no `var appQueues = [...]`");
        var infraQueues = Regex.Matches(queues.Groups[1].Value, "'([^']+)'").Select(m => m.Groups[1].Value).Order().ToArray();
        Assert.Equal(AppStorage.Queues.Order().ToArray(), infraQueues);
        Assert.Contains("map(appQueues, q => '${q}-poison')", bicep, StringComparison.Ordinal);
        Assert.Equal(AppStorage.LoyaltyTable, TablePattern().Match(bicep).Groups[1].Value);
    }

    /// <summary>
    /// The app settings of infra/main.bicep's <c>appSettings</c> array, by configuration key (<c>__</c> → <c>:</c>):
    /// the literal value when it is a plain string, else the Bicep expression in quotes or as written.
    /// </summary>
    private static Dictionary<string, string> InfraSettings()
    {
        var bicep = File.ReadAllText(Repo.MainBicep).ReplaceLineEndings("\n");
        var start = bicep.IndexOf("\nvar appSettings = [\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "infra/main.bicep has no `var appSettings = [` block");
        var end = bicep.IndexOf("\n]\n", start, StringComparison.Ordinal);
        var block = bicep[start..end];
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (Match entry in SettingPattern().Matches(block))
        {
            var key = entry.Groups["name"].Value.Replace("__", ":", StringComparison.Ordinal);
            Assert.True(settings.TryAdd(key, entry.Groups["value"].Value.Trim()), $"{key} is set twice");
        }
        Assert.NotEmpty(settings);
        return settings;
    }

    /// <summary>
    /// Runs the app's configuration loaders against the infrastructure's settings (with plausible values where
    /// Bicep computes them) and records every key they ask for; adds the literal keys the app's source reads.
    /// </summary>
    private static HashSet<string> SettingsTheAppReads(Dictionary<string, string> infra)
    {
        using var platformKey = RSA.Create(2048);
        var values = infra.ToDictionary(s => s.Key, s => (string?)SampleValue(s.Key, s.Value, platformKey), StringComparer.OrdinalIgnoreCase);
        var source = new RecordingConfigurationSource(values);
        var configuration = new ConfigurationBuilder().Add(source).Build();

        // Both must accept the infrastructure's settings as they are: a SettingsException here names the key at fault.
        _ = AppSettings.Load(configuration);
        _ = StorageClients.CreateQueueServiceClient(configuration);
        _ = StorageClients.CreateTableServiceClient(configuration);

        var read = new HashSet<string>(source.Keys.Select(k => k.Replace("__", ":", StringComparison.Ordinal)), StringComparer.OrdinalIgnoreCase);
        foreach (Match literal in ConfigurationIndexerPattern().Matches(AppSourceText()))
        {
            read.Add(literal.Groups[1].Value);
        }
        return read;
    }

    private static string SampleValue(string key, string bicepValue, RSA platformKey)
    {
        if (LiteralPattern().Match(bicepValue) is { Success: true } literal)
        {
            return literal.Groups[1].Value;
        }
        // Values Bicep computes at deployment (or takes from parameters), stood in for by values of the same shape.
        return key switch
        {
            "AlipayHK:BaseUrl" => "https://open.alipay.hk",
            "AlipayHK:PlatformPublicKey" => Convert.ToBase64String(platformKey.ExportSubjectPublicKeyInfo()),
            "Signing:KeyVaultKeyId" => "https://kv-sample.vault.azure.net/keys/alipayhk-merchant/0123456789abcdef0123456789abcdef",
            "MiniApp:SessionSecret" => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), // the resolved Key Vault reference
            "AzureWebJobsStorage:accountName" => "stsample",
            "AzureWebJobsStorage:clientId" or "AZURE_CLIENT_ID" => "00000000-0000-0000-0000-000000000001",
            "Loyalty:EarnRules" => "HKD:100:1",
            "Loyalty:PointsVariable" => "$points$",
            _ => "sample",
        };
    }

    private static string AppSourceText() => string.Join("\n",
        Directory.GetFiles(Repo.AppSource, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText));

    [GeneratedRegex(@"name:\s*'(?<name>[^']+)'\s*\n\s*value:\s*(?<value>[^\n]+)")]
    private static partial Regex SettingPattern();

    [GeneratedRegex(@"^'([^'$]*)'$")]
    private static partial Regex LiteralPattern();

    [GeneratedRegex(@"[Cc]onfiguration\[""([^""]+)""\]")]
    private static partial Regex ConfigurationIndexerPattern();

    [GeneratedRegex(@"var appQueues = \[([^\]]*)\]")]
    private static partial Regex QueueListPattern();

    [GeneratedRegex(@"var loyaltyTableName = '([^']+)'")]
    private static partial Regex TablePattern();
}

/// <summary>An in-memory configuration that records every key asked for.</summary>
internal sealed class RecordingConfigurationSource(IDictionary<string, string?> values) : IConfigurationSource
{
    public HashSet<string> Keys { get; } = new(StringComparer.OrdinalIgnoreCase);

    public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider(this, values);

    private sealed class Provider(RecordingConfigurationSource source, IDictionary<string, string?> values) : ConfigurationProvider
    {
        public override void Load()
        {
            foreach (var (key, value) in values)
            {
                Data[key] = value;
            }
        }

        public override bool TryGet(string key, out string? value)
        {
            lock (source.Keys)
            {
                source.Keys.Add(key);
            }
            return base.TryGet(key, out value);
        }
    }
}
