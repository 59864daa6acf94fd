using System.Security.Cryptography;

namespace AlipayHK.Simulator.Tests.Infrastructure;

/// <summary>RSA keys generated once per test run (generation is the slow part of starting a simulator).</summary>
internal static class TestKeys
{
    private static readonly Lazy<(string Private, string Public)> s_merchant = new(Generate);
    private static readonly Lazy<(string Private, string Public)> s_platform = new(Generate);
    private static readonly Lazy<(string Private, string Public)> s_stranger = new(Generate);

    public static string MerchantPrivatePem => s_merchant.Value.Private;
    public static string MerchantPublicPem => s_merchant.Value.Public;
    public static string PlatformPrivatePem => s_platform.Value.Private;
    public static string PlatformPublicPem => s_platform.Value.Public;

    /// <summary>A key nobody registered.</summary>
    public static string StrangerPrivatePem => s_stranger.Value.Private;

    private static (string, string) Generate()
    {
        using var rsa = RSA.Create(2048);
        return (rsa.ExportPkcs8PrivateKeyPem(), rsa.ExportSubjectPublicKeyInfoPem());
    }
}
