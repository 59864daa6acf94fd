namespace AlipayFunctions.Hosting;

/// <summary>
/// A queue-triggered function. The same code runs under the Functions host (the host calls
/// <c>POST /{Name}</c>) and standalone (a <see cref="QueueListener"/> polls the queue), so both hosts share one
/// set of semantics: at-least-once delivery, retry on failure, poison after too many deliveries.
/// </summary>
public interface IQueueFunction
{
    /// <summary>The function name: its folder and <c>function.json</c>, and the route the host calls.</summary>
    string Name { get; }

    /// <summary>The queue that triggers it.</summary>
    string QueueName { get; }

    /// <summary>
    /// Processes one message. Must be idempotent: a message can arrive more than once.
    /// Throwing, or returning <see cref="QueueWorkResult.Retry"/>, leaves the message for a later delivery.
    /// </summary>
    Task<QueueWorkResult> RunAsync(QueueWorkItem item, CancellationToken cancellationToken);
}

/// <summary>One delivery of a queue message.</summary>
/// <param name="Body">The message text (already base64-decoded and unwrapped).</param>
/// <param name="MessageId">The queue's message id.</param>
/// <param name="DequeueCount">How many times it has been delivered, this time included.</param>
/// <param name="InsertionTime">When it was queued, where known (for the queue-age metric).</param>
public sealed record QueueWorkItem(string Body, string MessageId, long DequeueCount, DateTimeOffset? InsertionTime = null);

/// <summary>What became of a delivery.</summary>
public enum QueueWorkResult
{
    /// <summary>Done (or nothing to do): delete the message.</summary>
    Done,
    /// <summary>A transient failure: deliver it again later.</summary>
    Retry,
    /// <summary>The message can never succeed (malformed): move it to the poison queue now.</summary>
    Poison,
}

/// <summary>The queues and the table of the app: one place, so the host files and the code agree.</summary>
public static class AppStorage
{
    /// <summary>Bills to apply to members' balances.</summary>
    public const string BillsQueue = "bills";

    /// <summary>Members whose card is to be put into their wallet.</summary>
    public const string PassCreateQueue = "pass-create";

    /// <summary>Members whose card is to show their current balance.</summary>
    public const string PassSyncQueue = "pass-sync";

    /// <summary>The one table: a partition per user holding the member, their bills and their tokens.</summary>
    public const string LoyaltyTable = "loyalty";

    /// <summary>Every queue the app uses.</summary>
    public static readonly IReadOnlyList<string> Queues = [BillsQueue, PassCreateQueue, PassSyncQueue];

    /// <summary>The poison queue the Functions host (and the standalone listener) moves failed messages to.</summary>
    public static string PoisonQueue(string queueName) => queueName + "-poison";
}
