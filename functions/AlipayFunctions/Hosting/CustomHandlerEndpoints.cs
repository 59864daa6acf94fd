using System.Text.Json;
using AlipayFunctions.Storage.Queues;

namespace AlipayFunctions.Hosting;

/// <summary>
/// The Functions custom-handler contract for queue triggers: the host calls <c>POST /{FunctionName}</c> with
/// <c>{"Data": {"message": ...}, "Metadata": {"DequeueCount": ..., "Id": ...}}</c> and treats any 2xx as done and
/// anything else as a failure to retry (then poison after <c>maxDequeueCount</c>).
/// </summary>
internal static class CustomHandlerEndpoints
{
    /// <summary>The binding name used in every queue function's function.json.</summary>
    public const string MessageBinding = "message";

    public static void MapQueueFunctions(this IEndpointRouteBuilder endpoints)
    {
        foreach (var function in endpoints.ServiceProvider.GetServices<IQueueFunction>())
        {
            endpoints.MapPost("/" + function.Name, (HttpContext context, QueueFunctionInvoker invoker, QueueServiceClient queues, ILoggerFactory logs, CancellationToken ct) =>
                InvokeAsync(function, invoker, context, queues, logs.CreateLogger(typeof(CustomHandlerEndpoints)), ct));
        }
    }

    private static async Task<IResult> InvokeAsync(IQueueFunction function, QueueFunctionInvoker invoker, HttpContext context, QueueServiceClient queues, ILogger logger, CancellationToken ct)
    {
        HostInvocation invocation;
        try
        {
            invocation = await HostInvocation.ReadAsync(context.Request.Body, ct).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            logger.LogError("The Functions host sent {Function} an unreadable invocation: {Reason}", function.Name, e.Message);
            return Answer(HostResponse.Failure("unreadable invocation payload"), StatusCodes.Status400BadRequest);
        }

        var item = new QueueWorkItem(invocation.Message, invocation.Id, invocation.DequeueCount, invocation.InsertionTime);
        switch (await invoker.InvokeAsync(function, item, ct).ConfigureAwait(false))
        {
            case QueueWorkResult.Done:
                return Answer(HostResponse.Success(), StatusCodes.Status200OK);
            case QueueWorkResult.Poison:
                // The host cannot be told "poison now"; copy it there ourselves and report success so it is deleted.
                var poison = queues.GetQueueClient(AppStorage.PoisonQueue(function.QueueName));
                await poison.CreateIfNotExistsAsync(ct).ConfigureAwait(false);
                await poison.SendMessageAsync(invocation.Message, cancellationToken: ct).ConfigureAwait(false);
                return Answer(HostResponse.Success(), StatusCodes.Status200OK);
            default:
                return Answer(HostResponse.Failure("retry"), StatusCodes.Status500InternalServerError);
        }
    }

    // The documented names (Outputs, Logs, ReturnValue), not the web defaults' camelCase.
    private static IResult Answer(HostResponse response, int status) => Results.Json(response, HostJsonContext.Default.HostResponse, statusCode: status);
}

/// <summary>A queue invocation from the Functions host.</summary>
internal sealed record HostInvocation(string Message, string Id, long DequeueCount, DateTimeOffset? InsertionTime)
{
    public static async Task<HostInvocation> ReadAsync(Stream body, CancellationToken ct)
    {
        using var document = await JsonDocument.ParseAsync(body, cancellationToken: ct).ConfigureAwait(false);
        var root = document.RootElement;
        if (!root.TryGetProperty("Data", out var data) || !data.TryGetProperty(CustomHandlerEndpoints.MessageBinding, out var message))
        {
            throw new JsonException($"no Data.{CustomHandlerEndpoints.MessageBinding}");
        }
        var id = "";
        long dequeueCount = 1;
        DateTimeOffset? inserted = null;
        if (root.TryGetProperty("Metadata", out var metadata))
        {
            id = metadata.TryGetProperty(nameof(Id), out var idElement) ? Unwrap(idElement) : "";
            if (metadata.TryGetProperty(nameof(DequeueCount), out var countElement))
            {
                dequeueCount = countElement.ValueKind == JsonValueKind.Number ? countElement.GetInt64() : long.Parse(Unwrap(countElement), System.Globalization.CultureInfo.InvariantCulture);
            }
            if (metadata.TryGetProperty(nameof(InsertionTime), out var insertedElement)
                && DateTimeOffset.TryParse(Unwrap(insertedElement), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var time))
            {
                inserted = time;
            }
        }
        return new HostInvocation(Unwrap(message), id, dequeueCount, inserted);
    }

    /// <summary>
    /// The host JSON-encodes the message string a second time (<c>{"a":1}</c> arrives as <c>"{\"a\":1}"</c>, and
    /// sometimes once more inside a JSON string). Unwrap string layers until what remains is not a JSON string.
    /// </summary>
    internal static string Unwrap(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.String)
        {
            return element.GetRawText();
        }
        var text = element.GetString()!;
        for (var depth = 0; depth < 3 && text.Length >= 2 && text[0] == '"' && text[^1] == '"'; depth++)
        {
            try
            {
                text = JsonSerializer.Deserialize(text, HostJsonContext.Default.String)!;
            }
            catch (JsonException)
            {
                break;
            }
        }
        return text;
    }
}

/// <summary>The answer the host expects from a non-forwarded invocation.</summary>
internal sealed record HostResponse(Dictionary<string, object?> Outputs, string[] Logs, object? ReturnValue)
{
    public static HostResponse Success() => new([], [], null);

    public static HostResponse Failure(string reason) => new([], [reason], null);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
[System.Text.Json.Serialization.JsonSerializable(typeof(HostResponse))]
internal sealed partial class HostJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
