using System.Security.Cryptography;

namespace AlipayFunctions.Demo;

/// <summary>
/// The local run's key pairs in <c>.local/</c> (git-ignored): the merchant's (the app signs with it, the simulator
/// verifies) and the simulated AlipayHK platform's. Made once, kept between runs.
/// </summary>
internal sealed record LocalKeys(string MerchantPrivatePath, string MerchantPrivatePem, string MerchantPublicPem, string PlatformPrivatePath, string PlatformPrivatePem)
{
    public static LocalKeys LoadOrCreate(string folder)
    {
        Directory.CreateDirectory(folder);
        var merchantPath = Path.Combine(folder, "merchant-private.pem");
        var platformPath = Path.Combine(folder, "platform-private.pem");
        var merchant = LoadOrCreatePrivateKey(merchantPath);
        var platform = LoadOrCreatePrivateKey(platformPath);
        using var rsa = RSA.Create();
        rsa.ImportFromPem(merchant);
        var merchantPublic = rsa.ExportSubjectPublicKeyInfoPem();
        File.WriteAllText(Path.Combine(folder, "merchant-public.pem"), merchantPublic);
        return new LocalKeys(merchantPath, merchant, merchantPublic, platformPath, platform);
    }

    private static string LoadOrCreatePrivateKey(string path)
    {
        if (File.Exists(path))
        {
            return File.ReadAllText(path);
        }
        using var rsa = RSA.Create(2048);
        var pem = rsa.ExportPkcs8PrivateKeyPem();
        File.WriteAllText(path, pem);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return pem;
    }
}
