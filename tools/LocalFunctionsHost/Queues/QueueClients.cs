using System.Collections.Concurrent;
using Azure.Identity;
using Azure.Storage.Queues;
using LocalFunctionsHost.Configuration;

namespace LocalFunctionsHost.Queues;

/// <summary>
/// Queue clients per connection setting, read like the real host: a connection string (or
/// <c>UseDevelopmentStorage=true</c>) under the name or <c>AzureWebJobs&lt;name&gt;</c>, else
/// <c>&lt;name&gt;__queueServiceUri</c> / <c>__serviceUri</c> / <c>__accountName</c> with the default Azure credential.
/// Raw clients (no encoding) read and copy messages as stored; encoded clients write outputs in host.json's encoding.
/// </summary>
internal sealed class QueueClients(AppSettings settings, bool base64)
{
    private readonly ConcurrentDictionary<(string Connection, bool Encoded), QueueServiceClient> _services = new();
    private readonly ConcurrentDictionary<(string Connection, string Queue, bool Encoded), Lazy<Task<QueueClient>>> _queues = new();

    /// <summary>A client for the queue, created on first use when missing (as the host creates trigger, output and poison queues).</summary>
    public Task<QueueClient> GetAsync(string? connection, string queueName, bool encoded, CancellationToken cancellationToken)
    {
        var name = string.IsNullOrEmpty(connection) ? "AzureWebJobsStorage" : connection;
        var lazy = _queues.GetOrAdd((name, queueName, encoded), key => new Lazy<Task<QueueClient>>(async () =>
        {
            var client = Service(key.Connection, key.Encoded).GetQueueClient(key.Queue);
            await client.CreateIfNotExistsAsync(cancellationToken: CancellationToken.None).ConfigureAwait(false);
            return client;
        }));
        try
        {
            return lazy.Value.WaitAsync(cancellationToken);
        }
        catch
        {
            _queues.TryRemove(new KeyValuePair<(string, string, bool), Lazy<Task<QueueClient>>>((name, queueName, encoded), lazy));
            throw;
        }
    }

    /// <summary>Checks that the connection setting exists, so a missing one stops start-up with one clear line.</summary>
    public void Validate(string? connection, string functionName) => Service(string.IsNullOrEmpty(connection) ? "AzureWebJobsStorage" : connection, false, functionName);

    private QueueServiceClient Service(string connection, bool encoded, string? functionName = null) =>
        _services.GetOrAdd((connection, encoded), key => Create(key.Connection, key.Encoded, functionName));

    private QueueServiceClient Create(string connection, bool encoded, string? functionName)
    {
        var options = new QueueClientOptions { MessageEncoding = encoded && base64 ? QueueMessageEncoding.Base64 : QueueMessageEncoding.None };
        if ((settings.Get(connection) ?? settings.Get("AzureWebJobs" + connection)) is { Length: > 0 } connectionString)
        {
            try
            {
                return new QueueServiceClient(connectionString, options);
            }
            catch (FormatException e)
            {
                throw new LocalHostException($"The connection setting '{connection}' is not a valid storage connection string: {e.Message}", e);
            }
        }

        var uri = settings.Get(connection + "__queueServiceUri") ?? settings.Get(connection + "__serviceUri")
            ?? (settings.Get(connection + "__accountName") is { Length: > 0 } account ? $"https://{account}.queue.core.windows.net" : null);
        if (uri is not null && Uri.TryCreate(uri, UriKind.Absolute, out var serviceUri))
        {
            var credential = new DefaultAzureCredential(new DefaultAzureCredentialOptions
            {
                ManagedIdentityClientId = settings.Get(connection + "__clientId"),
            });
            return new QueueServiceClient(serviceUri, credential, options);
        }

        var who = functionName is null ? "" : $"Function '{functionName}': ";
        throw new LocalHostException($"{who}the storage connection setting '{connection}' is missing (set {connection} to a connection string, or {connection}__queueServiceUri).");
    }
}
