using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using AlipayHK.OpenApi.Signing;
using AlipayHK.OpenApi.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AlipayHK.Simulator.Tests.Infrastructure;

/// <summary>How the in-test merchant answers a webhook.</summary>
public enum MerchantAnswer
{
    SignedSuccess,
    UnsignedSuccess,
    SignedFailure,
    Http500,
    BadlySignedSuccess,
}

/// <summary>A webhook as the merchant received it.</summary>
internal sealed record ReceivedWebhook(string Path, JsonObject Body, bool SignatureValid, string VerificationMessage, byte[] Raw);

/// <summary>
/// A small merchant endpoint on Kestrel that receives the simulator's webhooks, verifies them with the platform
/// key, and answers as scripted (then <see cref="Otherwise"/>).
/// </summary>
internal sealed class TestMerchant : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<MerchantAnswer> _script = new();
    private readonly PemAlipaySigner _key = new(TestKeys.MerchantPrivatePem);
    private readonly AlipayMessageSigner _signer;
    private readonly AlipayWebhookVerifier _verifier;

    private TestMerchant(WebApplication app)
    {
        _app = app;
        _signer = new AlipayMessageSigner(_key, TestSimulator.ClientId, "1");
        _verifier = new AlipayWebhookVerifier(new AlipayWebhookVerifierOptions { PlatformPublicKey = TestKeys.PlatformPublicPem, ClientId = TestSimulator.ClientId });
    }

    public Uri BaseUrl { get; private set; } = null!;

    public MerchantAnswer Otherwise { get; set; } = MerchantAnswer.SignedSuccess;

    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();

    public static async Task<TestMerchant> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var merchant = new TestMerchant(builder.Build());
        merchant._app.MapPost("/{tag}/points/{**rest}", merchant.HandleAsync);
        await merchant._app.StartAsync();
        merchant.BaseUrl = new Uri(merchant._app.Urls.First());
        return merchant;
    }

    public void Script(params MerchantAnswer[] answers)
    {
        foreach (var answer in answers)
        {
            _script.Enqueue(answer);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var path = context.Request.Path.Value!;
        var verification = _verifier.Verify("POST", path, name => context.Request.Headers[name].FirstOrDefault(), body);
        Received.Enqueue(new ReceivedWebhook(path, (JsonObject)JsonNode.Parse(body)!, verification.IsValid, verification.Message, body.ToArray()));

        var answer = _script.TryDequeue(out var scripted) ? scripted : Otherwise;
        if (answer == MerchantAnswer.Http500)
        {
            context.Response.StatusCode = 500;
            return;
        }
        var success = answer != MerchantAnswer.SignedFailure;
        var json = new JsonObject
        {
            ["result"] = new JsonObject
            {
                ["resultCode"] = success ? "SUCCESS" : "PROCESS_FAIL",
                ["resultStatus"] = success ? "S" : "F",
                ["resultMessage"] = success ? "success" : "failed",
            },
        };
        if (path.EndsWith("/membercard/create", StringComparison.Ordinal))
        {
            json["memberId"] = "MEM-0001";
        }
        var bytes = Encoding.UTF8.GetBytes(json.ToJsonString());
        var signed = await _signer.SignAsync(path, bytes);
        context.Response.ContentType = AlipayHeaders.JsonContentType;
        context.Response.Headers[AlipayHeaders.ClientId] = signed.ClientId;
        context.Response.Headers[AlipayHeaders.ResponseTime] = signed.Time;
        switch (answer)
        {
            case MerchantAnswer.UnsignedSuccess:
                break;
            case MerchantAnswer.BadlySignedSuccess:
                // Signed over another body: well-formed, by the right key, but not for this answer.
                var other = await _signer.SignAsync(path, Encoding.UTF8.GetBytes("{}"), signed.Time);
                context.Response.Headers[AlipayHeaders.Signature] = other.Signature;
                break;
            default:
                context.Response.Headers[AlipayHeaders.Signature] = signed.Signature;
                break;
        }
        await context.Response.Body.WriteAsync(bytes);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _verifier.Dispose();
        _key.Dispose();
    }
}
