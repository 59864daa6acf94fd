using System.Text;
using System.Text.Json;

namespace AlipayFunctions.Storage;

/// <summary>
/// The id that names one queue message everywhere an operator looks: the worker's logs, <c>alipayhk poison list</c>,
/// <c>member</c> and <c>poison replay --id</c>. It travels in the message body (<c>messageId</c>), set by whoever queues
/// the message, because the queue's own id does not survive a failure: the Functions host moves a message to
/// <c>&lt;queue&gt;-poison</c> as a NEW message with the same text (azure-webjobs-sdk
/// <c>QueueProcessor.CopyMessageToPoisonQueueAsync</c>), and a replay queues the text again. The text is all that
/// stays, so the id is in the text.
/// </summary>
internal static class MessageIds
{
    public const string Property = "messageId";

    public static string New() => Guid.NewGuid().ToString("N");

    /// <summary>The body's <c>messageId</c>; null when the body is not a JSON object or has none (queued elsewhere, or before ids).</summary>
    public static string? Read(string? body)
    {
        if (string.IsNullOrEmpty(body) || body[0] != '{')
        {
            return null;
        }
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(body));
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isId = reader.ValueTextEquals(Property);
                reader.Read();
                if (isId)
                {
                    return reader.TokenType == JsonTokenType.String && reader.GetString() is { Length: > 0 } id ? id : null;
                }
                reader.Skip();
            }
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The id to show for a message: its own, or the queue's id for a message without one.</summary>
    public static string For(string? body, string queueMessageId) => Read(body) ?? queueMessageId;
}
