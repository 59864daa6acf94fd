using AlipayFunctions.Storage.Pipeline;

namespace AlipayFunctions.Storage.Queues;

/// <summary>The Queue service of one account. Thread-safe; create once and share.</summary>
public sealed class QueueServiceClient
{
    /// <summary>The pinned Queue service REST API version.</summary>
    public const string ServiceVersion = "2025-05-05";

    private readonly StoragePipeline _pipeline;
    private readonly Uri _endpoint;

    /// <summary>Creates a client for <paramref name="account"/>'s queues.</summary>
    public QueueServiceClient(StorageAccount account, StorageClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(account);
        _pipeline = new StoragePipeline(account, options, ServiceVersion, isTableService: false, nameof(QueueClient));
        _endpoint = account.QueueEndpoint;
    }

    /// <summary>A client for one queue (no request is made).</summary>
    /// <exception cref="ArgumentException">The name is not a valid queue name.</exception>
    public QueueClient GetQueueClient(string queueName)
    {
        QueueClient.ValidateName(queueName);
        return new QueueClient(_pipeline, _endpoint, queueName);
    }
}
