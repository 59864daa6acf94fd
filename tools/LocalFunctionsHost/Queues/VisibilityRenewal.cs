using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace LocalFunctionsHost.Queues;

/// <summary>
/// Keeps one fetched message invisible while its function runs, as the real host's QueueListener does: every half of
/// the in-flight visibility it sets the visibility again, each update giving a new pop receipt. A failed update is
/// tried again sooner; a message or queue that is gone ends the renewals.
/// </summary>
internal sealed class VisibilityRenewal : IAsyncDisposable
{
    private readonly QueueClient _queue;
    private readonly string _messageId;
    private readonly TimeSpan _visibility;
    private readonly HostOutput _output;
    private readonly string _queueName;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _renewing;
    private string _popReceipt;

    public VisibilityRenewal(QueueClient queue, QueueMessage message, TimeSpan visibility, HostOutput output, string queueName)
    {
        _queue = queue;
        _messageId = message.MessageId;
        _popReceipt = message.PopReceipt;
        _visibility = visibility;
        _output = output;
        _queueName = queueName;
        _renewing = RenewAsync(_stop.Token);
    }

    /// <summary>The message's current pop receipt (read it after <see cref="DisposeAsync"/>).</summary>
    public string PopReceipt => _popReceipt;

    /// <summary>Ends the renewals, waiting for one in progress so that <see cref="PopReceipt"/> is the latest.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _renewing.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RenewAsync(CancellationToken stop)
    {
        var interval = _visibility / 2;
        var delay = interval;
        while (true)
        {
            try
            {
                await Task.Delay(delay, TimeProvider.System, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                // Not cancelled by StopAsync: an update the service applied must not lose its new pop receipt.
                UpdateReceipt receipt = (await _queue.UpdateMessageAsync(_messageId, _popReceipt, visibilityTimeout: _visibility, cancellationToken: CancellationToken.None).ConfigureAwait(false)).Value;
                _popReceipt = receipt.PopReceipt;
                delay = interval;
            }
            catch (RequestFailedException e) when (e.Status is 404 or 409)
            {
                // The message or the queue is gone: nothing left to keep invisible.
                _output.Line($"Queue '{_queueName}': message {_messageId} can no longer be kept invisible ({e.ErrorCode}).");
                return;
            }
            catch (Exception e) when (e is RequestFailedException or HttpRequestException)
            {
                _output.Line($"Queue '{_queueName}': renewing the visibility of message {_messageId} failed: {e.Message.Split('\n')[0]}");
                delay = interval / 4;
            }
        }
    }
}
