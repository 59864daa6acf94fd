using AlipayFunctions.Observability;

namespace AlipayFunctions.Hosting;

/// <summary>
/// What both hosts do around every delivery: record the message's age, run the function, and turn a failure into
/// <see cref="QueueWorkResult.Retry"/> (logged once, here) so that the host that owns the message retries it.
/// </summary>
internal sealed partial class QueueFunctionInvoker(AppMetrics metrics, TimeProvider clock, ILogger<QueueFunctionInvoker> logger)
{
    public async Task<QueueWorkResult> InvokeAsync(IQueueFunction function, QueueWorkItem item, CancellationToken ct)
    {
        if (item.InsertionTime is { } queued)
        {
            metrics.QueueAge(function.QueueName, clock.GetUtcNow() - queued);
        }
        try
        {
            return await function.RunAsync(item, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // Any failure is retried and, past the limit, poisoned: never lost.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogFailed(e, function.Name, item.MessageId, item.DequeueCount);
            return QueueWorkResult.Retry;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function} failed on message {MessageId}, delivery {DequeueCount}; it will be retried")]
    private partial void LogFailed(Exception exception, string function, string messageId, long dequeueCount);
}
