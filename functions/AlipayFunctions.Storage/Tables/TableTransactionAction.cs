using Azure;

namespace AlipayFunctions.Storage.Tables;

/// <summary>What one action of an entity-group transaction does.</summary>
public enum TableTransactionActionType
{
    /// <summary>Insert; fails (409) if the entity exists.</summary>
    Add,

    /// <summary>Merge into the existing entity under <c>If-Match</c>.</summary>
    UpdateMerge,

    /// <summary>Replace the existing entity under <c>If-Match</c>.</summary>
    UpdateReplace,

    /// <summary>Insert or merge.</summary>
    UpsertMerge,

    /// <summary>Insert or replace.</summary>
    UpsertReplace,

    /// <summary>Delete under <c>If-Match</c>.</summary>
    Delete,
}

/// <summary>
/// One action of an entity-group transaction. For updates and deletes, <paramref name="IfMatch"/> defaults to the
/// entity's <see cref="TableEntity.ETag"/>; use <see cref="ETag.All"/> for an unconditional one.
/// </summary>
/// <param name="ActionType">What to do.</param>
/// <param name="Entity">The entity (only its keys for a delete).</param>
/// <param name="IfMatch">The ETag the stored entity must have.</param>
public sealed record TableTransactionAction(TableTransactionActionType ActionType, TableEntity Entity, ETag IfMatch = default);

/// <summary>One action's outcome in a committed transaction.</summary>
/// <param name="Status">The action's HTTP status (204, or 201).</param>
/// <param name="ETag">The entity's new ETag (default for a delete).</param>
public sealed record TableTransactionResult(int Status, ETag ETag);
