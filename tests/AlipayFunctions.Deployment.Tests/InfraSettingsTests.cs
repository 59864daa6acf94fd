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
/// (<see cref="AppSettings.Load"/>, <see cref="StorageClients.CreateQueueServiceClient"/>,
/// <see cref="StorageClients.CreateTableServiceClient"/>) run against a configuration that records every key they ask
/// for, plus a scan of the app's source for literal <c>configuration["..."]</c> reads.
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
        ["Queues:MaxDequeueCount"] = "default 5, host.json's extensions.queues.maxDequeueCount",
        ["Queues:VisibilityTimeout"] = "default 5 min, how long a card-sync claim holds if its owner dies",
        ["Queues:PassSyncDelay"] = "default 2 s",
        ["AzureWebJobsStorage"] = "the connection-string form; the account has no keys, the infrastructure uses the identity-based form",
        ["ConnectionStrings:AzureWebJobsStorage"] = "the connection-string form, as above",
        ["AzureWebJobsStorage:queueServiceUri"] = "derived from AzureWebJobsStorage__accountName in the public cloud",
        ["AzureWebJobsStorage:tableServiceUri"] = "derived from AzureWebJobsStorage__accountName in the public cloud",
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "optional OTLP export; in Azure the Azure Monitor exporter sends to Application Insights",
        ["Signing:PrivateKeyPem"] = "Pem signing mode (local runs) only; Azure signs in Key Vault",
        ["AlipayHK:NextPlatformPublicKey"] = "set only while AlipayHK rotates its platform key",
        ["AlipayHK:PlatformPublicKeyPath"] = "the file form of AlipayHK:PlatformPublicKey, for local runs (local.settings.sample.json); Azure sets the key itself, and both together stop start-up",
        ["Webhooks:MaxRequestAge"] = "default 25 h 22 min: AlipayHK's whole bill/notify retry schedule plus a margin",
        ["Webhooks:MaxFutureSkew"] = "default 5 min of clock skew",
        ["Loyalty:CardValidity"] = "default: the card is valid for the template's whole validity",
        ["Sweep:Grace"] = "default 10 min before the sweep treats work as stranded",
        ["Sweep:MaxItems"] = "default 1,000 attention notes per sweep run",
        ["Sweep:RetryFirst"] = "default 15 min before the sweep first retries a card Failed for a template-side cause",
        ["Sweep:RetryMax"] = "default 1 day, the longest wait between automatic retries of a Failed card",
        ["Testing:CrashAt"] = "tests only: crash points, honoured only in the Development environment; never set in Azure",
        ["AZURE_FUNCTIONS_ENVIRONMENT"] = "set by the Functions host (Production in Azure); crash points need Development",
        ["Signing:SignaturesPerSecond"] = "default 200 per instance, inside the smallest vault limit (2,000 per 10 s)",
        ["Signing:MiniAppSignaturesPerSecond"] = "default 20 per instance: the mini-app channel's cap inside that budget",
        ["MiniApp:RequestsPerMinutePerClient"] = "default 30 per client address",
        ["MiniApp:RequestsPerSecond"] = "default 50 per instance",
        ["MiniApp:ClientAddressHeader"] = "only behind a proxy all traffic must come through (Front Door: X-Azure-ClientIP, with access restricted to its service tag and X-Azure-FDID); the app is reached directly, so the connection's address is the client's, and setting it would let a client pick its own rate-limit bucket",
    };

    /// <summary>Settings the infrastructure sets for the platform rather than for the app's configuration.</summary>
    private static readonly Dictionary<string, string> ReadByThePlatform = new(StringComparer.OrdinalIgnoreCase)
    {
        ["AZURE_CLIENT_ID"] = "DefaultAzureCredential (the Key Vault signer) reads it from the environment",
        ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = "the Functions host's telemetry; the worker reads it too (Azure Monitor exporter)",
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

    [Fact]
    public void The_mini_app_settings_are_set_only_with_the_channel()
    {
        var bicep = File.ReadAllText(Repo.MainBicep);
        Assert.Contains("appSettings: concat(appSettings, miniAppOn ? miniAppSettings : [])", bicep, StringComparison.Ordinal);
        Assert.Contains("var miniAppOn = !empty(miniAppId)", bicep, StringComparison.Ordinal);
        var miniApp = SettingsIn(bicep, "miniAppSettings");
        Assert.All(miniApp.Keys, k => Assert.StartsWith("MiniApp:", k, StringComparison.Ordinal));
        Assert.Contains("MiniApp:AppId", miniApp.Keys);
        Assert.Contains("MiniApp:SessionSecret", miniApp.Keys);
        Assert.DoesNotContain(SettingsIn(bicep, "appSettings").Keys, k => k.StartsWith("MiniApp:", StringComparison.Ordinal));
    }

    /// <summary>
    /// The app settings of infra/main.bicep, by configuration key (<c>__</c> → <c>:</c>): the <c>appSettings</c> array
    /// and the <c>miniAppSettings</c> array (set with the mini-app channel only); the literal value when it is a
    /// plain string, else the Bicep expression in quotes or as written.
    /// </summary>
    private static Dictionary<string, string> InfraSettings()
    {
        var bicep = File.ReadAllText(Repo.MainBicep);
        var settings = SettingsIn(bicep, "appSettings");
        foreach (var (key, value) in SettingsIn(bicep, "miniAppSettings"))
        {
            Assert.True(settings.TryAdd(key, value), $"{key} is set twice");
        }
        return settings;
    }

    private static Dictionary<string, string> SettingsIn(string bicep, string variable)
    {
        bicep = bicep.ReplaceLineEndings("\n");
        var start = bicep.IndexOf($"\nvar {variable} = [\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"infra/main.bicep has no `var {variable} = [` block");
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

        // All must accept the infrastructure's settings as they are: a SettingsException here names the key at fault.
        _ = AppSettings.Load(configuration);
        _ = StorageClients.CreateQueueServiceClient(configuration);
        _ = StorageClients.CreateTableServiceClient(configuration);
        _ = AlipayFunctions.Reconciliation.CrashPoints.From(configuration);

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
