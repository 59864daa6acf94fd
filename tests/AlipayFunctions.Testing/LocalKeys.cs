using System.Security.Cryptography;

namespace AlipayFunctions.Testing;

/// <summary>
/// The local development key pairs in the repository's <c>.local/</c> (git-ignored): the merchant's (the app signs
/// with it, the simulator verifies) and the simulated AlipayHK platform's (the simulator signs, the app verifies).
/// Made once, kept between runs: the demo uses them, <c>dotnet run --project tools/AlipayFunctions.Demo -- --keys-only</c>
/// makes them for <c>func start</c> with <c>local.settings.sample.json</c>, which names them by file.
/// </summary>
/// <param name="MerchantPrivatePath"><c>merchant-private.pem</c>: PKCS#8, mode 0600 (the app's <c>Signing:PrivateKeyPath</c>).</param>
/// <param name="MerchantPrivatePem">Its text.</param>
/// <param name="MerchantPublicPem">The text of <c>merchant-public.pem</c> (the simulator's <c>MerchantPublicKeyPath</c>).</param>
/// <param name="PlatformPrivatePath"><c>platform-private.pem</c>: PKCS#8, mode 0600 (the simulator's <c>PlatformPrivateKeyPath</c>).</param>
/// <param name="PlatformPrivatePem">Its text.</param>
public sealed record LocalKeys(string MerchantPrivatePath, string MerchantPrivatePem, string MerchantPublicPem, string PlatformPrivatePath, string PlatformPrivatePem)
{
    /// <summary>The files, in the order they are listed.</summary>
    public static readonly IReadOnlyList<string> FileNames = ["merchant-private.pem", "merchant-public.pem", "platform-private.pem", "platform-public.pem"];

    /// <summary><c>platform-public.pem</c>, the platform key's public half (the app's <c>AlipayHK:PlatformPublicKeyPath</c>).</summary>
    public string PlatformPublicPath => Path.Combine(Path.GetDirectoryName(PlatformPrivatePath)!, "platform-public.pem");

    /// <summary>Whether this call made a new key pair (false: both private keys were already there).</summary>
    public bool Created { get; init; }

    /// <summary>Reads the two private keys from <paramref name="folder"/>, making any that is missing, and (re)writes their public halves.</summary>
    public static LocalKeys LoadOrCreate(string folder)
    {
        Directory.CreateDirectory(folder);
        var merchantPath = Path.Combine(folder, "merchant-private.pem");
        var platformPath = Path.Combine(folder, "platform-private.pem");
        var created = !File.Exists(merchantPath) || !File.Exists(platformPath);
        var merchant = LoadOrCreatePrivateKey(merchantPath);
        var platform = LoadOrCreatePrivateKey(platformPath);
        var merchantPublic = WritePublicHalf(merchant, Path.Combine(folder, "merchant-public.pem"));
        WritePublicHalf(platform, Path.Combine(folder, "platform-public.pem"));
        return new LocalKeys(merchantPath, merchant, merchantPublic, platformPath, platform) { Created = created };
    }

    private static string WritePublicHalf(string privatePem, string path)
    {
        using var rsa = RSA.Create();
        rsa.ImportFromPem(privatePem);
        var publicPem = rsa.ExportSubjectPublicKeyInfoPem();
        File.WriteAllText(path, publicPem);
        return publicPem;
    }

    private static string LoadOrCreatePrivateKey(string path)
    {
        if (File.Exists(path))
        {
            return File.ReadAllText(path);
        }
        using var rsa = RSA.Create(2048);
        var pem = rsa.ExportPkcs8PrivateKeyPem();
        // Created owner-only (0600), never readable by others even for a moment.
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var writer = new StreamWriter(path, options))
        {
            writer.Write(pem);
        }
        return pem;
    }
}
