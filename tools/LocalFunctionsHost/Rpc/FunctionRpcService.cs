using System.Collections.Concurrent;
using Grpc.Core;
using LocalFunctionsHost.Protocol;

namespace LocalFunctionsHost.Rpc;

/// <summary>The workers the host has started and expects to call in, by worker id.</summary>
internal sealed class WorkerRegistry
{
    private readonly ConcurrentDictionary<string, WorkerChannel> _channels = new(StringComparer.Ordinal);

    public void Add(WorkerChannel channel) => _channels[channel.WorkerId] = channel;

    public void Remove(WorkerChannel channel) => _channels.TryRemove(channel.WorkerId, out _);

    public WorkerChannel? Find(string workerId) => _channels.GetValueOrDefault(workerId);
}

/// <summary>The gRPC service the worker dials: the first message must be StartStream with a worker id the host started.</summary>
internal sealed class FunctionRpcService(WorkerRegistry registry) : FunctionRpc.FunctionRpcBase
{
    public override async Task EventStream(IAsyncStreamReader<StreamingMessage> requestStream, IServerStreamWriter<StreamingMessage> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(context);
        if (!await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false)
            || requestStream.Current.ContentCase != StreamingMessage.ContentOneofCase.StartStream
            || registry.Find(requestStream.Current.StartStream.WorkerId) is not { } channel)
        {
            // The real host accepts only its own workers' streams.
            return;
        }

        await channel.RunStreamAsync(requestStream, responseStream, context.CancellationToken).ConfigureAwait(false);
    }
}
