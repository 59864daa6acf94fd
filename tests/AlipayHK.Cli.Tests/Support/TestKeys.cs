using System.Security.Cryptography;
using AlipayHK.OpenApi.Signing;

namespace AlipayHK.Cli.Tests.Support;

/// <summary>RSA-2048 key pairs made once per test run (generation is the slow part).</summary>
internal static class TestKeys
{
    public static readonly KeyPair Merchant = KeyPair.Create();
    public static readonly KeyPair Platform = KeyPair.Create();
    public static readonly KeyPair Other = KeyPair.Create();
}

internal sealed record KeyPair(string PrivatePem, string PublicBase64)
{
    public static KeyPair Create()
    {
        using var rsa = RSA.Create(2048);
        return new KeyPair(rsa.ExportPkcs8PrivateKeyPem(), RsaKeys.ExportPublicKeyBase64(rsa));
    }

    public string WritePrivate(TempDir dir, string name)
    {
        var path = dir.File(name);
        File.WriteAllText(path, PrivatePem);
        return path;
    }
}
