using System.Globalization;
using System.Text.Json;
using Microsoft.Azure.Functions.Worker;

namespace AlipayFunctions.Storage;

/// <summary>
/// One delivery of a queue message, with the trigger's metadata. Work that must be retried throws; the Functions
/// host then delivers the message again and, after <c>maxDequeueCount</c> deliveries, moves it to the poison queue.
/// </summary>
/// <param name="Body">The message text (base64-decoded by the trigger).</param>
/// <param name="MessageId">The queue's message id (the same on every redelivery; a poisoned or replayed copy gets another).</param>
/// <param name="DequeueCount">How many times it has been delivered, this time included.</param>
/// <param name="InsertionTime">When it was queued, where known (for the queue-age metric).</param>
internal sealed record QueueDelivery(string Body, string MessageId, long DequeueCount, DateTimeOffset? InsertionTime)
{
    /// <summary>The id the message keeps in the poison queue and after a replay (<see cref="MessageIds"/>): the one to log.</summary>
    public string Id { get; } = MessageIds.For(Body, MessageId);

    /// <summary>Reads the trigger's binding data (<c>Id</c>, <c>DequeueCount</c>, <c>InsertionTime</c>).</summary>
    public static QueueDelivery From(string body, FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var data = context.BindingContext.BindingData;
        var id = Text(data, "Id");
        var count = long.TryParse(Text(data, "DequeueCount"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 1;
        DateTimeOffset? inserted = DateTimeOffset.TryParse(Text(data, "InsertionTime"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : null;
        return new QueueDelivery(body, id is { Length: > 0 } ? id : context.InvocationId, count, inserted);
    }

    // The host passes binding data as JSON values; a string may arrive quoted.
    private static string? Text(IReadOnlyDictionary<string, object?> data, string key)
    {
        if (!data.TryGetValue(key, out var value) || value is null)
        {
            return null;
        }
        var text = value.ToString();
        if (text is { Length: >= 2 } && text[0] == '"' && text[^1] == '"')
        {
            try
            {
                return JsonSerializer.Deserialize<string>(text);
            }
            catch (JsonException)
            {
                return text;
            }
        }
        return text;
    }
}

/// <summary>A queue message that is not what its queue carries: retried, then poisoned by the host.</summary>
internal sealed class MalformedMessageException(string message) : Exception(message);
