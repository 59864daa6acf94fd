using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using AlipayFunctions.Storage;
using AlipayFunctions.Testing;
using AlipayFunctions.Tests.Infrastructure;
using AlipayHK.OpenApi.Signing;

namespace AlipayFunctions.Tests;

/// <summary>Bad webhook input gets a clear 4xx with an F result and queues nothing.</summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class WebhookRefusalTests(AzuriteFixture azurite)
{
    private const string BillNotify = "bill/notify";

    [Fact]
    public async Task Every_bad_webhook_is_refused_with_its_4xx_and_an_F_result_and_nothing_is_queued()
    {
        // Whatever a webhook queued would be visible on its queue, or (once the host picked it up) an invocation.
        await using var app = await TestApp.StartAsync(azurite);
        var user = TestApp.NewUserId();
        var bill = TestApp.BillJson(user, "BAD-" + user, 1000);
        using var otherKey = RSA.Create(2048);
        using var otherSigner = new PemAlipaySigner(otherKey.ExportPkcs8PrivateKeyPem());
        var impostor = new AlipayMessageSigner(otherSigner, app.Sim.ClientId, "1");
        var oversize = bill[..^1] + ",\"padding\":\"" + new string('x', 70 * 1024) + "\"}";
        var altered = TestApp.BillJson(user, "BAD-" + user, 999999);

        var cases = new (string Name, int Status, Func<Task<WebhookAnswer>> Send)[]
        {
            ("missing signature", 401, () => app.PostWebhookAsync(BillNotify, bill, r => r.Headers.Remove(AlipayHeaders.Signature))),
            ("bad signature", 401, () => app.PostWebhookAsync(BillNotify, bill, r => Replace(r, AlipayHeaders.Signature, "algorithm=RSA256, keyVersion=1, signature=" + Uri.EscapeDataString(Convert.ToBase64String(new byte[256]))))),
            ("undecodable signature", 401, () => app.PostWebhookAsync(BillNotify, bill, r => Replace(r, AlipayHeaders.Signature, "algorithm=RSA256, keyVersion=1, signature=%%%"))),
            ("signature from another key", 401, async () =>
            {
                var signed = await impostor.SignAsync($"/{TestApp.MerchantTag}/points/{BillNotify}", Encoding.UTF8.GetBytes(bill));
                return await app.PostWebhookAsync(BillNotify, bill, r => Replace(r, AlipayHeaders.Signature, signed.Signature));
            }),
            ("wrong client id", 403, () => app.PostWebhookAsync(BillNotify, bill, r => Replace(r, AlipayHeaders.ClientId, "SOMEONE-ELSE"))),
            ("missing Request-Time", 401, () => app.PostWebhookAsync(BillNotify, bill, r => r.Headers.Remove(AlipayHeaders.RequestTime))),
            ("unknown merchant tag", 404, () => app.PostWebhookAsync(BillNotify, bill, tag: "othermall")),
            ("malformed JSON", 400, () => app.PostWebhookAsync(BillNotify, "{\"userId\":\"" + user + "\",")),
            ("JSON that is not an object", 400, () => app.PostWebhookAsync(BillNotify, "[1,2,3]")),
            ("missing fields", 400, () => app.PostWebhookAsync(BillNotify, "{\"userId\":\"" + user + "\"}")),
            ("value as an object", 400, () => app.PostWebhookAsync(BillNotify, bill.Replace("\"value\":1000", "\"value\":{\"amount\":1000}", StringComparison.Ordinal))),
            ("negative value", 400, () => app.PostWebhookAsync(BillNotify, bill.Replace("\"value\":1000", "\"value\":-1000", StringComparison.Ordinal))),
            ("userId as a number", 400, () => app.PostWebhookAsync(BillNotify, bill.Replace($"\"userId\":\"{user}\"", $"\"userId\":{user}", StringComparison.Ordinal))),
            ("unknown points provider", 400, () => app.PostWebhookAsync(BillNotify, bill.Replace("ALIPAYHK", "PAYPAL", StringComparison.Ordinal))),
            ("oversize body with Content-Length", 413, () => app.PostWebhookAsync(BillNotify, oversize)),
            ("oversize body, chunked", 413, () => app.PostWebhookAsync(BillNotify, oversize, r => r.Content = Chunked(oversize))),
            ("GET", 405, () => SendAsync(app, HttpMethod.Get, null)),
            ("wrong content type", 415, () => app.PostWebhookAsync(BillNotify, bill, r => r.Content!.Headers.ContentType = new MediaTypeHeaderValue("text/plain"))),
            ("altered body with a replayed signature", 401, () => app.PostWebhookAsync(BillNotify, bill, r => r.Content = Json(altered))),
            ("a bill/notify signature replayed on membercard/create", 401, async () =>
            {
                var signed = await app.Sim.Keys.PlatformSigner.SignAsync($"/{TestApp.MerchantTag}/points/{BillNotify}", Encoding.UTF8.GetBytes(bill));
                return await app.PostWebhookAsync("membercard/create", bill, r => Replace(r, AlipayHeaders.Signature, signed.Signature));
            }),
        };

        var failures = new List<string>();
        foreach (var (name, status, send) in cases)
        {
            var answer = await send();
            if (answer.Status != status || answer.ResultStatus != "F" || string.IsNullOrEmpty(answer.ResultCode))
            {
                failures.Add($"{name}: expected {status} with an F result, got {answer.Status} {answer.Body}");
            }
            if (await app.MessageCountAsync(AppStorage.BillsQueue) != 0 || await app.MessageCountAsync(AppStorage.PassCreateQueue) != 0 || QueueWork(app) != 0)
            {
                failures.Add($"{name}: something was queued");
            }
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.Null(await app.MemberAsync(user));
        Assert.Empty(await app.BillRowsAsync(user));

        // The same bill, sent properly, is accepted, queued and applied once: the checks above could have failed.
        (await app.PostWebhookAsync(BillNotify, bill)).AssertSignedSuccess();
        await Eventually.UntilAsync(() => QueueWork(app) == 1, "the accepted bill to be processed");
        var row = Assert.Single(await app.BillRowsAsync(user));
        Assert.Equal(1000, row.GetInt64("Value"));
        Assert.Equal(0, await app.MessageCountAsync(AppStorage.BillsQueue));
        Assert.Equal(1, QueueWork(app));
    }

    private static int QueueWork(TestApp app) => app.Invocations.Count(i => i.FunctionName is "ApplyBill" or "CreatePass");

    [Fact]
    public async Task An_unsigned_refusal_spends_no_signature_but_a_genuine_invalid_body_gets_a_signed_F()
    {
        await using var app = await TestApp.StartAsync(azurite);

        var forged = await app.PostWebhookAsync(BillNotify, "{}", r => r.Headers.Remove(AlipayHeaders.Signature));
        Assert.False(forged.Signed);

        var invalid = await app.PostWebhookAsync(BillNotify, "{}");
        Assert.Equal(400, invalid.Status);
        Assert.Equal("F", invalid.ResultStatus);
        Assert.True(invalid.SignatureValid);
    }

    private static void Replace(HttpRequestMessage request, string header, string value)
    {
        request.Headers.Remove(header);
        request.Headers.TryAddWithoutValidation(header, value);
    }

    private static ByteArrayContent Json(string body)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(AlipayHeaders.JsonContentType);
        return content;
    }

    private static ChunkedContent Chunked(string body)
    {
        var content = new ChunkedContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(AlipayHeaders.JsonContentType);
        return content;
    }

    private static async Task<WebhookAnswer> SendAsync(TestApp app, HttpMethod method, HttpContent? content)
    {
        var path = $"/{TestApp.MerchantTag}/points/{BillNotify}";
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await app.Http.SendAsync(request);
        return await WebhookAnswer.ReadAsync(response, path, app.MerchantVerifier);
    }

    /// <summary>Content without a length: sent with Transfer-Encoding: chunked.</summary>
    private sealed class ChunkedContent(byte[] body) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            for (var offset = 0; offset < body.Length; offset += 4096)
            {
                await stream.WriteAsync(body.AsMemory(offset, Math.Min(4096, body.Length - offset)));
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}
