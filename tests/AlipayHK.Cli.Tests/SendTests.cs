using System.Text;
using AlipayHK.Cli.Tests.Support;
using AlipayHK.OpenApi.Signing;
using AlipayHK.OpenApi.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AlipayHK.Cli.Tests;

/// <summary>A merchant webhook endpoint on Kestrel: verifies with the platform key and answers signed with the merchant key.</summary>
internal sealed class WebhookStub : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebhookStub(WebApplication app) => _app = app;

    public const string ClientId = "2188000000000001";

    public List<(string Path, WebhookVerification Verification, string Body)> Received { get; } = [];

    public bool SignAnswers { get; set; } = true;

    public Uri BaseUrl => new(_app.Urls.First());

    public static async Task<WebhookStub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var stub = new WebhookStub(app);
        var verifier = new AlipayWebhookVerifier(new AlipayWebhookVerifierOptions { PlatformPublicKey = TestKeys.Platform.PublicBase64, ClientId = ClientId });
        var merchant = new PemAlipaySigner(TestKeys.Merchant.PrivatePem);
        var signer = new AlipayMessageSigner(merchant, ClientId, "1");
        app.MapPost("/{**rest}", async (HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            var body = buffer.ToArray();
            var verification = verifier.Verify("POST", context.Request.Path, name => context.Request.Headers[name].FirstOrDefault(), body);
            lock (stub.Received)
            {
                stub.Received.Add((context.Request.Path, verification, Encoding.UTF8.GetString(body)));
            }
            var answer = verification.IsValid ? WebhookAnswers.Success() : WebhookAnswers.Failure("INVALID_SIGNATURE", verification.Message);
            if (stub.SignAnswers)
            {
                var signed = await signer.SignAsync(context.Request.Path, answer);
                context.Response.Headers[AlipayHeaders.ClientId] = signed.ClientId;
                context.Response.Headers[AlipayHeaders.ResponseTime] = signed.Time;
                context.Response.Headers[AlipayHeaders.Signature] = signed.Signature;
            }
            context.Response.StatusCode = verification.IsValid ? 200 : 401;
            context.Response.ContentType = AlipayHeaders.JsonContentType;
            await context.Response.Body.WriteAsync(answer);
        });
        await app.StartAsync();
        return stub;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

public sealed class SendTests
{
    private static Dictionary<string, string?> Config(TempDir dir) => new()
    {
        ["AlipayHK:ClientId"] = WebhookStub.ClientId,
        ["Signing:Mode"] = "Pem",
        ["Signing:PrivateKeyPath"] = TestKeys.Merchant.WritePrivate(dir, "merchant.pem"),
    };

    [Fact]
    public async Task A_bill_notify_signed_as_AlipayHK_is_accepted_and_the_signed_answer_verifies()
    {
        using var dir = new TempDir();
        await using var stub = await WebhookStub.StartAsync();
        var url = new Uri(stub.BaseUrl, "/shop/points/bill/notify").AbsoluteUri;

        var run = await CliRunner.RunAsync(Config(dir), "send", "bill-notify", "--url", url, "--platform-key", TestKeys.Platform.WritePrivate(dir, "platform.pem"),
            "--user-id", "2160000000000001", "--bill-no", "B-42", "--amount", "12345");

        Assert.True(run.ExitCode == 0, run.ToString());
        var received = Assert.Single(stub.Received);
        Assert.True(received.Verification.IsValid, received.Verification.Message);
        Assert.Equal("/shop/points/bill/notify", received.Path);
        Assert.Contains("\"billNo\":\"B-42\"", received.Body, StringComparison.Ordinal);
        Assert.Contains("\"value\":\"12345\"", received.Body, StringComparison.Ordinal);
        // Times carry a plain '+' as AlipayHK's do, not the JSON escape \u002B.
        Assert.Matches("\"payTime\":\"[0-9T:-]+\\+[0-9]{2}:[0-9]{2}\"", received.Body);
        Assert.DoesNotContain("\\u002B", received.Body, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Answer signature: verifies", run.Output, StringComparison.Ordinal);
        Assert.Contains("AlipayHK would accept this answer.", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", run.Output + run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Membercard_create_is_sent_and_an_answer_checked_with_the_wrong_merchant_key_fails()
    {
        using var dir = new TempDir();
        await using var stub = await WebhookStub.StartAsync();
        var url = new Uri(stub.BaseUrl, "/shop/points/membercard/create").AbsoluteUri;

        var run = await CliRunner.RunAsync(Config(dir), "send", "membercard-create", "--url", url, "--platform-key", TestKeys.Platform.WritePrivate(dir, "platform.pem"),
            "--user-id", "2160000000000002", "--merchant-public-key", TestKeys.Other.PublicBase64);

        Assert.True(stub.Received.Single().Verification.IsValid);
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("signature does not verify", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unsigned_answer_or_a_rejected_webhook_fails()
    {
        using var dir = new TempDir();
        await using var stub = await WebhookStub.StartAsync();
        stub.SignAnswers = false;
        var url = new Uri(stub.BaseUrl, "/shop/points/bill/notify").AbsoluteUri;
        var unsigned = await CliRunner.RunAsync(Config(dir), "send", "bill-notify", "--url", url, "--platform-key", TestKeys.Platform.WritePrivate(dir, "platform.pem"), "--user-id", "2160000000000003");

        stub.SignAnswers = true;
        var wrongPlatformKey = await CliRunner.RunAsync(Config(dir), "send", "bill-notify", "--url", url, "--platform-key", TestKeys.Other.WritePrivate(dir, "other.pem"), "--user-id", "2160000000000003");

        Assert.True(unsigned.ExitCode == 1, unsigned.ToString());
        Assert.Contains("not signed", unsigned.Error, StringComparison.Ordinal);
        Assert.True(wrongPlatformKey.ExitCode == 1, wrongPlatformKey.ToString());
        Assert.Contains("HTTP 401", wrongPlatformKey.Error, StringComparison.Ordinal);
        Assert.Contains("INVALID_SIGNATURE", wrongPlatformKey.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_usage_exits_2()
    {
        using var dir = new TempDir();
        Assert.Equal(2, (await CliRunner.RunAsync(Config(dir), "send", "bill-notify", "--url", "http://127.0.0.1:1/x", "--user-id", "u")).ExitCode);
        Assert.Equal(2, (await CliRunner.RunAsync(Config(dir), "send", "bill-notify", "--url", "not a url", "--platform-key", TestKeys.Platform.WritePrivate(dir, "p.pem"), "--user-id", "u")).ExitCode);
        Assert.Equal(2, (await CliRunner.RunAsync(Config(dir), "send", "bill-notify", "--url", "http://127.0.0.1:1/x", "--platform-key", dir.File("missing.pem"), "--user-id", "u")).ExitCode);
    }
}
