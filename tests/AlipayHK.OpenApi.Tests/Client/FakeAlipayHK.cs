using System.Net;
using AlipayHK.OpenApi.Signing;
using AlipayHK.OpenApi.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AlipayHK.OpenApi.Tests.Client;

/// <summary>How the fake AlipayHK answers the next calls.</summary>
public enum FakeAnswer
{
    SignedSuccess,
    SignedSuccessLowercaseClientIdHeader,
    UnsignedSuccess,
    TamperedSuccess,
    UnsignedFailure,
    SignedUnknown,
    Slow,
    Http500,
    Http503,
    Http429,
    HtmlPage,
}

/// <summary>
/// AlipayHK on a real Kestrel at 127.0.0.1 (random port): checks each request's signature with the merchant key,
/// records it, and answers as <see cref="Answer"/> says, signing with the platform key.
/// </summary>
public sealed class FakeAlipayHK : IAsyncDisposable
{
    public const string ClientId = "2022091234567890";

    private readonly WebApplication _app;
    private readonly AlipaySignatureVerifier _merchantKey = new(TestKeys.MerchantPublicPem);
    private readonly PemAlipaySigner _platformKey = new(TestKeys.PlatformPrivatePem);

    private FakeAlipayHK(WebApplication app) => _app = app;

    public FakeAnswer Answer { get; set; } = FakeAnswer.SignedSuccess;

    public string SuccessBody { get; set; } = """{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},"passId":"P-1"}""";

    public List<ReceivedRequest> Received { get; } = [];

    public Uri BaseUrl { get; private set; } = null!;

    public static async Task<FakeAlipayHK> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var fake = new FakeAlipayHK(app);
        app.MapPost("/{**path}", fake.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        fake.BaseUrl = new Uri(address);
        return fake;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        var headers = context.Request.Headers;
        var verdict = _merchantKey.Verify("POST", context.Request.Path.Value!, headers[AlipayHeaders.ClientId].ToString(),
            headers[AlipayHeaders.RequestTime].ToString(), body, headers[AlipayHeaders.Signature].ToString());
        lock (Received)
        {
            Received.Add(new ReceivedRequest(context.Request.Path.Value!, headers[AlipayHeaders.ClientId].ToString(),
                headers[AlipayHeaders.RequestTime].ToString(), headers[AlipayHeaders.Signature].ToString(),
                context.Request.ContentType, body, verdict));
        }

        var response = context.Response;
        response.Headers[AlipayHeaders.TracerId] = "tracer-123";
        switch (Answer)
        {
            case FakeAnswer.SignedSuccess:
                await WriteSignedAsync(context, SuccessBody, tamper: false, AlipayHeaders.ClientId);
                break;
            case FakeAnswer.SignedSuccessLowercaseClientIdHeader:
                await WriteSignedAsync(context, SuccessBody, tamper: false, "clientId");
                break;
            case FakeAnswer.TamperedSuccess:
                await WriteSignedAsync(context, SuccessBody, tamper: true, AlipayHeaders.ClientId);
                break;
            case FakeAnswer.SignedUnknown:
                await WriteSignedAsync(context, """{"result":{"resultCode":"UNKNOWN_EXCEPTION","resultStatus":"U","resultMessage":"unknown"}}""", tamper: false, AlipayHeaders.ClientId);
                break;
            case FakeAnswer.UnsignedSuccess:
                await WriteAsync(context, 200, SuccessBody);
                break;
            case FakeAnswer.UnsignedFailure:
                await WriteAsync(context, 200, """{"result":{"resultCode":"PARAM_ILLEGAL","resultStatus":"F","resultMessage":"illegal parameters"}}""");
                break;
            case FakeAnswer.Slow:
                await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                break;
            case FakeAnswer.Http500:
                await WriteAsync(context, 500, "");
                break;
            case FakeAnswer.Http503:
                await WriteAsync(context, 503, """{"result":{"resultCode":"SYSTEM_ERROR","resultStatus":"U","resultMessage":"busy"}}""");
                break;
            case FakeAnswer.Http429:
                response.Headers.RetryAfter = "7";
                await WriteAsync(context, 429, """{"result":{"resultCode":"REQUEST_TRAFFIC_EXCEED_LIMIT","resultStatus":"U","resultMessage":"slow down"}}""");
                break;
            case FakeAnswer.HtmlPage:
                response.ContentType = "text/html";
                await response.WriteAsync("<html>gateway</html>");
                break;
        }
    }

    private async Task WriteSignedAsync(HttpContext context, string body, bool tamper, string clientIdHeader)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(body);
        var signed = await new AlipayMessageSigner(_platformKey, ClientId, "1").SignAsync(context.Request.Path.Value!, bytes);
        if (tamper)
        {
            bytes = System.Text.Encoding.UTF8.GetBytes(body.Replace("P-1", "P-2", StringComparison.Ordinal));
        }
        context.Response.Headers[clientIdHeader] = signed.ClientId;
        context.Response.Headers[AlipayHeaders.ResponseTime] = signed.Time;
        context.Response.Headers[AlipayHeaders.Signature] = signed.Signature;
        context.Response.ContentType = AlipayHeaders.JsonContentType;
        await context.Response.Body.WriteAsync(bytes);
    }

    private static async Task WriteAsync(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = AlipayHeaders.JsonContentType;
        await context.Response.WriteAsync(body);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _merchantKey.Dispose();
        _platformKey.Dispose();
    }
}

public sealed record ReceivedRequest(string Path, string ClientId, string RequestTime, string Signature, string? ContentType, byte[] Body, SignatureRejection Verdict);
