using System.CommandLine;
using AlipayFunctions.KeyVault;
using AlipayFunctions.Loyalty;
using AlipayFunctions.Settings;
using AlipayFunctions.Storage;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using AlipayHK.OpenApi.Client;
using AlipayHK.OpenApi.Signing;
using Microsoft.Extensions.Configuration;

namespace AlipayHK.Cli.Settings;

/// <summary>
/// The app's configuration keys (design.md §6) as the CLI sees them: the host's configuration (environment
/// variables such as <c>AlipayHK__ClientId</c>, <c>Signing__Mode</c>, <c>AzureWebJobsStorage</c>), overridden by
/// the command's options and by <c>--set KEY=VALUE</c>. Only the keys a command needs are read, with the app's
/// rules and the app's messages (<see cref="SettingsException"/>), so one command never fails on another's key.
/// </summary>
internal sealed class CliSettings(IConfiguration configuration, CliHost host)
{
    public IConfiguration Configuration => configuration;

    public static CliSettings From(ParseResult parse, CliHost host)
    {
        var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (option, key) in ConfigOptions.Mapped(parse.CommandResult.Command))
        {
            if (option is Option<string> typed && parse.GetValue(typed) is { Length: > 0 } value)
            {
                overrides[key] = key == "AlipayHK:PlatformPublicKey" && File.Exists(value) ? File.ReadAllText(value) : value;
                if (key == "AlipayHK:PlatformPublicKey")
                {
                    // The option replaces the configured key, whichever of its two forms the environment uses.
                    overrides["AlipayHK:PlatformPublicKeyPath"] = null;
                }
            }
        }
        foreach (var pair in parse.GetValue(ConfigOptions.Set) ?? [])
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new UsageException($"--set expects KEY=VALUE (e.g. AlipayHK:ClientId=2188...), not '{pair}'.");
            }
            overrides[pair[..equals].Trim().Replace("__", ":", StringComparison.Ordinal)] = pair[(equals + 1)..];
        }
        var merged = new ConfigurationBuilder().AddConfiguration(host.Configuration).AddInMemoryCollection(overrides).Build();
        return new CliSettings(merged, host);
    }

    // The app's own reader: the same rules and messages for every key the CLI shares with the app.
    private SettingsReader Reader => new(configuration);

    public string? Get(string key) => configuration[key] is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    public string Required(string key, string option) =>
        Get(key) ?? throw new SettingsException(key, $"is missing: pass {option} or set it");

    // ---- storage ----

    /// <summary>
    /// The app's queues through the app's own client factory (the same AzureWebJobsStorage rules), with the CLI's
    /// short retries. <paramref name="undecodable"/> receives the ids of messages that are not base64 (the SDK skips
    /// them instead of failing the whole peek or receive).
    /// </summary>
    public QueueServiceClient Queues(Action<string>? undecodable = null)
    {
        var options = CliStorage.Configure(new QueueClientOptions());
        if (undecodable is not null)
        {
            options.MessageDecodingFailed += args =>
            {
                undecodable(args.ReceivedMessage?.MessageId ?? args.PeekedMessage?.MessageId ?? "?");
                return Task.CompletedTask;
            };
        }
        return StorageClients.CreateQueueServiceClient(configuration, options, IdentityCredential());
    }

    public TableClient LoyaltyTable() =>
        StorageClients.CreateTableServiceClient(configuration, CliStorage.Configure(new TableClientOptions()), IdentityCredential())
            .GetTableClient(AppStorage.LoyaltyTable);

    // An identity-based connection uses the operator's identity (az login, ...) unless the settings name one.
    private TokenCredential? IdentityCredential() =>
        configuration[$"{StorageClients.ConnectionName}:credential"] is { Length: > 0 } ? null : host.Credential();

    /// <summary>The app's ledger over the app's table; the CLI never enrols, so the loyalty rules are the defaults.</summary>
    public LoyaltyLedger Ledger() => new(LoyaltyTable(),
        new LoyaltySettings(Get("Loyalty:TemplateCode") ?? "", EarnRules.Default, "$points$", Get("Loyalty:MemberIdPrefix") ?? "M", ["en_US", "zh_HK"]),
        host.Clock);

    // ---- AlipayHK ----

    public string ClientId() => Required("AlipayHK:ClientId", "--client-id");

    public string KeyVersion() => Get("AlipayHK:KeyVersion") ?? "1";

    public string PlatformPublicKey() => Reader.PlatformPublicKey();

    public Uri BaseUrl() => Reader.AbsoluteUri("AlipayHK:BaseUrl", required: false) ?? AlipayHKClientOptions.ProductionBaseUrl;

    /// <summary>The merchant signer the settings name: Key Vault (the default, as in the app) or a PEM key.</summary>
    public IAlipaySigner MerchantSigner()
    {
        var signingMode = Reader.Enum("Signing:Mode", SigningMode.KeyVault);
        if (signingMode == SigningMode.KeyVault)
        {
            return KeyVaultSigner();
        }
        return new PemAlipaySigner(MerchantPrivateKeyPem());
    }

    /// <summary>The merchant key in Key Vault, with the host's credential (DefaultAzureCredential in a real run).</summary>
    public KeyVaultSigner KeyVaultSigner()
    {
        var text = Required("Signing:KeyVaultKeyId", "--key-vault-key-id");
        try
        {
            return new KeyVaultSigner(new Uri(text, UriKind.Absolute), host.Credential());
        }
        catch (Exception e) when (e is UriFormatException or ArgumentException)
        {
            throw new SettingsException("Signing:KeyVaultKeyId", "is not a Key Vault key id (https://<vault>.vault.azure.net/keys/<name>[/<version>])");
        }
    }

    /// <summary>The merchant key for Pem mode (Signing:PrivateKeyPem or the file at Signing:PrivateKeyPath), checked by the app's rules.</summary>
    public string MerchantPrivateKeyPem() => Reader.PrivateKeyPem();

    /// <summary>The client the app uses, configured from the same keys.</summary>
    public AlipayHKClient AlipayClient()
    {
        var options = new AlipayHKClientOptions
        {
            BaseUrl = BaseUrl(),
            ClientId = ClientId(),
            MerchantId = Get("AlipayHK:MerchantId"),
            KeyVersion = KeyVersion(),
            PlatformPublicKey = PlatformPublicKey(),
            NextPlatformPublicKey = Reader.OptionalPublicKey("AlipayHK:NextPlatformPublicKey"),
        };
        return new AlipayHKClient(host.HttpClient(), options, MerchantSigner(), host.Clock);
    }

    public string MerchantId() => Required("AlipayHK:MerchantId", "--merchant-id");

    /// <summary>The sweep's settings (<c>Sweep:Grace</c>, <c>Sweep:MaxItems</c>), read as the app reads them.</summary>
    public SweepSettings Sweep() => SweepSettings.Read(Reader);
}
