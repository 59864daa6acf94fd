using Azure;
using Azure.Data.Tables;

namespace AlipayFunctions.Loyalty;

/// <summary>A member, as stored in the member row of the user's partition.</summary>
/// <param name="UserId">The AlipayHK user id (the partition key).</param>
/// <param name="MemberId">The merchant's member id: also createPass's <c>bizSerialId</c>.</param>
/// <param name="Points">The points balance.</param>
/// <param name="BalanceVersion">Increases with every change of <paramref name="Points"/>.</param>
/// <param name="SyncedVersion">The balance version the card last showed (updatePass/createPass succeeded with it).</param>
/// <param name="PassId">The AlipayHK pass id, once createPass succeeded.</param>
/// <param name="PassState">Where card creation stands.</param>
/// <param name="PassError">The last F result (code: message) or reason card work stopped, for an operator.</param>
/// <param name="ETag">The row's ETag, for conditional updates.</param>
public sealed record Member(
    string UserId,
    string MemberId,
    long Points,
    long BalanceVersion,
    long SyncedVersion,
    string? PassId,
    PassState PassState,
    string? PassError,
    ETag ETag)
{
    internal const string RowKey = "member";

    /// <summary>The pass-sync delivery (queue message id) that holds the right to call updatePass, if any.</summary>
    public string? SyncOwner { get; init; }

    /// <summary>Until when <see cref="SyncOwner"/>'s claim holds (it lapses if its owner dies).</summary>
    public DateTimeOffset SyncLeaseUntil { get; init; }

    /// <summary>
    /// Until when a pass-sync message queued by a bill is known to be pending: bills applied before then send no
    /// message of their own (that sync re-reads the balance when it completes). Cleared when a sync completes or stops.
    /// </summary>
    public DateTimeOffset SyncQueuedUntil { get; init; }

    /// <summary>The pass-create delivery (queue message id) that claimed the createPass call, if any.</summary>
    public string? CreateOwner { get; init; }

    /// <summary>Until when <see cref="CreateOwner"/>'s claim holds (it lapses if its owner dies).</summary>
    public DateTimeOffset CreateClaimUntil { get; init; }

    /// <summary>The result code of the F result that stopped card work (<see cref="PassError"/> has the text), if any.</summary>
    public string? PassErrorCode { get; init; }

    /// <summary>How many times in a row card work failed for a cause that can go away (it sets the retry wait).</summary>
    public int PassFailures { get; init; }

    /// <summary>
    /// When the sweep retries a <see cref="PassState.Failed"/> card whose cause can go away; the epoch when it is not
    /// retried automatically (a permanent cause: an operator resets it).
    /// </summary>
    public DateTimeOffset PassRetryAt { get; init; }

    /// <summary>Whether the card is Failed with an automatic retry scheduled.</summary>
    public bool RetryScheduled => PassState == PassState.Failed && PassRetryAt > DateTimeOffset.UnixEpoch;

    /// <summary>Whether the card shows an older balance than the ledger.</summary>
    public bool NeedsSync => PassId is not null && PassState == PassState.Active && SyncedVersion < BalanceVersion;

    internal static Member FromEntity(TableEntity entity) => new(
        entity.PartitionKey,
        entity.GetString(nameof(MemberId)) ?? "",
        entity.GetInt64(nameof(Points)) ?? 0,
        entity.GetInt64(nameof(BalanceVersion)) ?? 0,
        entity.GetInt64(nameof(SyncedVersion)) ?? 0,
        entity.GetString(nameof(PassId)),
        Enum.TryParse<PassState>(entity.GetString(nameof(PassState)), out var state) ? state : PassState.None,
        entity.GetString(nameof(PassError)),
        entity.ETag)
    {
        SyncOwner = entity.GetString(nameof(SyncOwner)) is { Length: > 0 } owner ? owner : null,
        SyncLeaseUntil = DateTimeOffset.FromUnixTimeMilliseconds(entity.GetInt64(nameof(SyncLeaseUntil)) ?? 0),
        SyncQueuedUntil = DateTimeOffset.FromUnixTimeMilliseconds(entity.GetInt64(nameof(SyncQueuedUntil)) ?? 0),
        CreateOwner = entity.GetString(nameof(CreateOwner)) is { Length: > 0 } creator ? creator : null,
        CreateClaimUntil = DateTimeOffset.FromUnixTimeMilliseconds(entity.GetInt64(nameof(CreateClaimUntil)) ?? 0),
        PassErrorCode = entity.GetString(nameof(PassErrorCode)) is { Length: > 0 } code ? code : null,
        PassFailures = entity.GetInt32(nameof(PassFailures)) ?? 0,
        PassRetryAt = DateTimeOffset.FromUnixTimeMilliseconds(entity.GetInt64(nameof(PassRetryAt)) ?? 0),
    };
}

/// <summary>Where the member's card stands.</summary>
public enum PassState
{
    /// <summary>Not created yet (creation queued).</summary>
    None,
    /// <summary>In the user's wallet; <see cref="Member.PassId"/> is known.</summary>
    Active,
    /// <summary>
    /// createPass (or updatePass) answered F: recorded. A cause that can go away (the template) is retried by the sweep
    /// at a growing interval (<see cref="Member.PassRetryAt"/>); any other waits for an operator.
    /// </summary>
    Failed,
    /// <summary>The card template is not usable (not <c>valid</c>); creation waits for an operator.</summary>
    Blocked,
    /// <summary>PASS_HAS_EXIST without a known pass id: an earlier attempt succeeded but its answer was lost.</summary>
    ExistsWithoutId,
}

/// <summary>A bill as recorded in the user's partition.</summary>
public enum BillState
{
    /// <summary>The user is not a member yet: applied when the membership is created.</summary>
    Pending,
    /// <summary>Counted in the member's balance.</summary>
    Applied,
}

/// <summary>What became of a bill, and whether the caller must queue a pass-sync for it.</summary>
/// <param name="Outcome">Applied, duplicate or pending.</param>
/// <param name="SyncRequested">True when the balance changed and no pending sync is known to cover it.</param>
public sealed record BillApplication(BillOutcome Outcome, bool SyncRequested);

/// <summary>What became of a bill.</summary>
public enum BillOutcome
{
    /// <summary>The points were added to the balance, now.</summary>
    Applied,
    /// <summary>Seen before: nothing changed.</summary>
    Duplicate,
    /// <summary>The user is not a member yet: kept, to be applied when they join.</summary>
    Pending,
}
