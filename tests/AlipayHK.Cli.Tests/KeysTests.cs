using System.Security.Cryptography;
using AlipayHK.Cli.Keys;
using AlipayHK.Cli.Tests.Support;
using AlipayHK.OpenApi.Signing;

namespace AlipayHK.Cli.Tests;

public sealed class KeysTests
{
    [Fact]
    public async Task Generate_writes_an_owner_only_pkcs8_key_and_prints_its_public_half()
    {
        using var dir = new TempDir();
        var outDir = Path.Combine(dir.Path, "keys");

        var run = await CliRunner.RunAsync("keys", "generate", "--out", outDir);

        Assert.True(run.ExitCode == 0, run.ToString());
        var privatePath = Path.Combine(outDir, KeysCommand.PrivateKeyFile);
        var publicPath = Path.Combine(outDir, KeysCommand.PublicKeyFile);
        var privatePem = await File.ReadAllTextAsync(privatePath);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", privatePem, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(privatePath));
        }
        using var key = RsaKeys.ImportPrivateKey(privatePem);
        Assert.Equal(2048, key.KeySize);
        var printed = run.Output.Trim();
        Assert.Equal(RsaKeys.ExportPublicKeyBase64(key), printed);
        using var fromPrinted = RsaKeys.ImportPublicKey(printed);
        using var fromPem = RsaKeys.ImportPublicKey(await File.ReadAllTextAsync(publicPath));
        Assert.Equal(fromPem.ExportSubjectPublicKeyInfo(), fromPrinted.ExportSubjectPublicKeyInfo());
        // The private key is written to the file, never to the console.
        Assert.DoesNotContain("PRIVATE KEY", run.Output + run.Error, StringComparison.Ordinal);
        var signature = key.SignData("x"u8, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        Assert.True(fromPrinted.VerifyData("x"u8, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public async Task Generate_refuses_to_overwrite_a_key()
    {
        using var dir = new TempDir();
        Assert.Equal(0, (await CliRunner.RunAsync("keys", "generate", "--out", dir.Path)).ExitCode);
        var before = await File.ReadAllTextAsync(dir.File(KeysCommand.PrivateKeyFile));

        var again = await CliRunner.RunAsync("keys", "generate", "--out", dir.Path);

        Assert.Equal(2, again.ExitCode);
        Assert.Contains("refusing to overwrite", again.Error, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllTextAsync(dir.File(KeysCommand.PrivateKeyFile)));
    }

    [Fact]
    public async Task Public_prints_the_portal_form_from_a_private_or_public_pem()
    {
        using var dir = new TempDir();
        var privatePath = TestKeys.Merchant.WritePrivate(dir, "merchant.pem");
        using (var rsa = RsaKeys.ImportPrivateKey(TestKeys.Merchant.PrivatePem))
        {
            await File.WriteAllTextAsync(dir.File("public.pem"), rsa.ExportSubjectPublicKeyInfoPem());
        }

        var fromPrivate = await CliRunner.RunAsync("keys", "public", "--pem", privatePath);
        var fromPublic = await CliRunner.RunAsync("keys", "public", "--pem", dir.File("public.pem"));

        Assert.Equal(0, fromPrivate.ExitCode);
        Assert.Equal(TestKeys.Merchant.PublicBase64, fromPrivate.Output.Trim());
        Assert.Equal(TestKeys.Merchant.PublicBase64, fromPublic.Output.Trim());
    }

    [Fact]
    public async Task Public_without_a_source_or_with_a_bad_file_or_key_id_is_a_usage_error()
    {
        using var dir = new TempDir();
        await File.WriteAllTextAsync(dir.File("junk.pem"), "not a key");

        Assert.Equal(2, (await CliRunner.RunAsync("keys", "public")).ExitCode);
        Assert.Equal(2, (await CliRunner.RunAsync("keys", "public", "--pem", dir.File("junk.pem"))).ExitCode);
        Assert.Equal(2, (await CliRunner.RunAsync("keys", "public", "--pem", dir.File("missing.pem"))).ExitCode);
        var badId = await CliRunner.RunAsync("keys", "public", "--key-vault-key-id", "https://example.com/not-a-key");
        Assert.Equal(2, badId.ExitCode);
        Assert.Contains("Signing:KeyVaultKeyId", badId.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_commands_and_missing_options_exit_2_and_help_lists_exit_codes()
    {
        Assert.Equal(2, (await CliRunner.RunAsync("keys", "generate")).ExitCode);
        Assert.Equal(2, (await CliRunner.RunAsync("frobnicate")).ExitCode);
        var help = await CliRunner.RunAsync("poison", "replay", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("Exit codes:", help.Output, StringComparison.Ordinal);
        Assert.Contains("2  usage or configuration error", help.Output, StringComparison.Ordinal);
    }
}
