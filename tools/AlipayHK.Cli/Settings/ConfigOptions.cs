using System.CommandLine;
using System.Runtime.CompilerServices;

namespace AlipayHK.Cli.Settings;

/// <summary>
/// The options that override the app's configuration keys. Each command adds the groups it reads, so
/// <c>--help</c> shows only what matters for it; <c>--set KEY=VALUE</c> reaches any key from any command.
/// </summary>
internal static class ConfigOptions
{
    // The configuration key of each option created here (a command's own option of the same name is not one).
    private static readonly ConditionalWeakTable<Option, string> Keys = [];

    private static readonly (string Name, string Key, string Description)[] StorageOptions =
    [
        ("--storage", "AzureWebJobsStorage", "Storage connection string (AzureWebJobsStorage; UseDevelopmentStorage=true for Azurite)."),
    ];

    private static readonly (string Name, string Key, string Description)[] AlipayOptions =
    [
        ("--base-url", "AlipayHK:BaseUrl", "AlipayHK host (AlipayHK:BaseUrl; default https://open.alipay.hk)."),
        ("--client-id", "AlipayHK:ClientId", "Client id AlipayHK issued (AlipayHK:ClientId)."),
        ("--merchant-id", "AlipayHK:MerchantId", "Merchant id AlipayHK issued (AlipayHK:MerchantId)."),
        ("--key-version", "AlipayHK:KeyVersion", "keyVersion sent in Signature headers (AlipayHK:KeyVersion; default 1)."),
        ("--platform-public-key", "AlipayHK:PlatformPublicKey", "AlipayHK's public key: PEM/base64, or a file holding it (AlipayHK:PlatformPublicKey)."),
        ("--signing-mode", "Signing:Mode", "KeyVault (default) or Pem (Signing:Mode)."),
        ("--key-vault-key-id", "Signing:KeyVaultKeyId", "Merchant key in Key Vault, https://<vault>.vault.azure.net/keys/<name>[/<version>] (Signing:KeyVaultKeyId)."),
        ("--private-key", "Signing:PrivateKeyPath", "Merchant private key PEM file for Pem mode (Signing:PrivateKeyPath)."),
    ];

    /// <summary><c>--set KEY=VALUE</c>, any configuration key, on every command.</summary>
    public static readonly Option<string[]> Set = new("--set")
    {
        Description = "Set any configuration key, e.g. --set Loyalty:TemplateCode=TPL1 (repeatable; overrides environment variables).",
        Recursive = true,
        HelpName = "KEY=VALUE",
    };

    public static void AddStorage(Command command) => Add(command, StorageOptions);

    public static void AddAlipay(Command command, params string[] except) =>
        Add(command, AlipayOptions.Where(o => !except.Contains(o.Name)));

    public static void AddKeyVaultKeyId(Command command) => Add(command, AlipayOptions.Where(o => o.Name == "--key-vault-key-id"));

    /// <summary>The configuration options present on <paramref name="command"/>, with the key each overrides.</summary>
    public static IEnumerable<(Option Option, string Key)> Mapped(Command command)
    {
        foreach (var option in command.Options)
        {
            if (Keys.TryGetValue(option, out var key))
            {
                yield return (option, key);
            }
        }
    }

    private static void Add(Command command, IEnumerable<(string Name, string Key, string Description)> options)
    {
        foreach (var (name, key, description) in options)
        {
            var option = new Option<string>(name) { Description = description };
            Keys.Add(option, key);
            command.Add(option);
        }
    }
}
