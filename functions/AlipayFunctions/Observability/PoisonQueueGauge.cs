using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using AlipayFunctions.Storage;
using Azure;
using Azure.Storage.Queues;
using Microsoft.Extensions.Hosting;

namespace AlipayFunctions.Observability;

/// <summary>
/// The gauge <c>queue.poison.length</c> (meter <c>AlipayFunctions</c>, dimension <c>queue</c>: the work queue whose
/// poison queue it is): each poison queue's approximate message count, which the alerts and the workbook chart.
/// The counts are read in the background at most every <see cref="RefreshPeriod"/> and the gauge reports the cached
/// values, so an exporter's collection never waits on storage. A poison queue the host has not created yet counts 0.
/// </summary>
internal sealed partial class PoisonQueueGauge : BackgroundService
{
    /// <summary>How often the counts are read: one Get Queue Properties per queue per period per instance.</summary>
    public static readonly TimeSpan RefreshPeriod = TimeSpan.FromSeconds(30);

    private readonly QueueServiceClient _queues;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, long> _lengths = new(StringComparer.Ordinal);

    public PoisonQueueGauge(QueueServiceClient queues, IMeterFactory meters, TimeProvider clock, ILogger<PoisonQueueGauge> logger)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _queues = queues;
        _clock = clock;
        _logger = logger;
        meters.Create(AppMetrics.MeterName).CreateObservableGauge(AppMetrics.PoisonQueueLength, Observe,
            unit: "{message}", description: "Approximate number of messages in each queue's poison queue.");
    }

    /// <summary>The last counts read, by work queue.</summary>
    public IReadOnlyDictionary<string, long> Lengths => _lengths;

    /// <summary>Reads every poison queue's approximate count once.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        foreach (var queue in AppStorage.Queues)
        {
            try
            {
                var properties = await _queues.GetQueueClient(AppStorage.PoisonQueue(queue)).GetPropertiesAsync(ct).ConfigureAwait(false);
                _lengths[queue] = properties.Value.ApproximateMessagesCount;
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                _lengths[queue] = 0;
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RefreshPeriod, _clock);
        do
        {
            try
            {
                await RefreshAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (RequestFailedException e)
            {
                // Storage trouble shows in the app's other metrics and logs; keep the last counts and try again.
                LogRefreshFailed(_logger, e.Status, e.ErrorCode);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private IEnumerable<Measurement<long>> Observe()
    {
        foreach (var (queue, length) in _lengths)
        {
            yield return new Measurement<long>(length, new KeyValuePair<string, object?>("queue", queue));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the poison queue lengths: HTTP {Status} {ErrorCode}")]
    private static partial void LogRefreshFailed(ILogger logger, int status, string? errorCode);
}
