using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Hosting;

namespace AlipayFunctions.Storage;

/// <summary>
/// Creates the queues (and their poison queues) and the table once, in the background, so the worker connects to the
/// Functions host at once instead of after a round of storage calls. Every invocation waits for it first (see
/// <see cref="StorageReadyMiddleware"/>): a webhook is never answered before its queue exists. Storage that cannot be
/// reached is retried with a growing pause and logged; invocations wait rather than fail half-done.
/// </summary>
internal sealed partial class StorageInitializer(
    QueueServiceClient queues,
    TableClient table,
    TimeProvider clock,
    ILogger<StorageInitializer> logger) : BackgroundService
{
    private static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(30);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the queues and the table exist.</summary>
    public Task WaitAsync(CancellationToken cancellationToken) => _ready.Task.WaitAsync(cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var pause = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                var creations = AppStorage.Queues.SelectMany(q => new[] { q, AppStorage.PoisonQueue(q) })
                    .Select(q => (Task)queues.GetQueueClient(q).CreateIfNotExistsAsync(cancellationToken: stoppingToken))
                    .Append(table.CreateIfNotExistsAsync(stoppingToken));
                await Task.WhenAll(creations).ConfigureAwait(false);
                _ready.TrySetResult();
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // Storage may come up after the app (a restart of both); keep trying, loudly.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogNotReady(e.Message, pause);
                await Task.Delay(pause, clock, stoppingToken).ConfigureAwait(false);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, MaxPause.Ticks));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Storage is not reachable ({Reason}); webhooks and queue work wait. Trying again in {Pause}.")]
    private partial void LogNotReady(string reason, TimeSpan pause);
}

/// <summary>Holds every invocation until <see cref="StorageInitializer"/> has created the queues and the table.</summary>
internal sealed class StorageReadyMiddleware(StorageInitializer storage) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        await storage.WaitAsync(context.CancellationToken).ConfigureAwait(false);
        await next(context).ConfigureAwait(false);
    }
}
