using System.Globalization;
using System.Text;
using AlipayFunctions.Reconciliation;
using AlipayFunctions.Settings;
using Azure;
using Azure.Data.Tables;

namespace AlipayFunctions.Loyalty;

/// <summary>
/// The points ledger: members and their bills in one table, a partition per user, so a bill and the balance it
/// changes are written in one entity-group transaction. Every write is conditional (insert or <c>If-Match</c>),
/// which is what makes at-least-once delivery apply each bill exactly once.
/// </summary>
/// <param name="table">The loyalty table.</param>
/// <param name="settings">The loyalty settings.</param>
/// <param name="clock">The clock.</param>
/// <param name="crashPoints">Test-only crash points between the ledger's writes (off by default).</param>
public sealed class LoyaltyLedger(TableClient table, LoyaltySettings settings, TimeProvider clock, CrashPoints? crashPoints = null)
{
    private readonly CrashPoints _crash = crashPoints ?? CrashPoints.Off;

    // A member row changed by someone else between our read and our write is re-read; this bounds the loop.
    private const int MaxConcurrencyRetries = 20;
    private const int MaxBillsPerTransaction = 99; // 100 operations, one of them the member row

    /// <summary>Reads a member, or null when the user has not joined.</summary>
    public async Task<Member?> GetMemberAsync(string userId, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        var entity = await table.GetEntityIfExistsAsync<TableEntity>(userId, Member.RowKey, cancellationToken: ct).ConfigureAwait(false);
        return entity.HasValue ? Member.FromEntity(entity.Value!) : null;
    }

    /// <summary>
    /// Makes the user a member once: a repeat returns the same member. Bills that arrived before the membership
    /// are applied to the new balance.
    /// </summary>
    public async Task<Enrolment> EnrolAsync(string userId, MemberProfile profile, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var existing = await GetMemberAsync(userId, ct).ConfigureAwait(false);
        var created = false;
        if (existing is null)
        {
            var entity = new TableEntity(userId, Member.RowKey)
            {
                [nameof(Member.MemberId)] = NewMemberId(),
                [nameof(Member.Points)] = 0L,
                [nameof(Member.BalanceVersion)] = 0L,
                [nameof(Member.SyncedVersion)] = 0L,
                [nameof(Member.PassState)] = nameof(PassState.None),
                ["Channel"] = profile.Channel,
                ["MobileNo"] = profile.MobileNo,
                ["UserEmail"] = profile.UserEmail,
                ["JoinedAt"] = clock.GetUtcNow(),
            };
            try
            {
                await table.AddEntityAsync(entity, ct).ConfigureAwait(false);
                created = true;
                _crash.At(CrashPoint.EnrolInserted);
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                // Another delivery of the same enrolment won the race: theirs is the member.
            }
        }
        // Always, not only when created: a crash after the insert, or a bill that went pending while we inserted,
        // leaves pending bills that this (or the retry of this) enrolment must apply.
        await ApplyPendingBillsAsync(userId, ct).ConfigureAwait(false);
        var member = await GetMemberAsync(userId, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException("The member row vanished after it was written.");
        return new Enrolment(member, created);
    }

    /// <summary>Applies a bill exactly once, or keeps it pending until the user joins.</summary>
    /// <param name="bill">The bill.</param>
    /// <param name="earning">The points it earns.</param>
    /// <param name="ct">Cancellation.</param>
    /// <param name="syncMarkLifetime">
    /// When given, the balance change also marks "a sync is queued" on the member for this long, and a bill applied
    /// while such a mark stands asks for no sync of its own: a burst then queues one pass-sync message, not one per
    /// bill. Safe because every write here and every sync write is conditional on the member row's ETag: a sync
    /// that completes after this bill's read fails this bill's write, which re-reads and finds the mark gone.
    /// </param>
    public async Task<BillApplication> ApplyBillAsync(BillMessage bill, Earning earning, CancellationToken ct, TimeSpan? syncMarkLifetime = null)
    {
        ArgumentNullException.ThrowIfNull(bill);
        var billRow = BillEntity(bill, earning);
        for (var attempt = 0; attempt < MaxConcurrencyRetries; attempt++)
        {
            var member = await GetMemberAsync(bill.UserId, ct).ConfigureAwait(false);
            if (member is null)
            {
                billRow[nameof(BillState)] = nameof(BillState.Pending);
                // Before the row: a crash after it must leave the sweep a way to find it without reading every member.
                await MarkAttentionAsync(AttentionKind.Pending, bill.UserId, ct).ConfigureAwait(false);
                _crash.At(CrashPoint.BillPendingNoted);
                try
                {
                    await table.AddEntityAsync(billRow, ct).ConfigureAwait(false);
                }
                catch (RequestFailedException e) when (e.Status == 409)
                {
                    return await SeenBeforeAsync(bill.UserId, ct).ConfigureAwait(false);
                }
                _crash.At(CrashPoint.BillPendingInserted);
                // The user may have joined between our read and our insert; the enrolment may not have seen this bill.
                return await ApplyPendingBillsAsync(bill.UserId, ct).ConfigureAwait(false) > 0
                    ? new BillApplication(BillOutcome.Applied, SyncRequested: earning.Points > 0)
                    : new BillApplication(BillOutcome.Pending, SyncRequested: false);
            }

            billRow[nameof(BillState)] = nameof(BillState.Applied);
            billRow["AppliedAt"] = clock.GetUtcNow();
            var actions = new List<TableTransactionAction> { new(TableTransactionActionType.Add, billRow) };
            var syncRequested = earning.Points > 0;
            if (earning.Points > 0)
            {
                var change = BalanceChange(member, earning.Points);
                if (syncMarkLifetime is { } lifetime)
                {
                    var now = clock.GetUtcNow();
                    if (member.SyncQueuedUntil > now)
                    {
                        syncRequested = false; // the queued sync will see this balance
                    }
                    else
                    {
                        change[nameof(Member.SyncQueuedUntil)] = (now + lifetime).ToUnixTimeMilliseconds();
                        // One per burst: if the sync this mark promises never completes, the sweep finds the card.
                        await MarkAttentionAsync(AttentionKind.Sync, bill.UserId, ct).ConfigureAwait(false);
                        _crash.At(CrashPoint.BillSyncNoted);
                    }
                }
                actions.Add(new(TableTransactionActionType.UpdateMerge, change, member.ETag));
            }
            try
            {
                await table.SubmitTransactionAsync(actions, ct).ConfigureAwait(false);
                return new BillApplication(BillOutcome.Applied, syncRequested);
            }
            catch (TableTransactionFailedException e) when (e.FailedTransactionActionIndex == 0 && e.Status == 409)
            {
                return await SeenBeforeAsync(bill.UserId, ct).ConfigureAwait(false);
            }
            catch (TableTransactionFailedException e) when (e.FailedTransactionActionIndex == 1 && e.Status == 412)
            {
                // The balance moved under us (another bill, a sync record): read again and retry.
            }
        }
        throw new InvalidOperationException($"The member row kept changing; bill {bill.BillNo} will be retried.");
    }

    // A bill row already there: applied (a true duplicate), or pending and stranded (an earlier delivery inserted it
    // after the enrolment's pending scan and died before applying it). Either way, pending bills of a member are
    // applied now; a user who has not joined keeps them pending.
    private async Task<BillApplication> SeenBeforeAsync(string userId, CancellationToken ct) =>
        await ApplyPendingBillsAsync(userId, ct).ConfigureAwait(false) > 0
            ? new BillApplication(BillOutcome.Applied, SyncRequested: true)
            : new BillApplication(BillOutcome.Duplicate, SyncRequested: false);

    /// <summary>Applies every pending bill of a member, each exactly once. Returns how many this call applied.</summary>
    public async Task<int> ApplyPendingBillsAsync(string userId, CancellationToken ct)
    {
        var applied = 0;
        for (var attempt = 0; attempt < MaxConcurrencyRetries; attempt++)
        {
            var member = await GetMemberAsync(userId, ct).ConfigureAwait(false);
            if (member is null)
            {
                return applied;
            }
            var pending = new List<TableEntity>();
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {userId} and BillState eq {nameof(BillState.Pending)}");
            await foreach (var bill in table.QueryAsync<TableEntity>(filter, MaxBillsPerTransaction, cancellationToken: ct).ConfigureAwait(false))
            {
                pending.Add(bill);
                if (pending.Count == MaxBillsPerTransaction)
                {
                    break;
                }
            }
            if (pending.Count == 0)
            {
                return applied;
            }

            var points = pending.Sum(b => b.GetInt64("Points") ?? 0);
            var now = clock.GetUtcNow();
            var actions = pending.Select(b =>
            {
                var update = new TableEntity(b.PartitionKey, b.RowKey)
                {
                    [nameof(BillState)] = nameof(BillState.Applied),
                    ["AppliedAt"] = now,
                };
                return new TableTransactionAction(TableTransactionActionType.UpdateMerge, update, b.ETag);
            }).ToList();
            if (points > 0)
            {
                actions.Add(new(TableTransactionActionType.UpdateMerge, BalanceChange(member, points), member.ETag));
            }
            try
            {
                await table.SubmitTransactionAsync(actions, ct).ConfigureAwait(false);
                applied += pending.Count;
                attempt = -1; // progress made: look for more
            }
            catch (RequestFailedException e) when (e.Status is 412 or 404)
            {
                // Someone else applied some of them, or the balance moved: read again.
            }
        }
        throw new InvalidOperationException("Pending bills kept changing under concurrent updates; they will be applied on the next try.");
    }

    /// <summary>
    /// Claims the member's createPass call for <paramref name="owner"/>, conditionally on the row it judged by, so two
    /// pass-create deliveries for one member (a duplicate membercard/create, two authorizations, a reset while a
    /// message waits) never both call createPass. Returns the member to create the card for, or null when there is
    /// nothing to create (no member, a pass id is known, creation stopped for an operator) or another live delivery
    /// holds the claim (if that one dies, its redelivery or the sweep takes over when the claim lapses).
    /// </summary>
    /// <param name="userId">The member's user.</param>
    /// <param name="owner">The claiming delivery (its queue message id, the same on every redelivery).</param>
    /// <param name="lease">How long the claim holds if its owner dies without recording an outcome.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<Member?> ClaimCreationAsync(string userId, string owner, TimeSpan lease, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        for (var attempt = 0; attempt < MaxConcurrencyRetries; attempt++)
        {
            var member = await GetMemberAsync(userId, ct).ConfigureAwait(false);
            if (member is null || member.PassId is not null || member.PassState != PassState.None)
            {
                return null;
            }
            var now = clock.GetUtcNow();
            if (member.CreateOwner is { } holder && holder != owner && member.CreateClaimUntil > now)
            {
                return null;
            }
            if (member.CreateOwner is null)
            {
                await MarkAttentionAsync(AttentionKind.Create, userId, ct).ConfigureAwait(false);
            }
            try
            {
                var response = await table.UpdateEntityAsync(new TableEntity(userId, Member.RowKey)
                {
                    [nameof(Member.CreateOwner)] = owner,
                    [nameof(Member.CreateClaimUntil)] = (now + lease).ToUnixTimeMilliseconds(),
                }, member.ETag, TableUpdateMode.Merge, ct).ConfigureAwait(false);
                return member with { ETag = response.Headers.ETag ?? default, CreateOwner = owner, CreateClaimUntil = now + lease };
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
            }
        }
        throw new InvalidOperationException("The member row kept changing; card creation will be retried.");
    }

    /// <summary>
    /// Records the pass id the moment createPass returns it, and the balance version the new card shows; ends any
    /// creation claim. The pass id is the truth about the card, so this is not conditional on holding the claim.
    /// </summary>
    public Task RecordPassCreatedAsync(string userId, string passId, long shownVersion, CancellationToken ct) =>
        UpdateMemberAsync(userId, member => new TableEntity(userId, Member.RowKey)
        {
            [nameof(Member.PassId)] = passId,
            [nameof(Member.PassState)] = nameof(PassState.Active),
            [nameof(Member.PassError)] = "",
            [nameof(Member.SyncedVersion)] = Math.Max(member.SyncedVersion, shownVersion),
            [nameof(Member.CreateOwner)] = "",
            [nameof(Member.CreateClaimUntil)] = 0L,
            [nameof(Member.PassErrorCode)] = "",
            [nameof(Member.PassFailures)] = 0,
            [nameof(Member.PassRetryAt)] = 0L,
            ["PassCreatedAt"] = clock.GetUtcNow(),
        }, ct);

    /// <summary>Records that card work stopped (an updatePass F result) for an operator, or for the sweep to retry.</summary>
    /// <param name="userId">The member's user.</param>
    /// <param name="state">The state to record.</param>
    /// <param name="reason">The reason, for an operator.</param>
    /// <param name="ct">Cancellation.</param>
    /// <param name="code">The result code.</param>
    /// <param name="retryAt">For a cause that can go away: when to retry, given the failures in a row (this one included).</param>
    public async Task RecordPassProblemAsync(string userId, PassState state, string reason, CancellationToken ct, string? code = null, Func<int, DateTimeOffset>? retryAt = null)
    {
        await MarkAttentionAsync(AttentionKind.Stopped, userId, ct).ConfigureAwait(false);
        await UpdateMemberAsync(userId, member => Failure(member, new TableEntity(userId, Member.RowKey)
        {
            [nameof(Member.PassState)] = state.ToString(),
            [nameof(Member.PassError)] = reason,
        }, code, retryAt), ct).ConfigureAwait(false);
    }

    // The failure's code and, for a cause that can go away, the next retry: the wait grows with the failures in a row.
    private static TableEntity Failure(Member member, TableEntity update, string? code, Func<int, DateTimeOffset>? retryAt)
    {
        var failures = retryAt is null ? member.PassFailures : member.PassFailures + 1;
        update[nameof(Member.PassErrorCode)] = code ?? "";
        update[nameof(Member.PassFailures)] = failures;
        update[nameof(Member.PassRetryAt)] = retryAt is null ? 0L : retryAt(failures).ToUnixTimeMilliseconds();
        return update;
    }

    /// <summary>
    /// Records that card creation stopped (an F result, a template that is not usable, a request we cannot build) for
    /// an operator, and ends the creation claim. Never overwrites a row that holds a pass id: a concurrent creation
    /// that did get the pass id wins, and the card stays Active. Returns false when that happened.
    /// </summary>
    /// <param name="userId">The member's user.</param>
    /// <param name="state">The state to record.</param>
    /// <param name="reason">The reason, for an operator.</param>
    /// <param name="ct">Cancellation.</param>
    /// <param name="code">The result code.</param>
    /// <param name="retryAt">For a cause that can go away: when to retry, given the failures in a row (this one included).</param>
    public async Task<bool> RecordCreationProblemAsync(string userId, PassState state, string reason, CancellationToken ct, string? code = null, Func<int, DateTimeOffset>? retryAt = null)
    {
        var recorded = false;
        await MarkAttentionAsync(AttentionKind.Stopped, userId, ct).ConfigureAwait(false);
        await UpdateMemberAsync(userId, member =>
        {
            recorded = member.PassId is null;
            return !recorded ? null : Failure(member, new TableEntity(userId, Member.RowKey)
            {
                [nameof(Member.PassState)] = state.ToString(),
                [nameof(Member.PassError)] = reason,
                [nameof(Member.CreateOwner)] = "",
                [nameof(Member.CreateClaimUntil)] = 0L,
            }, code, retryAt);
        }, ct).ConfigureAwait(false);
        return recorded;
    }

    /// <summary>
    /// Claims the right to show the member's current balance on the card, so that concurrent pass-sync deliveries
    /// (a burst of bills, several instances) make one updatePass call, not one each. Returns the member to send, or
    /// null when there is nothing to send or another live delivery holds the claim: that owner keeps sending until
    /// the card is current (see <see cref="CompleteSyncAsync"/>), so the caller can stop.
    /// </summary>
    /// <param name="userId">The member's user.</param>
    /// <param name="owner">The claiming delivery (its queue message id, the same on every redelivery).</param>
    /// <param name="lease">How long the claim holds if its owner dies without releasing it.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<Member?> ClaimSyncAsync(string userId, string owner, TimeSpan lease, CancellationToken ct)
    {
        for (var attempt = 0; attempt < MaxConcurrencyRetries; attempt++)
        {
            var member = await GetMemberAsync(userId, ct).ConfigureAwait(false);
            if (member is null)
            {
                return null;
            }
            if (!member.NeedsSync)
            {
                if (member.SyncOwner != owner && member.SyncQueuedUntil == DateTimeOffset.UnixEpoch)
                {
                    return null;
                }
                // Nothing to send: drop our claim and the queued-sync mark, conditionally on the row we judged by, so a
                // bill applied meanwhile (which relied on the mark) makes this fail and is seen on the next read.
                var clear = new TableEntity(userId, Member.RowKey) { [nameof(Member.SyncQueuedUntil)] = 0L };
                if (member.SyncOwner == owner)
                {
                    clear[nameof(Member.SyncOwner)] = "";
                    clear[nameof(Member.SyncLeaseUntil)] = 0L;
                }
                try
                {
                    await table.UpdateEntityAsync(clear, member.ETag, TableUpdateMode.Merge, ct).ConfigureAwait(false);
                    return null;
                }
                catch (RequestFailedException e) when (e.Status == 412)
                {
                    continue;
                }
            }
            var now = clock.GetUtcNow();
            if (member.SyncOwner is { } holder && holder != owner && member.SyncLeaseUntil > now)
            {
                return null;
            }
            try
            {
                var response = await table.UpdateEntityAsync(new TableEntity(userId, Member.RowKey)
                {
                    [nameof(Member.SyncOwner)] = owner,
                    [nameof(Member.SyncLeaseUntil)] = (now + lease).ToUnixTimeMilliseconds(),
                }, member.ETag, TableUpdateMode.Merge, ct).ConfigureAwait(false);
                return member with { ETag = response.Headers.ETag ?? default, SyncOwner = owner, SyncLeaseUntil = now + lease };
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
            }
        }
        throw new InvalidOperationException("The member row kept changing; the card sync will be retried.");
    }

    /// <summary>
    /// Records that the card shows the balance of <paramref name="version"/> (never going back) and, when that is the
    /// current balance, releases <paramref name="owner"/>'s claim in the same conditional write: a bill applied
    /// meanwhile makes the write fail and is seen. Returns false when the balance moved on: the owner keeps its claim
    /// and must send again.
    /// </summary>
    public async Task<bool> CompleteSyncAsync(string userId, string owner, long version, CancellationToken ct)
    {
        for (var attempt = 0; attempt < MaxConcurrencyRetries; attempt++)
        {
            var member = await GetMemberAsync(userId, ct).ConfigureAwait(false)
                ?? throw new InvalidOperationException("No member row for this user.");
            var synced = Math.Max(member.SyncedVersion, version);
            var current = synced >= member.BalanceVersion || member.PassState != PassState.Active;
            var update = new TableEntity(userId, Member.RowKey)
            {
                [nameof(Member.SyncedVersion)] = synced,
                ["SyncedAt"] = clock.GetUtcNow(),
            };
            if (current)
            {
                update[nameof(Member.SyncQueuedUntil)] = 0L;
            }
            if (member.PassFailures > 0)
            {
                update[nameof(Member.PassFailures)] = 0; // the card works again: a later failure starts from the first wait
            }
            if (current && member.SyncOwner == owner)
            {
                update[nameof(Member.SyncOwner)] = "";
                update[nameof(Member.SyncLeaseUntil)] = 0L;
            }
            try
            {
                await table.UpdateEntityAsync(update, member.ETag, TableUpdateMode.Merge, ct).ConfigureAwait(false);
                return current;
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
            }
        }
        throw new InvalidOperationException("The member row kept changing; the card sync will be retried.");
    }

    /// <summary>
    /// Gives up <paramref name="owner"/>'s creation claim when its last delivery failed, so that an operator's replay
    /// of the poisoned message (another queue id) can claim at once instead of waiting out the lease. A claim the
    /// worker could not release (it crashed) still lapses, and the sweep re-queues the card.
    /// </summary>
    public Task ReleaseCreationAsync(string userId, string owner, CancellationToken ct) =>
        UpdateMemberAsync(userId, member => member.CreateOwner != owner || member.PassId is not null ? null : new TableEntity(userId, Member.RowKey)
        {
            [nameof(Member.CreateOwner)] = "",
            [nameof(Member.CreateClaimUntil)] = 0L,
        }, ct);

    /// <summary>
    /// Gives up <paramref name="owner"/>'s sync claim (it stops trying), so another delivery can take over, and drops
    /// the queued-sync mark, so the next bill queues a sync of its own (an extra message is harmless; a stale mark is not).
    /// </summary>
    public Task ReleaseSyncAsync(string userId, string owner, CancellationToken ct) =>
        UpdateMemberAsync(userId, member => member.SyncOwner != owner ? null : new TableEntity(userId, Member.RowKey)
        {
            [nameof(Member.SyncOwner)] = "",
            [nameof(Member.SyncLeaseUntil)] = 0L,
            [nameof(Member.SyncQueuedUntil)] = 0L,
        }, ct);

    /// <summary>
    /// After an operator fixed the cause, puts a stopped card (<see cref="PassState.Failed"/>,
    /// <see cref="PassState.Blocked"/>, <see cref="PassState.ExistsWithoutId"/>) back to work: with a known pass id
    /// (an updatePass F) the card becomes <see cref="PassState.Active"/> again, so the next pass-sync (or the
    /// pass-create message the caller queues, which turns into one) shows the balance; without one it becomes
    /// <see cref="PassState.None"/>, so that a new pass-create message creates it. Returns the member as it was before.
    /// </summary>
    /// <param name="userId">The member's user.</param>
    /// <param name="ct">Cancellation.</param>
    /// <param name="automatic">
    /// The sweep's retry of a cause that can go away: the count of failures in a row is kept, so the next failure
    /// waits longer. An operator's reset starts the count again.
    /// </param>
    /// <exception cref="InvalidOperationException">No member, or the card is not in a stopped state.</exception>
    public async Task<Member> ResetStoppedPassAsync(string userId, CancellationToken ct, bool automatic = false)
    {
        for (var attempt = 0; attempt < MaxConcurrencyRetries; attempt++)
        {
            var member = await GetMemberAsync(userId, ct).ConfigureAwait(false)
                ?? throw new InvalidOperationException("No member row for this user.");
            if (member.PassState is not (PassState.Failed or PassState.Blocked or PassState.ExistsWithoutId))
            {
                throw new InvalidOperationException($"The card is {member.PassState}; only Failed, Blocked or ExistsWithoutId cards are reset.");
            }
            var update = new TableEntity(userId, Member.RowKey)
            {
                [nameof(Member.PassState)] = member.PassId is null ? nameof(PassState.None) : nameof(PassState.Active),
                [nameof(Member.PassError)] = "",
                [nameof(Member.CreateOwner)] = "",
                [nameof(Member.CreateClaimUntil)] = 0L,
                [nameof(Member.PassErrorCode)] = "",
                [nameof(Member.PassRetryAt)] = 0L,
                ["PassResetAt"] = clock.GetUtcNow(),
            };
            if (!automatic)
            {
                update[nameof(Member.PassFailures)] = 0;
            }
            try
            {
                await table.UpdateEntityAsync(update, member.ETag, TableUpdateMode.Merge, ct).ConfigureAwait(false);
                return member;
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
            }
        }
        throw new InvalidOperationException("The member row kept changing; try again.");
    }

    /// <summary>The partition of the attention index: no user id starts with '!'.</summary>
    internal const string AttentionPartition = "!attention";

    /// <summary>
    /// Notes in the attention index that <paramref name="userId"/> may need the sweep's help with <paramref name="kind"/>.
    /// Written just before the write that creates the need (an entity-group transaction cannot span partitions), so
    /// a crash between the two leaves at most a note the sweep finds nothing behind. The sweep reads only this
    /// partition, so its cost follows the recent and stuck work, not the number of members.
    /// </summary>
    public Task MarkAttentionAsync(AttentionKind kind, string userId, CancellationToken ct) =>
        table.UpsertEntityAsync(new TableEntity(AttentionPartition, AttentionRowKey(kind, userId)) { ["UserId"] = userId, ["Kind"] = kind.ToString() },
            TableUpdateMode.Replace, ct);

    /// <summary>The attention notes, oldest first within a kind, at most <paramref name="max"/>.</summary>
    public async Task<IReadOnlyList<AttentionNote>> GetAttentionAsync(int max, CancellationToken ct)
    {
        var notes = new List<AttentionNote>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {AttentionPartition}");
        await foreach (var row in table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(max, 1000), cancellationToken: ct).ConfigureAwait(false))
        {
            if (Enum.TryParse<AttentionKind>(row.GetString("Kind"), out var kind) && row.GetString("UserId") is { Length: > 0 } user)
            {
                notes.Add(new AttentionNote(kind, user, row.Timestamp ?? DateTimeOffset.MinValue, row.ETag));
            }
            if (notes.Count >= max)
            {
                break;
            }
        }
        return notes;
    }

    /// <summary>Removes a note the sweep found nothing behind, unless it was written again meanwhile (If-Match).</summary>
    public async Task ClearAttentionAsync(AttentionNote note, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(note);
        try
        {
            await table.DeleteEntityAsync(AttentionPartition, AttentionRowKey(note.Kind, note.UserId), note.ETag, ct).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            // Gone, or renewed by new work: the next sweep looks again.
        }
    }

    private static string AttentionRowKey(AttentionKind kind, string userId) => $"{kind}|{userId}";

    /// <summary>Where a bill stands: null when it has not been recorded (one point read).</summary>
    public async Task<BillState?> GetBillStateAsync(string userId, string pointsProvider, string billNo, CancellationToken ct)
    {
        var row = await table.GetEntityIfExistsAsync<TableEntity>(userId, BillRowKey(pointsProvider, billNo), [nameof(BillState)], ct).ConfigureAwait(false);
        return row.HasValue && Enum.TryParse<BillState>(row.Value!.GetString(nameof(BillState)), out var state) ? state : null;
    }

    /// <summary>The bills recorded for a user (applied and pending), newest row keys last.</summary>
    public async Task<IReadOnlyList<TableEntity>> GetBillsAsync(string userId, CancellationToken ct)
    {
        var bills = new List<TableEntity>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {userId} and RowKey ge {"bill|"} and RowKey lt {"bill}"}");
        await foreach (var bill in table.QueryAsync<TableEntity>(filter, cancellationToken: ct).ConfigureAwait(false))
        {
            bills.Add(bill);
        }
        return bills;
    }

    private async Task UpdateMemberAsync(string userId, Func<Member, TableEntity?> change, CancellationToken ct)
    {
        for (var attempt = 0; attempt < MaxConcurrencyRetries; attempt++)
        {
            var member = await GetMemberAsync(userId, ct).ConfigureAwait(false)
                ?? throw new InvalidOperationException("No member row for this user.");
            if (change(member) is not { } update)
            {
                return;
            }
            try
            {
                await table.UpdateEntityAsync(update, member.ETag, TableUpdateMode.Merge, ct).ConfigureAwait(false);
                return;
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
            }
        }
        throw new InvalidOperationException("The member row kept changing; the update will be retried.");
    }

    private static TableEntity BalanceChange(Member member, long points) => new(member.UserId, Member.RowKey)
    {
        [nameof(Member.Points)] = checked(member.Points + points),
        [nameof(Member.BalanceVersion)] = member.BalanceVersion + 1,
    };

    private TableEntity BillEntity(BillMessage bill, Earning earning) => new(bill.UserId, BillRowKey(bill.PointsProvider, bill.BillNo))
    {
        ["BillNo"] = bill.BillNo,
        ["PointsProvider"] = bill.PointsProvider,
        ["Currency"] = bill.Currency,
        ["Value"] = bill.Value,
        ["Points"] = earning.Points,
        ["ZeroReason"] = earning.ZeroReason,
        ["PayTime"] = bill.PayTime,
        ["Source"] = bill.Source,
        ["ReceivedAt"] = clock.GetUtcNow(),
    };

    private string NewMemberId() =>
        settings.MemberIdPrefix + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));

    /// <summary>
    /// The bill's row key: <c>bill|{provider}|{billNo}</c>, so a bill number is unique per points provider. Characters
    /// a row key may not hold (<c>/ \ # ?</c>, controls) and <c>%</c> are percent-encoded, so distinct numbers stay distinct.
    /// </summary>
    internal static string BillRowKey(string provider, string billNo)
    {
        var key = new StringBuilder("bill|").Append(provider.ToUpperInvariant()).Append('|');
        foreach (var c in billNo)
        {
            if (c is '/' or '\\' or '#' or '?' or '%' || char.IsControl(c))
            {
                key.Append('%').Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            }
            else
            {
                key.Append(c);
            }
        }
        return key.ToString();
    }
}

/// <summary>What AlipayHK (or the mini-app) told us about a new member. Personal data: stored, never logged.</summary>
public sealed record MemberProfile(string? Channel, string? MobileNo, string? UserEmail)
{
    /// <summary>Keeps personal data out of logs and exception messages.</summary>
    public override string ToString() => $"MemberProfile {{ Channel = {Channel} }}";
}

/// <summary>The result of an enrolment.</summary>
public sealed record Enrolment(Member Member, bool Created);

/// <summary>What the sweep may have to heal for a member.</summary>
public enum AttentionKind
{
    /// <summary>A bill went pending: applied when the member exists.</summary>
    Pending,
    /// <summary>Card creation was claimed: re-queued when the claim lapsed without a pass id.</summary>
    Create,
    /// <summary>A sync was promised (sync mark): re-queued when the card is behind and no sync is live.</summary>
    Sync,
    /// <summary>Card work stopped (Failed, Blocked): a Blocked card is retried when the template is usable again.</summary>
    Stopped,
}

/// <summary>An entry of the attention index.</summary>
public sealed record AttentionNote(AttentionKind Kind, string UserId, DateTimeOffset WrittenAt, ETag ETag);
