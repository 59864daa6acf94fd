using Azure;

namespace AlipayFunctions.Storage.Tables;

/// <summary>One storage table (Table service REST API, JSON). Implementations are thread-safe.</summary>
public interface ITableClient
{
    /// <summary>The table name.</summary>
    string Name { get; }

    /// <summary>Creates the table unless it exists.</summary>
    Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default);

    /// <summary>Reads one entity; <c>null</c> when it does not exist.</summary>
    Task<TableEntity?> GetEntityAsync(string partitionKey, string rowKey, CancellationToken cancellationToken = default);

    /// <summary>Inserts an entity; an existing one fails with <see cref="StorageRequestException.IsConflict"/> (an atomic claim).</summary>
    Task<ETag> AddEntityAsync(TableEntity entity, CancellationToken cancellationToken = default);

    /// <summary>
    /// Updates an existing entity if its ETag still matches <paramref name="ifMatch"/> (default: the entity's own
    /// ETag; <see cref="ETag.All"/> for unconditional); a stale ETag fails with <see cref="StorageRequestException.IsPreconditionFailed"/>.
    /// </summary>
    Task<ETag> UpdateEntityAsync(TableEntity entity, ETag ifMatch, TableUpdateMode mode, CancellationToken cancellationToken = default);

    /// <summary>Inserts the entity, or merges/replaces the existing one.</summary>
    Task<ETag> UpsertEntityAsync(TableEntity entity, TableUpdateMode mode, CancellationToken cancellationToken = default);

    /// <summary>Deletes an entity if its ETag matches (<see cref="ETag.All"/> for unconditional).</summary>
    Task DeleteEntityAsync(string partitionKey, string rowKey, ETag ifMatch, CancellationToken cancellationToken = default);

    /// <summary>Entities matching an OData <paramref name="filter"/> (see <see cref="TableFilter"/>), following continuation tokens across pages (empty pages included).</summary>
    IAsyncEnumerable<TableEntity> QueryAsync(string? filter = null, int? pageSize = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies up to 100 actions on one partition all or nothing (an entity-group transaction). A failing action
    /// fails the whole batch with a <see cref="StorageRequestException"/> naming <see cref="StorageRequestException.FailedOperationIndex"/>.
    /// </summary>
    /// <exception cref="ArgumentException">No actions, over 100, several partitions, or one entity twice (checked before sending).</exception>
    Task<IReadOnlyList<TableTransactionResult>> SubmitTransactionAsync(IEnumerable<TableTransactionAction> actions, CancellationToken cancellationToken = default);
}
