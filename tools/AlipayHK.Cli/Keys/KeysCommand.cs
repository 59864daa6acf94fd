using System.CommandLine;
using System.Security.Cryptography;
using AlipayHK.Cli.Settings;
using AlipayHK.OpenApi.Signing;

namespace AlipayHK.Cli.Keys;

/// <summary><c>keys generate</c> and <c>keys public</c>: the merchant key pair and the form AlipayHK's portal takes.</summary>
internal static class KeysCommand
{
    public const string PrivateKeyFile = "merchant-private.pem";
    public const string PublicKeyFile = "merchant-public.pem";

    public static Command Build(CliHost host) => new("keys", "Create the merchant RSA key pair, or print a public key as AlipayHK's portal takes it.")
    {
        Generate(host),
        Public(host),
    };

    private static Command Generate(CliHost host)
    {
        var outDir = new Option<DirectoryInfo>("--out") { Description = "Directory for merchant-private.pem (PKCS#8, mode 0600) and merchant-public.pem.", Required = true };
        var command = new Command("generate", "Generate a merchant RSA-2048 key pair and print the public key as bare base64 SubjectPublicKeyInfo (paste it into AlipayHK's portal). For production, prefer a key created in Key Vault and 'keys public --key-vault-key-id'.")
        {
            outDir,
        };
        command.SetAction((parse, ct) => CliApp.Guard(host, async () =>
        {
            var dir = parse.GetRequiredValue(outDir);
            Directory.CreateDirectory(dir.FullName);
            var privatePath = Path.Combine(dir.FullName, PrivateKeyFile);
            var publicPath = Path.Combine(dir.FullName, PublicKeyFile);
            if (File.Exists(privatePath) || File.Exists(publicPath))
            {
                throw new UsageException($"{privatePath} or {publicPath} exists; refusing to overwrite a key. Choose another --out directory.");
            }
            using var rsa = RSA.Create(2048);
            // Created with owner-only permissions from the first byte, never world-readable in between.
            await WriteAsync(privatePath, rsa.ExportPkcs8PrivateKeyPem(), ownerOnly: true, ct).ConfigureAwait(false);
            await WriteAsync(publicPath, rsa.ExportSubjectPublicKeyInfoPem(), ownerOnly: false, ct).ConfigureAwait(false);
            await host.Error.WriteLineAsync($"Wrote {privatePath} (private, keep secret) and {publicPath}. Public key for AlipayHK's portal:").ConfigureAwait(false);
            host.Output.WriteLine(RsaKeys.ExportPublicKeyBase64(rsa));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Public(CliHost host)
    {
        var pem = new Option<FileInfo>("--pem") { Description = "A PEM file: a public key, or a private key whose public half is printed." };
        var command = new Command("public", "Print a public key as bare base64 SubjectPublicKeyInfo: from a PEM file (--pem), or from the Key Vault key (--key-vault-key-id, DefaultAzureCredential).")
        {
            pem,
        };
        ConfigOptions.AddKeyVaultKeyId(command);
        command.SetAction((parse, ct) => CliApp.Guard(host, async () =>
        {
            if (parse.GetValue(pem) is { } file)
            {
                host.Output.WriteLine(ReadPublicKeyBase64(file));
                return ExitCodes.Ok;
            }
            var settings = CliSettings.From(parse, host);
            if (settings.Get("Signing:KeyVaultKeyId") is null)
            {
                throw new UsageException("Give --pem FILE or --key-vault-key-id URI (or set Signing__KeyVaultKeyId).");
            }
            var signer = settings.KeyVaultSigner();
            host.Output.WriteLine(await signer.GetPublicKeyBase64Async(ct).ConfigureAwait(false));
            return ExitCodes.Ok;
        }));
        return command;
    }

    internal static string ReadPublicKeyBase64(FileInfo file)
    {
        if (!file.Exists)
        {
            throw new UsageException($"{file.FullName} does not exist.");
        }
        var text = File.ReadAllText(file.FullName);
        using var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(text);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            throw new UsageException($"{file.FullName} holds no PEM RSA key (PUBLIC KEY, RSA PUBLIC KEY, PRIVATE KEY or RSA PRIVATE KEY; encrypted keys are not read).");
        }
        return RsaKeys.ExportPublicKeyBase64(rsa);
    }

    private static async Task WriteAsync(string path, string text, bool ownerOnly, CancellationToken ct)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = ownerOnly
                ? UnixFileMode.UserRead | UnixFileMode.UserWrite
                : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        }
        var stream = new FileStream(path, options);
        await using (stream.ConfigureAwait(false))
        {
            var writer = new StreamWriter(stream);
            await using (writer.ConfigureAwait(false))
            {
                await writer.WriteAsync(text.AsMemory(), ct).ConfigureAwait(false);
                await writer.WriteLineAsync().ConfigureAwait(false);
            }
        }
    }
}
