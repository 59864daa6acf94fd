using System.Security.Cryptography;

namespace AlipayFunctions.Demo;

/// <summary>
/// The local run's key pairs in <c>.local/</c> (git-ignored): the merchant's (the app signs with it, the simulator
/// verifies) and the simulated AlipayHK platform's. Made once, kept between runs.
/// </summary>
internal sealed record LocalKeys(string MerchantPrivatePem, string MerchantPublicPem, string PlatformPrivatePem)
{
    public static LocalKeys LoadOrCreate(string folder)
    {
        Directory.CreateDirectory(folder);
        var merchant = LoadOrCreatePrivateKey(Path.Combine(folder, "merchant-private.pem"));
        var platform = LoadOrCreatePrivateKey(Path.Combine(folder, "platform-private.pem"));
        using var rsa = RSA.Create();
        rsa.ImportFromPem(merchant);
        var merchantPublic = rsa.ExportSubjectPublicKeyInfoPem();
        File.WriteAllText(Path.Combine(folder, "merchant-public.pem"), merchantPublic);
        return new LocalKeys(merchant, merchantPublic, platform);
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
