using System.Text;
using AlipayHK.OpenApi.Signing;
using AlipayHK.OpenApi.Tests.Support;
using AlipayHK.OpenApi.Webhooks;

namespace AlipayHK.OpenApi.Tests.Signing;

/// <summary>Every header form of protocol §2.4 is accepted; what is not RSA-SHA256 or not decodable is refused.</summary>
public sealed class SignatureHeaderVariantTests
{
    private const string Path = "/shop1/points/bill/notify";
    private const string ClientId = "2022091234567890";
    private const string Time = "2026-11-22T10:15:30Z";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"billNo":"B1"}""");

    // The signature's base64 and its URL-encoded form; the key is random, so retry until the base64 has '+', '/' or '='
    // characters worth encoding (almost always at once).
    private static readonly Lazy<(string Base64, string Encoded)> Signature = new(() =>
    {
        var data = StringToSign.Build("POST", Path, ClientId, Time, Body);
        var raw = TestKeys.Platform.SignData(data, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        var base64 = Convert.ToBase64String(raw);
        return (base64, Uri.EscapeDataString(base64));
    });

    public static TheoryData<string> AcceptedHeaders() =>
    [
        "algorithm=RSA256, keyVersion=1, signature={enc}",
        "algorithm=RSA256,keyVersion=1,signature={enc}",
        "algorithm=rsa256, keyVersion=2, signature={enc}",
        "algorithm=sha256withrsa, keyVersion=2, signature={enc}",
        "algorithm=SHA256WithRSA,keyVersion=0,signature={enc}",
        "algorithm=RSA256, keyVersion=1, signature={raw}",
        "algorithm=RSA256, keyVersion=1, signature={lower}",
        "keyVersion=1, signature={enc}",
        "signature={enc}",
        "signature={enc}, algorithm=RSA256, keyVersion=1",
        "  algorithm = RSA256 ,  keyVersion = 1 ,  signature =  {enc}  ",
        "algorithm=RSA256, keyVersion=1, signature={wrapped}",
        "Algorithm=RSA256, KeyVersion=1, Signature={enc}",
    ];

    [Theory]
    [MemberData(nameof(AcceptedHeaders))]
    public void Every_documented_header_form_verifies(string template)
    {
        using var verifier = new AlipaySignatureVerifier(TestKeys.PlatformPublicBase64);

        Assert.Equal(SignatureRejection.None, verifier.Verify("POST", Path, ClientId, Time, Body, Fill(template)));
    }

    [Theory]
    [InlineData("algorithm=ECC224, keyVersion=1, signature={enc}", SignatureRejection.UnsupportedAlgorithm)]
    [InlineData("algorithm=RSA, keyVersion=1, signature={enc}", SignatureRejection.UnsupportedAlgorithm)]
    [InlineData("algorithm=RSA256, keyVersion=1", SignatureRejection.MalformedSignature)]
    [InlineData("algorithm=RSA256, keyVersion=1, signature=", SignatureRejection.MalformedSignature)]
    [InlineData("algorithm=RSA256, keyVersion=1, signature=%ZZabc", SignatureRejection.MalformedSignature)]
    [InlineData("algorithm=RSA256, keyVersion=1, signature=not*base64", SignatureRejection.MalformedSignature)]
    [InlineData("", SignatureRejection.MissingSignature)]
    [InlineData("algorithm=RSA256, keyVersion=1, signature=AAAA", SignatureRejection.InvalidSignature)]
    public void Other_headers_are_refused_with_a_reason(string template, SignatureRejection expected)
    {
        using var verifier = new AlipaySignatureVerifier(TestKeys.PlatformPublicBase64);

        Assert.Equal(expected, verifier.Verify("POST", Path, ClientId, Time, Body, Fill(template)));
    }

    [Theory]
    [InlineData("Client-Id")]
    [InlineData("client-id")]
    [InlineData("CLIENT-ID")]
    [InlineData("clientId")]
    public void The_client_id_is_read_under_every_name(string headerName)
    {
        using var verifier = new AlipayWebhookVerifier(new AlipayWebhookVerifierOptions { PlatformPublicKey = TestKeys.PlatformPublicBase64, ClientId = ClientId, MaxRequestAge = null });
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            [headerName] = ClientId,
            ["Request-Time"] = Time,
            ["Signature"] = Fill("algorithm=RSA256, keyVersion=1, signature={enc}"),
        };

        var result = verifier.Verify("POST", Path, name => headers.GetValueOrDefault(name), Body);

        Assert.True(result.IsValid, result.Message);
    }

    [Fact]
    public void The_header_is_written_strictly()
    {
        var header = SignatureHeader.Format("2", Convert.FromBase64String(Signature.Value.Base64));

        Assert.Equal($"algorithm=RSA256, keyVersion=2, signature={Signature.Value.Encoded}", header);
        Assert.DoesNotContain('+', header);
        Assert.DoesNotContain('/', header);
    }

    private static string Fill(string template)
    {
        var (base64, encoded) = Signature.Value;
        // AlipayHK's documented sample wraps the value with spaces, even inside a percent escape.
        var wrapped = encoded[..20] + " " + encoded[20..60] + " \t" + encoded[60..];
        var percent = encoded.IndexOf('%', 10);
        if (percent > 0)
        {
            wrapped = encoded[..(percent + 1)] + " " + encoded[(percent + 1)..];
        }
        var lower = System.Text.RegularExpressions.Regex.Replace(encoded, "%[0-9A-F]{2}", m => m.Value.ToLowerInvariant());
        return template.Replace("{enc}", encoded, StringComparison.Ordinal)
            .Replace("{raw}", base64, StringComparison.Ordinal)
            .Replace("{lower}", lower, StringComparison.Ordinal)
            .Replace("{wrapped}", wrapped, StringComparison.Ordinal);
    }
}
