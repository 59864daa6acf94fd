using AlipayFunctions.Storage.Queues;
using AlipayFunctions.Storage.Tables;

namespace AlipayFunctions.Hosting;

/// <summary>
/// Creates the queues (and their poison queues) and the table in the background, so that the handler answers
/// <c>GET /</c> (the Functions host's readiness probe) at once instead of after a round of storage calls.
/// Everything that touches storage awaits <see cref="WaitAsync"/> first. Storage that cannot be reached is retried
/// with a growing pause and logged; requests wait (and time out on the caller's side) rather than fail half-done.
/// </summary>
internal sealed partial class StorageInitializer(
    QueueServiceClient queues,
    ITableClient table,
    TimeProvider clock,
    ILogger<StorageInitializer> logger) : BackgroundService
{
    private static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(30);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the queues and the table exist.</summary>
    public Task WaitAsync(CancellationToken cancellationToken) => _ready.Task.WaitAsync(cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Off the start-up path: the host starts the web server only after every StartAsync has returned.
        await Task.Yield();
        var pause = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                var creations = AppStorage.Queues.SelectMany(q => new[] { q, AppStorage.PoisonQueue(q) })
                    .Select(q => queues.GetQueueClient(q).CreateIfNotExistsAsync(stoppingToken))
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
