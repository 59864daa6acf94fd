using System.Text;

namespace AlipayFunctions.Storage.Queues;

/// <summary>A received message: visible to no one else until <see cref="NextVisibleTime"/> unless deleted or updated with <see cref="PopReceipt"/>.</summary>
/// <param name="MessageId">The service's message id.</param>
/// <param name="PopReceipt">The receipt for deleting or updating this delivery of the message.</param>
/// <param name="DequeueCount">How many times the message has been received, this time included.</param>
/// <param name="InsertionTime">When the message was put.</param>
/// <param name="ExpirationTime">When the message expires.</param>
/// <param name="NextVisibleTime">When the message becomes visible again.</param>
/// <param name="MessageText">The text on the wire (base64 when sent by <see cref="QueueClient"/>).</param>
public sealed record QueueMessage(
    string MessageId,
    string PopReceipt,
    long DequeueCount,
    DateTimeOffset InsertionTime,
    DateTimeOffset ExpirationTime,
    DateTimeOffset NextVisibleTime,
    string MessageText)
{
    /// <summary>The UTF-8 text the base64 <see cref="MessageText"/> carries (as the Functions queue trigger decodes it); <c>null</c> when it is not base64 of UTF-8.</summary>
    public string? Body => QueueMessageText.TryDecode(MessageText);
}

/// <summary>A peeked message: seen without being received, so it has no pop receipt.</summary>
/// <param name="MessageId">The service's message id.</param>
/// <param name="DequeueCount">How many times the message has been received.</param>
/// <param name="InsertionTime">When the message was put.</param>
/// <param name="ExpirationTime">When the message expires.</param>
/// <param name="MessageText">The text on the wire.</param>
public sealed record PeekedMessage(string MessageId, long DequeueCount, DateTimeOffset InsertionTime, DateTimeOffset ExpirationTime, string MessageText)
{
    /// <summary>The UTF-8 text the base64 <see cref="MessageText"/> carries; <c>null</c> when it is not base64 of UTF-8.</summary>
    public string? Body => QueueMessageText.TryDecode(MessageText);
}

/// <summary>The service's answer to a put.</summary>
/// <param name="MessageId">The new message's id.</param>
/// <param name="PopReceipt">A receipt for updating or deleting the message before it is received.</param>
/// <param name="InsertionTime">When the message was put.</param>
/// <param name="ExpirationTime">When the message expires.</param>
/// <param name="NextVisibleTime">When the message becomes visible.</param>
public sealed record SendReceipt(string MessageId, string PopReceipt, DateTimeOffset InsertionTime, DateTimeOffset ExpirationTime, DateTimeOffset NextVisibleTime);

/// <summary>The service's answer to a visibility update.</summary>
/// <param name="PopReceipt">The new pop receipt; the old one no longer works.</param>
/// <param name="NextVisibleTime">When the message becomes visible again.</param>
public sealed record UpdateReceipt(string PopReceipt, DateTimeOffset NextVisibleTime);

/// <summary>The base64 message encoding the Functions queue trigger uses by default.</summary>
internal static class QueueMessageText
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string? TryDecode(string messageText)
    {
        var buffer = new byte[(messageText.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64String(messageText, buffer, out var written))
        {
            return null;
        }

        try
        {
            return StrictUtf8.GetString(buffer, 0, written);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
