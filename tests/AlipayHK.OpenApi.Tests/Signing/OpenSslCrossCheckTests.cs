using System.Text;
using AlipayHK.OpenApi.Signing;
using AlipayHK.OpenApi.Tests.Support;

namespace AlipayHK.OpenApi.Tests.Signing;

/// <summary>The library and openssl agree on the string-to-sign and the signature, both ways.</summary>
public sealed class OpenSslCrossCheckTests : IDisposable
{
    private const string Path = "/api/open/alipay/v1/ipass/pass/manage/updatePass";
    private const string ClientId = "2022091234567890";
    private const string Time = "2026-11-22T10:15:30+08:00";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"merchantId":"2160120036095023","passId":"P1","status":"UPDATE","dataInfo":{"zh_HK":{"$points$":"積分 120"}}}""");

    private readonly OpenSsl _openSsl = new();

    [Fact]
    public async Task What_the_library_signs_verifies_with_openssl()
    {
        using var signer = new PemAlipaySigner(TestKeys.MerchantPrivatePem);
        var signed = await new AlipayMessageSigner(signer, ClientId, "1").SignAsync(Path, Body, Time);
        Assert.True(SignatureHeader.TryParse(signed.Signature, out var header, out _));

        var data = _openSsl.Write("data.bin", StringToSign.Build("POST", Path, ClientId, Time, Body));
        var signature = _openSsl.Write("sig.bin", Convert.FromBase64String(header!.SignatureBase64));
        var key = _openSsl.Write("pub.pem", TestKeys.MerchantPublicPem);

        var (exit, output) = _openSsl.Run("dgst", "-sha256", "-verify", key, "-signature", signature, data);

        Assert.True(exit == 0, output);
        Assert.Contains("Verified OK", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_string_to_sign_is_the_documented_one()
    {
        var expected = "POST " + Path + "\n" + ClientId + "." + Time + "." + Encoding.UTF8.GetString(Body);

        Assert.Equal(Encoding.UTF8.GetBytes(expected), StringToSign.Build("POST", Path, ClientId, Time, Body));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("body")]
    [InlineData("path")]
    [InlineData("time")]
    [InlineData("clientId")]
    public void What_openssl_signs_verifies_in_the_library_and_one_changed_byte_breaks_it(string? change)
    {
        var data = _openSsl.Write("data.bin", StringToSign.Build("POST", Path, ClientId, Time, Body));
        var key = _openSsl.Write("key.pem", TestKeys.PlatformPrivatePem);
        var (exit, output) = _openSsl.Run("dgst", "-sha256", "-sign", key, "-out", "sig.bin", data);
        Assert.True(exit == 0, output);
        var header = SignatureHeader.Format("1", File.ReadAllBytes(System.IO.Path.Combine(_openSsl.Folder, "sig.bin")));

        var body = (byte[])Body.Clone();
        string path = Path, clientId = ClientId, time = Time;
        switch (change)
        {
            case "body": body[^3] ^= 0x01; break;
            case "path": path = Path[..^1] + "S"; break;
            case "time": time = "2026-11-22T10:15:31+08:00"; break;
            case "clientId": clientId = ClientId[..^1] + "1"; break;
        }
        using var verifier = new AlipaySignatureVerifier(TestKeys.PlatformPublicBase64);

        var result = verifier.Verify("POST", path, clientId, time, body, header);

        Assert.Equal(change is null ? SignatureRejection.None : SignatureRejection.InvalidSignature, result);
    }

    public void Dispose() => _openSsl.Dispose();
}
