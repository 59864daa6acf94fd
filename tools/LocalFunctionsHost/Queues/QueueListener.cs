using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using LocalFunctionsHost.Configuration;
using LocalFunctionsHost.Protocol;

namespace LocalFunctionsHost.Queues;

/// <summary>
/// A queue trigger, polled as the real host's QueueListener does: batches of <c>batchSize</c>, the next batch when
/// in-flight messages fall to <c>newBatchThreshold</c>, randomized exponential back-off up to
/// <c>maxPollingInterval</c> when idle. Success deletes the message; failure makes it visible again after
/// <c>visibilityTimeout</c>, or moves it to <c>&lt;queue&gt;-poison</c> at <c>maxDequeueCount</c>.
/// </summary>
internal sealed class QueueListener : IAsyncDisposable
{
    /// <summary>How long a fetched message stays invisible while the function runs (the real host's default).</summary>
    private static readonly TimeSpan ProcessingVisibility = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan MinimumPollingInterval = TimeSpan.FromMilliseconds(100);

    private readonly FunctionDescription _function;
    private readonly FunctionInvoker _invoker;
    private readonly QueueClients _clients;
    private readonly QueueSettings _settings;
    private readonly HostOutput _output;
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<Task> _inFlight = [];
    private Task _polling = Task.CompletedTask;

    private QueueListener(FunctionDescription function, string queueName, FunctionInvoker invoker, QueueClients clients, QueueSettings settings, HostOutput output)
    {
        _function = function;
        QueueName = queueName;
        _invoker = invoker;
        _clients = clients;
        _settings = settings;
        _output = output;
    }

    public string QueueName { get; }

    public static QueueListener Create(FunctionDescription function, FunctionInvoker invoker, QueueClients clients, QueueSettings settings, HostOutput output)
    {
        var queueName = function.Trigger.Text("queueName") ?? "";
        if (queueName.Length is < 3 or > 63)
        {
            throw new LocalHostException($"Function '{function.Name}': the queue name '{queueName}' is not 3-63 characters long.");
        }

        clients.Validate(function.Trigger.Text("connection"), function.Name);
        return new QueueListener(function, queueName.ToLowerInvariant(), invoker, clients, settings, output);
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Creates the queue when missing, as the host does, and fails start-up when storage cannot be reached.
        try
        {
            await _clients.GetAsync(_function.Trigger.Text("connection"), QueueName, encoded: false, cancellationToken).ConfigureAwait(false);
            await _clients.GetAsync(_function.Trigger.Text("connection"), QueueName + "-poison", encoded: false, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            throw new LocalHostException($"Function '{_function.Name}': cannot reach queue '{QueueName}': {e.Message.Split('\n')[0]}", e);
        }

        _polling = PollAsync(_stop.Token);
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        var connection = _function.Trigger.Text("connection");
        var queue = await _clients.GetAsync(connection, QueueName, encoded: false, cancellationToken).ConfigureAwait(false);
        var delay = MinimumPollingInterval;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                int inFlight;
                lock (_inFlight)
                {
                    inFlight = _inFlight.Count;
                }

                if (inFlight > _settings.NewBatchThreshold)
                {
                    await WaitForAnyAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }

                QueueMessage[] messages = (await queue.ReceiveMessagesAsync(_settings.BatchSize, ProcessingVisibility, cancellationToken).ConfigureAwait(false)).Value;
                if (messages.Length > 0)
                {
                    delay = MinimumPollingInterval;
                    foreach (var message in messages)
                    {
                        Track(ProcessAsync(queue, message, cancellationToken));
                    }

                    continue;
                }

                // Idle: randomized exponential back-off up to maxPollingInterval.
                var jitter = 0.8 + (Random.Shared.NextDouble() * 0.4);
                await Task.Delay(delay * jitter, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _settings.MaxPollingInterval.Ticks));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (RequestFailedException e)
            {
                _output.Line($"Queue '{QueueName}' for function '{_function.Name}': {e.Message.Split('\n')[0]}");
                await Task.Delay(_settings.MaxPollingInterval, cancellationToken).ConfigureAwait(false);
            }
            catch (AggregateException e) when (IsStorageUnreachable(e))
            {
                // Azure.Core's retry policy throws this when every try failed to connect (storage down or restarting):
                // keep polling, or the function would never run again in this host.
                _output.Line($"Queue '{QueueName}' for function '{_function.Name}': {e.Message.Split('\n')[0]}");
                await Task.Delay(_settings.MaxPollingInterval, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                _output.Line($"Queue '{QueueName}' for function '{_function.Name}': {e.Message}");
                await Task.Delay(_settings.MaxPollingInterval, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private void Track(Task task)
    {
        lock (_inFlight)
        {
            _inFlight.Add(task);
        }

        _ = task.ContinueWith(
            t =>
            {
                lock (_inFlight)
                {
                    _inFlight.Remove(t);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private async Task WaitForAnyAsync(CancellationToken cancellationToken)
    {
        Task[] tasks;
        lock (_inFlight)
        {
            tasks = [.. _inFlight];
        }

        if (tasks.Length > 0)
        {
            await Task.WhenAny(tasks).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ProcessAsync(QueueClient queue, QueueMessage message, CancellationToken cancellationToken)
    {
        try
        {
            string text;
            if (_settings.Base64)
            {
                try
                {
                    text = Encoding.UTF8.GetString(Convert.FromBase64String(message.Body.ToString()));
                }
                catch (FormatException)
                {
                    _output.Line($"Message {message.MessageId} on queue '{QueueName}' is not valid base64: moved to '{QueueName}-poison'.");
                    await PoisonAsync(queue, message).ConfigureAwait(false);
                    return;
                }
            }
            else
            {
                text = message.Body.ToString();
            }

            if (message.DequeueCount > _settings.MaxDequeueCount)
            {
                // Its worker crashed each time it ran: the real host poisons it without another invocation.
                _output.Line($"Message {message.MessageId} on queue '{QueueName}' has been dequeued {message.DequeueCount} times: moved to '{QueueName}-poison'.");
                await PoisonAsync(queue, message).ConfigureAwait(false);
                return;
            }

            var session = await _invoker.GetSessionAsync(cancellationToken).ConfigureAwait(false);
            var request = new InvocationRequest();
            request.InputData.Add(new ParameterBinding { Name = _function.Trigger.Name, Data = TriggerInput(message, text) });
            foreach (var (name, value) in TriggerMetadata(message, text))
            {
                request.TriggerMetadata[name] = value;
            }

            var reason = $"New queue message detected on '{QueueName}'.";
            var result = await _invoker.Start(_function, session, request, reason, null, TimeSpan.Zero, CancellationToken.None).Completed.ConfigureAwait(false);
            if (result.Succeeded)
            {
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None).ConfigureAwait(false);
            }
            else if (message.DequeueCount >= _settings.MaxDequeueCount)
            {
                _output.Line($"Message {message.MessageId} has reached MaxDequeueCount of {_settings.MaxDequeueCount}. Moving message to queue '{QueueName}-poison'.");
                await PoisonAsync(queue, message).ConfigureAwait(false);
            }
            else
            {
                await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: _settings.VisibilityTimeout, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping before the invocation: the message becomes visible again when its visibility ends.
        }
        catch (Exception e) when (e is RequestFailedException || (e is AggregateException a && IsStorageUnreachable(a)))
        {
            // The delete or release failed (storage down): the message comes back when its processing lease ends.
            _output.Line($"Queue '{QueueName}': message {message.MessageId}: {e.Message.Split('\n')[0]}");
        }
    }

    private static bool IsStorageUnreachable(AggregateException e) =>
        e.InnerExceptions.All(i => i is RequestFailedException or HttpRequestException);

    private async Task PoisonAsync(QueueClient queue, QueueMessage message)
    {
        var poison = await _clients.GetAsync(_function.Trigger.Text("connection"), QueueName + "-poison", encoded: false, CancellationToken.None).ConfigureAwait(false);
        await poison.SendMessageAsync(message.Body, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None).ConfigureAwait(false);
    }

    private TypedData TriggerInput(QueueMessage message, string text)
    {
        if (_function.Trigger.Raw["properties"]?["supportsDeferredBinding"] is { } deferred && string.Equals(deferred.ToString(), "true", StringComparison.OrdinalIgnoreCase))
        {
            var content = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
            {
                ["MessageId"] = message.MessageId,
                ["PopReceipt"] = message.PopReceipt,
                ["MessageText"] = text,
                ["Body"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(text)),
                ["DequeueCount"] = message.DequeueCount,
                ["NextVisibleOn"] = message.NextVisibleOn,
                ["InsertedOn"] = message.InsertedOn,
                ["ExpiresOn"] = message.ExpiresOn,
            });
            return new TypedData
            {
                ModelBindingData = new ModelBindingData { Version = "1.0", Source = "AzureStorageQueues", ContentType = "application/json", Content = Google.Protobuf.ByteString.CopyFrom(content) },
            };
        }

        return string.Equals(_function.Trigger.Text("dataType"), "binary", StringComparison.OrdinalIgnoreCase)
            ? new TypedData { Bytes = Google.Protobuf.ByteString.CopyFromUtf8(text) }
            : new TypedData { String = text };
    }

    internal static IEnumerable<(string Name, TypedData Value)> TriggerMetadata(QueueMessage message, string text)
    {
        yield return ("QueueTrigger", new TypedData { String = text });
        yield return ("DequeueCount", new TypedData { Json = message.DequeueCount.ToString(CultureInfo.InvariantCulture) });
        yield return ("Id", new TypedData { String = message.MessageId });
        yield return ("PopReceipt", new TypedData { String = message.PopReceipt });
        if (message.InsertedOn is { } inserted)
        {
            yield return ("InsertionTime", Date(inserted));
        }

        if (message.ExpiresOn is { } expires)
        {
            yield return ("ExpirationTime", Date(expires));
        }

        if (message.NextVisibleOn is { } next)
        {
            yield return ("NextVisibleTime", Date(next));
        }

        static TypedData Date(DateTimeOffset value) => new() { Json = JsonSerializer.Serialize(value) };
    }

    /// <summary>Stops fetching messages; in-flight ones finish (or fail when the worker stops).</summary>
    public Task StopPollingAsync() => _stop.CancelAsync();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _polling.ConfigureAwait(false);
        Task[] tasks;
        lock (_inFlight)
        {
            tasks = [.. _inFlight];
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        _stop.Dispose();
    }
}
