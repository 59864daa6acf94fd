using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace LocalFunctionsHost.SampleWorker;

/// <summary>HTTP functions: a JSON answer with a route value, an echo of the body, one that throws, one that is slow, one that hangs.</summary>
public sealed class HttpFunctions(ILogger<HttpFunctions> logger)
{
    [Function("GetItem")]
    public IActionResult GetItem([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "items/{id}")] HttpRequest request, string id)
    {
        logger.LogInformation("Item {Id} asked for", id);
        return new OkObjectResult(new ItemAnswer(id, request.Query["q"].ToString(), Environment.ProcessId));
    }

    [Function("Echo")]
    public static async Task<IActionResult> Echo([HttpTrigger(AuthorizationLevel.Anonymous, "post", "put", Route = "echo")] HttpRequest request)
    {
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, request.HttpContext.RequestAborted).ConfigureAwait(false);
        request.HttpContext.Response.Headers["x-echo-length"] = body.Length.ToString(CultureInfo.InvariantCulture);
        return new FileContentResult(body.ToArray(), request.ContentType ?? "application/octet-stream");
    }

    [Function("Throw")]
    public static IActionResult Throw([HttpTrigger(AuthorizationLevel.Anonymous, "get")] HttpRequest request) =>
        throw new InvalidOperationException("The sample function failed on purpose.");

    [Function("Slow")]
    public static async Task<IActionResult> Slow([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "slow/{milliseconds:int}")] HttpRequest request, int milliseconds)
    {
        await Task.Delay(milliseconds, request.HttpContext.RequestAborted).ConfigureAwait(false);
        return new OkObjectResult(new { waited = milliseconds, pid = Environment.ProcessId });
    }

    /// <summary>What the worker made of the forwarded request: its ASP.NET Core integration applies X-Forwarded-* from the host.</summary>
    [Function("Client")]
    public static IActionResult Client([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "client")] HttpRequest request) =>
        new OkObjectResult(new ClientAnswer(
            request.HttpContext.Connection.RemoteIpAddress?.ToString(),
            request.Headers["X-Forwarded-For"].ToString(),
            request.Headers["X-Original-For"].ToString(),
            request.Scheme,
            request.Host.ToString()));

    [Function("Hang")]
    public static async Task<IActionResult> Hang([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "hang")] HttpRequest request)
    {
        // A stuck function: ignores the host's cancellation and the caller going away, and never returns.
        await Task.Delay(Timeout.Infinite, CancellationToken.None).ConfigureAwait(false);
        return new OkResult();
    }

    [Function("Enqueue")]
    public static EnqueueOutput Enqueue([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "enqueue/{text}")] HttpRequest request, string text) =>
        new() { Result = new AcceptedResult(), Messages = [$"{text}-1", $"{text}-2"] };
}

public sealed record ItemAnswer(string Id, string Query, int Pid);

/// <summary>The connection's address after forwarded headers, what is left of X-Forwarded-For, the proxy's own address.</summary>
public sealed record ClientAnswer(string? RemoteAddress, string ForwardedFor, string OriginalFor, string Scheme, string Host);

/// <summary>An HTTP answer plus queue messages (the host writes them from <c>output_data</c>).</summary>
public sealed class EnqueueOutput
{
    [HttpResult]
    public IActionResult? Result { get; set; }

    [QueueOutput("%DoneQueue%")]
    public IReadOnlyList<string>? Messages { get; set; }
}
