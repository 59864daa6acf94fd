using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace LocalFunctionsHost.SampleWorker;

/// <summary>
/// A queue function: a message "fail..." throws, "crash..." ends the worker process, "hang..." never returns,
/// "slow-&lt;ms&gt;-..." takes that long; anything else is answered on the done queue (a <c>return_value</c> output)
/// with the trigger metadata it saw. <c>Drain</c> takes messages and does nothing with them.
/// </summary>
public sealed class QueueFunctions(ILogger<QueueFunctions> logger)
{
    [Function("Work")]
    [QueueOutput("%DoneQueue%")]
    public async Task<string> Work([QueueTrigger("%WorkQueue%")] string message, string id, long dequeueCount)
    {
        logger.LogInformation("Message {Id} dequeued {Count} times", id, dequeueCount);
        if (message.StartsWith("fail", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Failing '{message}' on purpose.");
        }

        if (message.StartsWith("crash", StringComparison.Ordinal))
        {
            Environment.FailFast("Crashing the worker on purpose.");
        }

        if (message.StartsWith("hang", StringComparison.Ordinal))
        {
            // A stuck function: ignores the host's cancellation and never returns.
            await Task.Delay(Timeout.Infinite, CancellationToken.None).ConfigureAwait(false);
        }

        if (message.StartsWith("slow-", StringComparison.Ordinal))
        {
            await Task.Delay(int.Parse(message.Split('-')[1], System.Globalization.CultureInfo.InvariantCulture)).ConfigureAwait(false);
        }

        return $"done:{message}:{dequeueCount}:{id}";
    }

    /// <summary>
    /// A queue function with no output: through the host each message costs the storage requests of a raw
    /// receive-and-delete, no more (the benchmark's like-for-like comparison).
    /// </summary>
    [Function("Drain")]
    public void Drain([QueueTrigger("%DrainQueue%")] string message) => logger.LogDebug("Drained {Length} characters", message.Length);
}
