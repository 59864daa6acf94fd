using System.Diagnostics.Metrics;

namespace AlipayFunctions.Observability;

/// <summary>
/// The app's OpenTelemetry metrics (meter <c>AlipayFunctions</c>): webhooks by outcome, queue age, AlipayHK calls
/// by result code, signatures made, poison queue lengths, the sweep's findings, mini-app requests
/// limited by the connection's address because their client-address header was unusable. Exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
/// </summary>
public sealed class AppMetrics : IDisposable
{
    /// <summary>The meter name to subscribe to.</summary>
    public const string MeterName = "AlipayFunctions";

    /// <summary>
    /// The gauge of each poison queue's length, observed by <see cref="PoisonQueueGauge"/> (which reads storage); named
    /// here so that every instrument the app emits is listed in one place.
    /// </summary>
    public const string PoisonQueueLength = "queue.poison.length";

    private readonly Meter _meter;
    private readonly Counter<long> _webhooks;
    private readonly Counter<long> _alipayCalls;
    private readonly Histogram<double> _queueAge;
    private readonly Counter<long> _bills;
    private readonly Counter<long> _sweepFindings;
    private readonly Gauge<long> _cardsBehind;
    private readonly Counter<long> _clientAddressFallbacks;

    public AppMetrics(IMeterFactory meters, Func<long> signaturesMade)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _meter = meters.Create(MeterName);
        _webhooks = _meter.CreateCounter<long>("alipayhk.webhooks", description: "Webhooks answered, by endpoint and outcome.");
        _alipayCalls = _meter.CreateCounter<long>("alipayhk.calls", description: "Calls to AlipayHK, by API and result code.");
        _queueAge = _meter.CreateHistogram<double>("queue.message.age", unit: "s", description: "Time from queueing to processing.");
        _bills = _meter.CreateCounter<long>("loyalty.bills", description: "Bills processed, by outcome.");
        _sweepFindings = _meter.CreateCounter<long>("sweep.findings", description: "What the reconciliation sweep found and re-queued, by kind.");
        _cardsBehind = _meter.CreateGauge<long>("loyalty.cards.behind", description: "Cards behind their balance with no sync live, as the last sweep found them.");
        _clientAddressFallbacks = _meter.CreateCounter<long>("miniapp.client_address.fallbacks",
            description: "Mini-app requests whose MiniApp:ClientAddressHeader was missing or not one IP address, rate-limited by the connection's address instead, by reason.");
        _meter.CreateObservableCounter("signing.signatures", signaturesMade, description: "Signatures made with the merchant key (Key Vault operations in production).");
    }

    public void Webhook(string endpoint, string outcome) =>
        _webhooks.Add(1, new("endpoint", endpoint), new("outcome", outcome));

    public void AlipayCall(string api, string resultCode) =>
        _alipayCalls.Add(1, new("api", api), new("result_code", resultCode));

    public void QueueAge(string queue, TimeSpan age) =>
        _queueAge.Record(Math.Max(0, age.TotalSeconds), new KeyValuePair<string, object?>("queue", queue));

    /// <summary>Records how long a delivered message waited in its queue, when the trigger said when it was queued.</summary>
    internal void QueueAge(string queue, Storage.QueueDelivery delivery, TimeProvider clock)
    {
        if (delivery.InsertionTime is { } queued)
        {
            QueueAge(queue, clock.GetUtcNow() - queued);
        }
    }

    public void Bill(string outcome) => _bills.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void SweepFinding(string kind) => _sweepFindings.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public void CardsBehind(long count) => _cardsBehind.Record(count);

    /// <summary>A mini-app request without a usable client-address header; <paramref name="reason"/>: <c>missing</c> or <c>malformed</c>.</summary>
    public void ClientAddressFallback(string reason) => _clientAddressFallbacks.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Dispose() => _meter.Dispose();
}
