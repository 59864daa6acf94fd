namespace AlipayFunctions.Storage.Queues;

/// <summary>One storage queue (Queue service REST API). Implementations are thread-safe.</summary>
public interface IQueueClient
{
    /// <summary>The queue name.</summary>
    string Name { get; }

    /// <summary>Creates the queue unless it exists.</summary>
    Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Puts a message whose wire text is base64 of the UTF-8 <paramref name="messageText"/>, as the Functions queue
    /// trigger expects. <paramref name="timeToLive"/>: <c>null</c> for the service default (7 days),
    /// <see cref="TimeSpan.MaxValue"/> or -1 s for never.
    /// </summary>
    Task<SendReceipt> SendMessageAsync(string messageText, TimeSpan? visibilityDelay = null, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default);

    /// <summary>Receives 1 to 32 messages, hiding them for <paramref name="visibilityTimeout"/> (1 s to 7 days).</summary>
    Task<IReadOnlyList<QueueMessage>> ReceiveMessagesAsync(int maxMessages, TimeSpan visibilityTimeout, CancellationToken cancellationToken = default);

    /// <summary>Looks at 1 to 32 visible messages without receiving them.</summary>
    Task<IReadOnlyList<PeekedMessage>> PeekMessagesAsync(int maxMessages, CancellationToken cancellationToken = default);

    /// <summary>Deletes a received message; a stale pop receipt fails (400 <c>PopReceiptMismatch</c> or 404).</summary>
    Task DeleteMessageAsync(string messageId, string popReceipt, CancellationToken cancellationToken = default);

    /// <summary>Hides a received message for another <paramref name="visibilityTimeout"/> (0 to 7 days) and returns its new pop receipt.</summary>
    Task<UpdateReceipt> UpdateVisibilityAsync(string messageId, string popReceipt, TimeSpan visibilityTimeout, CancellationToken cancellationToken = default);

    /// <summary>The service's approximate message count.</summary>
    Task<int> GetApproximateMessageCountAsync(CancellationToken cancellationToken = default);

    /// <summary>Deletes every message.</summary>
    Task ClearAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Copies the message's wire text unchanged to <c>{Name}-poison</c> (created if missing; the copy never expires),
    /// then deletes the original, as the Functions host does after <c>maxDequeueCount</c>.
    /// </summary>
    Task MoveToPoisonAsync(QueueMessage message, CancellationToken cancellationToken = default);
}
