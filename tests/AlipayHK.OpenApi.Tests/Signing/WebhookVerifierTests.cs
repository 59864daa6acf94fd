using System.Security.Cryptography;
using System.Text;
using AlipayHK.OpenApi.Signing;
using AlipayHK.OpenApi.Webhooks;

namespace AlipayHK.OpenApi.Tests.Signing;

public sealed class WebhookVerifierTests : IDisposable
{
    private const string Path = "/shop1/points/bill/notify";
    private const string ClientId = "2022091234567890";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"userId":"2160001","billNo":"B1","orderAmount":{"currency":"HKD","value":1250}}""");

    private readonly RSA _platformKey = RSA.Create(2048);
    private readonly AlipayWebhookVerifier _verifier;

    public WebhookVerifierTests()
    {
        _verifier = new AlipayWebhookVerifier(new AlipayWebhookVerifierOptions
        {
            PlatformPublicKey = _platformKey.ExportSubjectPublicKeyInfoPem(),
            ClientId = ClientId,
        });
    }

    [Fact]
    public async Task A_message_signed_by_the_platform_key_verifies()
    {
        var signed = await SignAsync(Path, Body);

        var result = _verifier.Verify("POST", Path, Headers(signed), Body);

        Assert.True(result.IsValid, result.Message);
    }

    [Theory]
    [InlineData("body")]
    [InlineData("path")]
    [InlineData("time")]
    [InlineData("clientId")]
    public async Task Changing_one_byte_breaks_verification(string part)
    {
        var signed = await SignAsync(Path, Body);
        var body = (byte[])Body.Clone();
        var path = Path;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            [AlipayHeaders.ClientId] = signed.ClientId,
            [AlipayHeaders.RequestTime] = signed.Time,
            [AlipayHeaders.Signature] = signed.Signature,
        };
        switch (part)
        {
            case "body": body[10] ^= 1; break;
            case "path": path = "/shop1/points/bill/notifz"; break;
            case "time":
                Assert.True(AlipayTime.TryParse(signed.Time, out var sent));
                headers[AlipayHeaders.RequestTime] = AlipayTime.ToHeaderValue(sent.AddSeconds(1));
                break;
            case "clientId":
                // A verifier for another merchant must reject the same message.
                using (var other = new AlipayWebhookVerifier(new AlipayWebhookVerifierOptions { PlatformPublicKey = _platformKey.ExportSubjectPublicKeyInfoPem(), ClientId = ClientId + "1" }))
                {
                    Assert.Equal(WebhookRejection.ClientIdMismatch, other.Verify("POST", path, Lookup(headers), body).Rejection);
                }
                return;
        }

        var result = _verifier.Verify("POST", path, Lookup(headers), body);

        Assert.Equal(WebhookRejection.InvalidSignature, result.Rejection);
    }

    [Fact]
    public async Task A_signature_from_another_key_is_rejected()
    {
        using var other = RSA.Create(2048);
        using var otherSigner = new PemAlipaySigner(other.ExportPkcs8PrivateKeyPem());
        var signed = await new AlipayMessageSigner(otherSigner, ClientId, "1").SignAsync(Path, Body);

        Assert.Equal(WebhookRejection.InvalidSignature, _verifier.Verify("POST", Path, Headers(signed), Body).Rejection);
    }

    private async Task<SignedMessage> SignAsync(string path, byte[] body)
    {
        using var signer = new PemAlipaySigner(_platformKey.ExportRSAPrivateKeyPem());
        return await new AlipayMessageSigner(signer, ClientId, "1").SignAsync(path, body);
    }

    private static Func<string, string?> Headers(SignedMessage signed) => Lookup(new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [AlipayHeaders.ClientId] = signed.ClientId,
        [AlipayHeaders.RequestTime] = signed.Time,
        [AlipayHeaders.Signature] = signed.Signature,
    });

    private static Func<string, string?> Lookup(Dictionary<string, string> headers) => name => headers.GetValueOrDefault(name);

    public void Dispose()
    {
        _verifier.Dispose();
        _platformKey.Dispose();
    }
}
