using System.Security.Cryptography;

namespace AlipayFunctions.Tests.Infrastructure;

/// <summary>The merchant and platform key pairs of a test run, generated once (RSA key generation is slow).</summary>
internal static class TestKeys
{
    private static readonly Lazy<(string Pem, string PublicKey)> MerchantKeyPair = new(Generate);
    private static readonly Lazy<(string Pem, string PublicKey)> PlatformKeyPair = new(Generate);

    /// <summary>The merchant's private key (PKCS#8 PEM) the app signs with.</summary>
    public static string MerchantPrivateKeyPem => MerchantKeyPair.Value.Pem;

    /// <summary>The merchant's public key, registered with the simulator.</summary>
    public static string MerchantPublicKey => MerchantKeyPair.Value.PublicKey;

    /// <summary>AlipayHK's (the simulator's) private key.</summary>
    public static string PlatformPrivateKeyPem => PlatformKeyPair.Value.Pem;

    private static (string, string) Generate()
    {
        using var rsa = RSA.Create(2048);
        return (rsa.ExportPkcs8PrivateKeyPem(), Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo()));
    }
}
