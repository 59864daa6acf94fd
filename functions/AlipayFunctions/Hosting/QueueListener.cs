using AlipayFunctions.Settings;
using AlipayFunctions.Storage.Queues;

namespace AlipayFunctions.Hosting;

/// <summary>
/// Runs one <see cref="IQueueFunction"/> when the app is hosted standalone, with the Functions queue trigger's
/// semantics: batches of up to <c>BatchSize</c>, a message invisible while it is processed, deleted when done,
/// made visible again after a growing delay when it fails, moved to <c>&lt;queue&gt;-poison</c> on its
/// <c>MaxDequeueCount</c>th failure, and polling that backs off to <c>MaxPollingInterval</c> while the queue is
/// empty. Any number of instances may share a queue: the queue's visibility timeout hands each message to one.
/// </summary>
internal sealed partial class QueueListener(
    IQueueFunction function,
    QueueFunctionInvoker invoker,
    QueueServiceClient queues,
    StorageInitializer storage,
    QueueSettings settings,
    TimeProvider clock,
    ILogger<QueueListener> logger) : BackgroundService
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan MinPollingInterval = TimeSpan.FromMilliseconds(50);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queue = queues.GetQueueClient(function.QueueName);
        try
        {
            await storage.WaitAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        var idle = MinPollingInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            IReadOnlyList<QueueMessage> batch;
            try
            {
                batch = await queue.ReceiveMessagesAsync(settings.BatchSize, settings.VisibilityTimeout, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A storage outage must not stop the listener; it retries after a pause.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogReceiveFailed(function.QueueName, e.Message);
                batch = [];
            }

            if (batch.Count == 0)
            {
                await Task.Delay(idle, clock, stoppingToken).ConfigureAwait(false);
                idle = TimeSpan.FromTicks(Math.Min(idle.Ticks * 2, settings.MaxPollingInterval.Ticks));
                continue;
            }
            idle = MinPollingInterval;
            await Task.WhenAll(batch.Select(message => HandleAsync(queue, message, stoppingToken))).ConfigureAwait(false);
        }
    }

    internal async Task HandleAsync(QueueClient queue, QueueMessage message, CancellationToken ct)
    {
        QueueWorkResult result;
        if (message.Body is not { } body)
        {
            // The Functions host poisons a message that is not base64; so do we.
            result = QueueWorkResult.Poison;
        }
        else
        {
            try
            {
                result = await invoker.InvokeAsync(function, new QueueWorkItem(body, message.MessageId, message.DequeueCount, message.InsertionTime), ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return; // shutting down: the message becomes visible again after its timeout
            }
        }

        try
        {
            switch (result)
            {
                case QueueWorkResult.Done:
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct).ConfigureAwait(false);
                    break;
                case QueueWorkResult.Retry when message.DequeueCount < settings.MaxDequeueCount:
                    await queue.UpdateVisibilityAsync(message.MessageId, message.PopReceipt, RetryDelay(message.DequeueCount), ct).ConfigureAwait(false);
                    break;
                default:
                    LogPoisoned(function.Name, message.MessageId, message.DequeueCount);
                    await queue.MoveToPoisonAsync(message, ct).ConfigureAwait(false);
                    break;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // A lost pop receipt only means another delivery: the functions are idempotent.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogSettleFailed(function.Name, message.MessageId, e.Message);
        }
    }

    /// <summary>Growing delay before a failed message is delivered again: base × 2^(n-1), capped.</summary>
    internal TimeSpan RetryDelay(long dequeueCount) =>
        TimeSpan.FromTicks(Math.Min(settings.RetryBaseDelay.Ticks << (int)Math.Min(dequeueCount - 1, 16), MaxRetryDelay.Ticks));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Receiving from queue {Queue} failed: {Reason}")]
    private partial void LogReceiveFailed(string queue, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Function} moved message {MessageId} to the poison queue after {DequeueCount} deliveries")]
    private partial void LogPoisoned(string function, string messageId, long dequeueCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function} could not settle message {MessageId}: {Reason}; it will be delivered again")]
    private partial void LogSettleFailed(string function, string messageId, string reason);
}

/// <summary>Standalone hosting: one <see cref="QueueListener"/> per registered queue function.</summary>
internal sealed class QueueListeners(IEnumerable<IQueueFunction> functions, IServiceProvider services) : IHostedService
{
    private readonly List<QueueListener> _listeners = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var function in functions)
        {
            var listener = ActivatorUtilities.CreateInstance<QueueListener>(services, function);
            _listeners.Add(listener);
            await listener.StartAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(_listeners.Select(l => l.StopAsync(cancellationToken))).ConfigureAwait(false);
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }
    }
}
