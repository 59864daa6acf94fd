using System.Net;
using AlipayFunctions.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AlipayFunctions.Storage.Benchmarks;

/// <summary>
/// A stand-in for the storage service that answers every benchmark request at once with a fixed, well-formed
/// answer (Kestrel on loopback, in the benchmark's process). It measures what the clients cost on the caller's
/// side alone: with no Azurite behind the requests, its variance and its 25-30 µs per parsed body are gone.
/// </summary>
internal sealed class CannedStorage : IAsyncDisposable
{
    private const string MessagesXml =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessagesList><QueueMessage>" +
        "<MessageId>8b5d8a7e-1c3b-4b8e-9f1e-1234567890ab</MessageId><InsertionTime>Wed, 02 Dec 2026 05:00:00 GMT</InsertionTime>" +
        "<ExpirationTime>Wed, 09 Dec 2026 05:00:00 GMT</ExpirationTime><PopReceipt>AgAAAAMAAAAAAAAA</PopReceipt>" +
        "<TimeNextVisible>Wed, 02 Dec 2026 05:00:30 GMT</TimeNextVisible><DequeueCount>1</DequeueCount>" +
        "<MessageText>eyJiaWxsTm8iOiJCLTEifQ==</MessageText></QueueMessage></QueueMessagesList>";

    private const string ETag = "W/\"datetime'2026-12-02T05%3A00%3A00.0000000Z'\"";

    private readonly WebApplication _app;

    private CannedStorage(WebApplication app, Uri address)
    {
        _app = app;
        var root = $"{address.GetLeftPart(UriPartial.Authority)}/{AzuriteProcess.AccountName}/";
        QueueEndpoint = new Uri(root);
        TableEndpoint = new Uri(root);
        ConnectionString = $"DefaultEndpointsProtocol=http;AccountName={AzuriteProcess.AccountName};AccountKey={AzuriteProcess.AccountKey};" +
            $"QueueEndpoint={QueueEndpoint};TableEndpoint={TableEndpoint};";
    }

    public Uri QueueEndpoint { get; }

    public Uri TableEndpoint { get; }

    public string ConnectionString { get; }

    public static async Task<CannedStorage> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0)); // the OS picks a free port
        var app = builder.Build();
        app.Run(AnswerAsync);
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new CannedStorage(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The answer each operation of the benchmark expects, chosen by method and path.</summary>
    private static Task AnswerAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        var path = request.Path.Value ?? string.Empty;
        if (path.EndsWith("/messages", StringComparison.Ordinal) && (HttpMethods.IsPost(request.Method) || HttpMethods.IsGet(request.Method)))
        {
            // Put Message and Get Messages both answer a QueueMessagesList.
            response.StatusCode = HttpMethods.IsPost(request.Method) ? 201 : 200;
            response.ContentType = "application/xml";
            return response.WriteAsync(MessagesXml);
        }

        response.StatusCode = HttpMethods.IsPut(request.Method) && !path.Contains('(', StringComparison.Ordinal) ? 201 : 204;
        response.Headers.ETag = ETag;
        return Task.CompletedTask;
    }
}
