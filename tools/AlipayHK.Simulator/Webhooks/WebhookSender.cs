using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlipayHK.OpenApi.Signing;
using AlipayHK.Simulator.Bills;
using AlipayHK.Simulator.Protocol;

namespace AlipayHK.Simulator.Webhooks;

/// <summary>
/// Sends AlipayHK's webhooks like AlipayHK: signed with the platform key over the public path, the merchant's
/// answer verified with the merchant's public key, and anything but a verified, signed S retried on AlipayHK's
/// schedule (divided by <see cref="WebhookOptions.TimeFactor"/>) in the background. Thread-safe.
/// </summary>
public sealed class WebhookSender : IAsyncDisposable
{
    /// <summary>AlipayHK's retry schedule for bill/notify (protocol §2.3): the waits before retries 1 to 7.</summary>
    public static readonly IReadOnlyList<TimeSpan> AlipayHKRetrySchedule =
    [
        TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(10), TimeSpan.FromHours(1),
        TimeSpan.FromHours(2), TimeSpan.FromHours(6), TimeSpan.FromHours(15),
    ];

    private readonly SimulatorOptions _options;
    private readonly SimulatorKeys _keys;
    private readonly WebhookLog _log;
    private readonly TimeProvider _clock;
    private readonly ILogger<WebhookSender> _logger;
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);
    private readonly byte[] _clientId;
    private long _sequence;

    internal WebhookSender(SimulatorOptions options, SimulatorKeys keys, WebhookLog log, TimeProvider clock, ILogger<WebhookSender> logger)
    {
        if (options.Webhooks.TimeFactor < 1)
        {
            throw new InvalidOperationException($"{SimulatorOptions.SectionName}:Webhooks:TimeFactor must be at least 1.");
        }
        _options = options;
        _keys = keys;
        _log = log;
        _clock = clock;
        _logger = logger;
        _clientId = Encoding.UTF8.GetBytes(options.ClientId);
        // Per-attempt timeouts come from a token; the client itself never times out.
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) }) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The waits before each retry, after dividing by the time factor.</summary>
    public IReadOnlyList<TimeSpan> RetrySchedule =>
        AlipayHKRetrySchedule.Select(d => TimeSpan.FromTicks((long)(d.Ticks / _options.Webhooks.TimeFactor))).ToList();

    /// <summary>Sends membercard/create in the background; await the delivery's <see cref="WebhookDelivery.Completion"/>.</summary>
    /// <exception cref="InvalidOperationException">No <c>Webhooks:TargetBaseUrl</c> is configured.</exception>
    /// <exception cref="ArgumentException">The webhook has no user id.</exception>
    public Task<WebhookDelivery> SendMemberCardCreateAsync(MemberCardCreateWebhook webhook, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(webhook);
        return StartAsync(WebhookKind.MemberCardCreate, ApiPaths.MemberCardCreateWebhook, webhook.ToJson(), webhook.UserId, cancellationToken);
    }

    /// <summary>Sends bill/notify in the background; await the delivery's <see cref="WebhookDelivery.Completion"/>.</summary>
    /// <exception cref="InvalidOperationException">No <c>Webhooks:TargetBaseUrl</c> is configured.</exception>
    /// <exception cref="ArgumentException">The bill has no user or amount.</exception>
    public Task<WebhookDelivery> SendBillNotifyAsync(Bill bill, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bill);
        bill.Validate();
        return StartAsync(WebhookKind.BillNotify, ApiPaths.BillNotifyWebhook, bill.ToJson(_clock), bill.UserId, cancellationToken);
    }

    private Task<WebhookDelivery> StartAsync(WebhookKind kind, string webhookPath, JsonObject body, string userId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
        var baseUrl = _options.Webhooks.TargetBaseUrl
            ?? throw new InvalidOperationException($"{SimulatorOptions.SectionName}:Webhooks:TargetBaseUrl is not configured: there is no merchant to send webhooks to.");
        var target = new Uri($"{baseUrl.ToString().TrimEnd('/')}/{Uri.EscapeDataString(_options.Webhooks.MerchantTag)}{webhookPath}");
        var id = string.Create(CultureInfo.InvariantCulture, $"wh-{Interlocked.Increment(ref _sequence)}");
        var delivery = new WebhookDelivery(id, kind, target, body.ToJsonString(JsonFields.Wire), userId);
        _log.Add(delivery);
        _running[id] = Task.Run(() => DeliverAsync(delivery, _stopping.Token), CancellationToken.None);
        return Task.FromResult(delivery);
    }

    private async Task DeliverAsync(WebhookDelivery delivery, CancellationToken stopping)
    {
        var schedule = RetrySchedule;
        var body = Encoding.UTF8.GetBytes(delivery.Body);
        try
        {
            for (var attempt = 0; attempt <= schedule.Count; attempt++)
            {
                var wait = attempt == 0 ? TimeSpan.Zero : schedule[attempt - 1];
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _clock, stopping).ConfigureAwait(false);
                }
                var result = await AttemptAsync(delivery, attempt + 1, wait, body, stopping).ConfigureAwait(false);
                delivery.Add(result.Attempt);
                _logger.LogInformation("Webhook {Id} ({Kind}) attempt {Number}: {Outcome}", delivery.Id, delivery.Kind, result.Attempt.Number, result.Attempt.Outcome);
                if (result.Attempt.Delivered)
                {
                    delivery.Finish(WebhookState.Delivered, result.MemberId);
                    return;
                }
            }
            delivery.Finish(WebhookState.GaveUp);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            delivery.Finish(WebhookState.Cancelled);
        }
        finally
        {
            _running.TryRemove(delivery.Id, out _);
        }
    }

    private async Task<(WebhookAttempt Attempt, string? MemberId)> AttemptAsync(WebhookDelivery delivery, int number, TimeSpan wait, byte[] body, CancellationToken stopping)
    {
        var path = delivery.Target.AbsolutePath;
        var at = _clock.GetUtcNow();
        WebhookAttempt Failed(int status, string outcome, string? code = null, string? resultStatus = null, bool verified = false) =>
            new(number, wait, at, status, code, resultStatus, verified, outcome);

        // Each attempt is stamped and signed afresh (assumed: the public pages do not say whether AlipayHK re-stamps retries).
        var signed = await _keys.PlatformSigner.SignAsync(path, body, stopping).ConfigureAwait(false);
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Target) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(AlipayHeaders.JsonContentType);
        request.Headers.TryAddWithoutValidation(AlipayHeaders.ClientId, signed.ClientId);
        request.Headers.TryAddWithoutValidation(AlipayHeaders.RequestTime, signed.Time);
        request.Headers.TryAddWithoutValidation(AlipayHeaders.Signature, signed.Signature);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(_options.Webhooks.AttemptTimeout);
        HttpResponseMessage response;
        byte[] answer;
        try
        {
            response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            answer = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            return (Failed(0, $"no answer within {_options.Webhooks.AttemptTimeout.TotalSeconds:0.#} s"), null);
        }
        catch (HttpRequestException e)
        {
            return (Failed(0, $"no answer: {e.HttpRequestError}"), null);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var (code, resultStatus, memberId) = ReadResult(answer);
            if (!response.IsSuccessStatusCode)
            {
                return (Failed(status, $"HTTP {status}", code, resultStatus), null);
            }
            if (resultStatus is null)
            {
                return (Failed(status, "the answer has no result"), null);
            }
            var verification = VerifyAnswer(response, path, answer);
            var verified = verification is null;
            if (!verified)
            {
                return (Failed(status, verification!, code, resultStatus), null);
            }
            if (resultStatus != "S")
            {
                return (Failed(status, $"result {resultStatus} {code}", code, resultStatus, verified: true), null);
            }
            return (new WebhookAttempt(number, wait, at, status, code, resultStatus, true, WebhookDelivery.DeliveredOutcome), memberId);
        }
    }

    // Null when the merchant's answer is signed by the merchant's key over POST <path>\n<clientId>.<Response-Time>.<body>.
    private string? VerifyAnswer(HttpResponseMessage response, string path, byte[] answer)
    {
        string? Header(string name) => response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault()?.Trim() : null;
        var signature = Header(AlipayHeaders.Signature);
        if (string.IsNullOrEmpty(signature))
        {
            return "unsigned answer";
        }
        var time = Header(AlipayHeaders.ResponseTime);
        if (string.IsNullOrEmpty(time))
        {
            return "the answer has no Response-Time";
        }
        var clientId = AlipayHeaders.GetClientId(Header) ?? _options.ClientId;
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(clientId), _clientId))
        {
            return "the answer names another Client-Id";
        }
        var rejection = _keys.MerchantVerifier.Verify("POST", path, clientId, time, answer, signature);
        return rejection == SignatureRejection.None ? null : $"the answer's signature does not verify ({rejection})";
    }

    private (string? Code, string? Status, string? MemberId) ReadResult(byte[] answer)
    {
        try
        {
            if (JsonNode.Parse(answer) is not JsonObject json)
            {
                return (null, null, null);
            }
            // AlipayHK's own answers use "result"; one older sample uses "resultInfo" (protocol §2.4).
            var result = (json["result"] ?? json["resultInfo"]) as JsonObject;
            return (Text(result?["resultCode"]), Text(result?["resultStatus"]), Text(json[_options.Webhooks.MemberIdField]));
        }
        catch (JsonException)
        {
            return (null, null, null);
        }

        static string? Text(JsonNode? node) => node is JsonValue value && value.GetValueKind() is JsonValueKind.String or JsonValueKind.Number ? value.ToString() : null;
    }

    /// <summary>Stops every pending delivery (they end <see cref="WebhookState.Cancelled"/>).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_running.Values).ConfigureAwait(false);
        _http.Dispose();
        _stopping.Dispose();
    }
}
