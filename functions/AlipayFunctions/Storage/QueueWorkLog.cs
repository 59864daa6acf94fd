namespace AlipayFunctions.Storage;

/// <summary>
/// One log line per failed delivery of a queue message, named by its <see cref="QueueDelivery.Id"/>: the id
/// <c>alipayhk poison list</c> shows once the host has given up on it. The queue's own id is in the line too, because
/// the host's lines name the message by that one.
/// </summary>
internal static partial class QueueWorkLog
{
    public static void Failed(ILogger logger, string queue, QueueDelivery delivery, int maxDequeueCount, Exception error)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        ArgumentNullException.ThrowIfNull(error);
        // The first line only: storage errors carry the whole response after it.
        var reason = $"{error.GetType().Name}: {error.Message.Split('\n')[0].Trim()}";
        if (delivery.DequeueCount >= maxDequeueCount)
        {
            LogLastFailure(logger, delivery.Id, queue, delivery.DequeueCount, maxDequeueCount, reason, AppStorage.PoisonQueue(queue), delivery.MessageId);
        }
        else
        {
            LogFailure(logger, delivery.Id, queue, delivery.DequeueCount, maxDequeueCount, reason, delivery.MessageId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message {MessageId} on {Queue} failed on delivery {DequeueCount} of {MaxDequeueCount} ({Reason}); the host delivers it again (queue message id {QueueMessageId})")]
    private static partial void LogFailure(ILogger logger, string messageId, string queue, long dequeueCount, int maxDequeueCount, string reason, string queueMessageId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Message {MessageId} on {Queue} failed on its last delivery ({DequeueCount} of {MaxDequeueCount}: {Reason}); the host moves it to {PoisonQueue} as a new queue message (this one is {QueueMessageId}), where alipayhk poison list shows it as {MessageId}")]
    private static partial void LogLastFailure(ILogger logger, string messageId, string queue, long dequeueCount, int maxDequeueCount, string reason, string poisonQueue, string queueMessageId);
}
