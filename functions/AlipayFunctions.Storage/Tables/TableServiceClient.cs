using AlipayFunctions.Storage.Pipeline;

namespace AlipayFunctions.Storage.Tables;

/// <summary>The Table service of one account. Thread-safe; create once and share.</summary>
public sealed class TableServiceClient
{
    /// <summary>The pinned Table service REST API version.</summary>
    public const string ServiceVersion = "2020-12-06";

    private readonly StoragePipeline _pipeline;
    private readonly Uri _endpoint;

    /// <summary>Creates a client for <paramref name="account"/>'s tables.</summary>
    public TableServiceClient(StorageAccount account, StorageClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(account);
        _pipeline = new StoragePipeline(account, options, ServiceVersion, isTableService: true, nameof(TableClient));
        _endpoint = account.TableEndpoint;
    }

    /// <summary>A client for one table (no request is made).</summary>
    /// <exception cref="ArgumentException">The name is not a valid table name.</exception>
    public TableClient GetTableClient(string tableName)
    {
        TableClient.ValidateName(tableName);
        return new TableClient(_pipeline, _endpoint, tableName);
    }
}
