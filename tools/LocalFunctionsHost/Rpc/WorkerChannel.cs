using System.Collections.Concurrent;
using System.Threading.Channels;
using Grpc.Core;
using LocalFunctionsHost.Protocol;
using RpcException = Grpc.Core.RpcException;

namespace LocalFunctionsHost.Rpc;

/// <summary>The worker is gone (exited, stopped answering, or the host is stopping): the invocation cannot complete.</summary>
internal sealed class WorkerUnavailableException(string message) : Exception(message);

/// <summary>
/// One worker's gRPC stream: requests go out through a single writer, answers are matched by request or invocation id
/// (the worker answers on its own tasks, in any order).
/// </summary>
internal sealed class WorkerChannel
{
    private readonly Channel<StreamingMessage> _outbound = Channel.CreateUnbounded<StreamingMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<StreamingMessage>> _requests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<InvocationResponse>> _invocations = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _timedOut = new(StringComparer.Ordinal);
    private readonly Action<RpcLog> _onLog;

    public WorkerChannel(string workerId, Action<RpcLog> onLog)
    {
        WorkerId = workerId;
        _onLog = onLog;
    }

    public string WorkerId { get; }

    /// <summary>Completes when the worker has opened its stream with StartStream.</summary>
    public Task Connected => _connected.Task;

    /// <summary>Completes with the reason when the stream ended or <see cref="Close"/> was called.</summary>
    public Task<string> Closed => _closed.Task;

    public int InFlight => _invocations.Count;

    /// <summary>Runs the worker's stream until it ends; called by the gRPC service after StartStream.</summary>
    public async Task RunStreamAsync(IAsyncStreamReader<StreamingMessage> reader, IServerStreamWriter<StreamingMessage> writer, CancellationToken cancellationToken)
    {
        _connected.TrySetResult();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var writing = WriteAllAsync(writer, stop.Token);
        try
        {
            while (await reader.MoveNext(stop.Token).ConfigureAwait(false))
            {
                Dispatch(reader.Current);
            }

            Close("the worker closed its gRPC stream");
        }
        catch (Exception e) when (e is IOException or RpcException or OperationCanceledException or InvalidOperationException)
        {
            Close($"the worker's gRPC stream broke ({e.Message})");
        }
        finally
        {
            // Lets queued messages (WorkerTerminate) go out before the call ends.
            _outbound.Writer.TryComplete();
            try
            {
                await writing.WaitAsync(TimeSpan.FromSeconds(2), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutException or IOException or RpcException or OperationCanceledException or InvalidOperationException)
            {
                // The stream is gone: nothing more can be written.
            }

            await stop.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Sends a request that the worker answers with the same request id.</summary>
    public async Task<StreamingMessage> RequestAsync(StreamingMessage request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        request.RequestId = Guid.NewGuid().ToString();
        var answer = new TaskCompletionSource<StreamingMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests[request.RequestId] = answer;
        try
        {
            Send(request);
            return await answer.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _requests.TryRemove(request.RequestId, out _);
        }
    }

    /// <summary>Sends an invocation; completes with the worker's answer, or fails when the worker goes away.</summary>
    public Task<InvocationResponse> InvokeAsync(InvocationRequest request)
    {
        var answer = new TaskCompletionSource<InvocationResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        _invocations[request.InvocationId] = answer;
        if (_closed.Task.IsCompleted)
        {
            Fail(request.InvocationId, _closed.Task.Result);
        }
        else
        {
            Send(new StreamingMessage { InvocationRequest = request });
        }

        return answer.Task;
    }

    /// <summary>Fails one pending invocation (timed out, or the caller went away) and tells the worker to cancel it.</summary>
    public void Cancel(string invocationId, string reason)
    {
        Send(new StreamingMessage { InvocationCancel = new InvocationCancel { InvocationId = invocationId } });
        Fail(invocationId, reason);
    }

    /// <summary>
    /// Fails an invocation that ran past <c>functionTimeout</c> and tells the worker to cancel it. The returned task
    /// completes if the worker answers it after all (or the channel closes): one that never does is stuck.
    /// </summary>
    public Task TimeOut(string invocationId)
    {
        var late = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _timedOut[invocationId] = late;
        Cancel(invocationId, "timed out");
        if (_closed.Task.IsCompleted && _timedOut.TryRemove(invocationId, out _))
        {
            late.TrySetResult();
        }

        return late.Task;
    }

    public void Send(StreamingMessage message) => _outbound.Writer.TryWrite(message);

    /// <summary>Ends the channel: every in-flight invocation and request fails with <paramref name="reason"/>.</summary>
    public void Close(string reason)
    {
        if (!_closed.TrySetResult(reason))
        {
            return;
        }

        _outbound.Writer.TryComplete();
        foreach (var id in _invocations.Keys)
        {
            Fail(id, reason);
        }

        foreach (var (_, request) in _requests)
        {
            request.TrySetException(new WorkerUnavailableException(reason));
        }

        foreach (var id in _timedOut.Keys)
        {
            if (_timedOut.TryRemove(id, out var late))
            {
                late.TrySetResult();
            }
        }
    }

    private void Fail(string invocationId, string reason)
    {
        if (_invocations.TryRemove(invocationId, out var pending))
        {
            pending.TrySetException(new WorkerUnavailableException(reason));
        }
    }

    private async Task WriteAllAsync(IServerStreamWriter<StreamingMessage> writer, CancellationToken cancellationToken)
    {
        await foreach (var message in _outbound.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            await writer.WriteAsync(message, cancellationToken).ConfigureAwait(false);
        }
    }

    private void Dispatch(StreamingMessage message)
    {
        switch (message.ContentCase)
        {
            case StreamingMessage.ContentOneofCase.RpcLog:
                _onLog(message.RpcLog);
                break;
            case StreamingMessage.ContentOneofCase.InvocationResponse:
                if (_invocations.TryRemove(message.InvocationResponse.InvocationId, out var invocation))
                {
                    invocation.TrySetResult(message.InvocationResponse);
                }
                else if (_timedOut.TryRemove(message.InvocationResponse.InvocationId, out var late))
                {
                    late.TrySetResult();
                }

                break;
            case StreamingMessage.ContentOneofCase.FunctionLoadResponse:
                // Loads are sent one per function with the function id as request id.
                if (_requests.TryGetValue(message.FunctionLoadResponse.FunctionId, out var load))
                {
                    load.TrySetResult(message);
                }

                break;
            default:
                if (_requests.TryGetValue(message.RequestId, out var request))
                {
                    request.TrySetResult(message);
                }

                break;
        }
    }

    /// <summary>Sends a FunctionLoadRequest and waits for its answer (correlated by function id).</summary>
    public async Task<FunctionLoadResponse> LoadAsync(RpcFunctionMetadata metadata, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var answer = new TaskCompletionSource<StreamingMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests[metadata.FunctionId] = answer;
        try
        {
            Send(new StreamingMessage
            {
                RequestId = Guid.NewGuid().ToString(),
                FunctionLoadRequest = new FunctionLoadRequest { FunctionId = metadata.FunctionId, Metadata = metadata },
            });
            return (await answer.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false)).FunctionLoadResponse;
        }
        finally
        {
            _requests.TryRemove(metadata.FunctionId, out _);
        }
    }
}
