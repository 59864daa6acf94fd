using AlipayFunctions.Loyalty;
using AlipayFunctions.Observability;
using AlipayFunctions.Passes;
using AlipayFunctions.Settings;
using Azure.Storage.Queues;

namespace AlipayFunctions.Reconciliation;

/// <summary>
/// Heals what a crash or an outage leaves behind (issue 13 §8): pending bills of a member that exists, cards behind
/// their balance with no sync live, creation claims that lapsed without a pass id, Blocked cards whose template is
/// usable again, Failed cards whose cause can go away once their retry time has come (<see cref="Member.PassRetryAt"/>,
/// growing with each failure; see <see cref="CardFailures"/>). It reads only the attention index (<see cref="LoyaltyLedger.GetAttentionAsync"/>) and each noted
/// member, so its cost follows the work, not the number of members. Every action is idempotent (the queue workers
/// re-check everything), so a sweep that overlaps the normal path or another sweep costs an extra message at most.
/// </summary>
internal sealed partial class ReconcileSweep(
    LoyaltyLedger ledger,
    QueueServiceClient queues,
    SweepSettings settings,
    TimeProvider clock,
    ILogger<ReconcileSweep> logger,
    AppMetrics? metrics = null,
    CrashPoints? crashPoints = null)
{
    private readonly CrashPoints _crash = crashPoints ?? CrashPoints.Off;

    /// <summary>Runs once. With <paramref name="dryRun"/> it only lists what it would do.</summary>
    /// <param name="dryRun">List, change nothing.</param>
    /// <param name="templateUsable">Whether the card template is usable now (a Blocked card is retried only then); null: Blocked cards are listed, not retried.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<SweepReport> RunAsync(bool dryRun, Func<CancellationToken, Task<bool>>? templateUsable, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var notes = await ledger.GetAttentionAsync(settings.MaxItems, ct).ConfigureAwait(false);
        var findings = new List<SweepFinding>();
        bool? usable = null;
        var behind = 0;
        // The normal path's own time to finish: a note younger than this is work in progress, not drift. A member with
        // several notes (a claim, a pending bill, a failure) is looked at once, so a run queues its work once.
        foreach (var user in notes.Where(n => now - n.WrittenAt >= settings.Grace).GroupBy(n => n.UserId, StringComparer.Ordinal))
        {
            var note = user.First();
            var member = await ledger.GetMemberAsync(note.UserId, ct).ConfigureAwait(false);
            if (member is null)
            {
                // Bills of a user who has not joined stay pending; enrolment applies them. Keep the note.
                continue;
            }
            var found = new List<string>();
            if (user.Any(n => n.Kind == AttentionKind.Pending))
            {
                var pending = (await ledger.GetBillsAsync(note.UserId, ct).ConfigureAwait(false))
                    .Count(b => b.GetString(nameof(BillState)) == nameof(BillState.Pending));
                if (pending > 0)
                {
                    found.Add("pending-bills");
                    if (!dryRun)
                    {
                        await ledger.ApplyPendingBillsAsync(note.UserId, ct).ConfigureAwait(false);
                        _crash.At(CrashPoint.SweepPendingApplied);
                        member = await ledger.GetMemberAsync(note.UserId, ct).ConfigureAwait(false) ?? member;
                    }
                }
            }
            if (member.PassId is null && member.PassState == PassState.None && member.CreateClaimUntil <= now)
            {
                found.Add("card-not-created");
                if (!dryRun)
                {
                    await MemberWork.QueuePassCreationAsync(queues, note.UserId, null, ct).ConfigureAwait(false);
                    _crash.At(CrashPoint.SweepCreateQueued);
                }
            }
            else if (member.PassState == PassState.Blocked && templateUsable is not null)
            {
                usable ??= await templateUsable(ct).ConfigureAwait(false);
                if (usable == true)
                {
                    await RetryStoppedCardAsync(note.UserId, "blocked-card", CrashPoint.SweepBlockedReset, found, dryRun, ct).ConfigureAwait(false);
                }
            }
            else if (member.RetryScheduled && member.PassRetryAt <= now)
            {
                // A template-side F whose wait is over: try again. Failing again schedules a longer wait.
                await RetryStoppedCardAsync(note.UserId, "failed-card-retry", CrashPoint.SweepFailedReset, found, dryRun, ct).ConfigureAwait(false);
            }
            if (member.NeedsSync && member.SyncQueuedUntil <= now && (member.SyncOwner is null || member.SyncLeaseUntil <= now))
            {
                behind++;
                found.Add("card-behind");
                if (!dryRun)
                {
                    await MemberWork.QueuePassSyncAsync(queues, note.UserId, null, TimeSpan.Zero, ct).ConfigureAwait(false);
                    _crash.At(CrashPoint.SweepSyncQueued);
                }
            }
            foreach (var kind in found)
            {
                findings.Add(new SweepFinding(kind, note.UserId, member.MemberId));
                metrics?.SweepFinding(kind);
                LogFinding(kind, member.MemberId, LogMask.UserId(note.UserId), dryRun);
            }
            // Nothing (left) to do: the note goes. A note with work queued stays until a later sweep finds it healthy;
            // a member that stays Failed or Blocked keeps its note, which is what an operator's list is.
            if (!dryRun && found.Count == 0 && member.PassState is not (PassState.Failed or PassState.Blocked or PassState.ExistsWithoutId))
            {
                foreach (var each in user)
                {
                    await ledger.ClearAttentionAsync(each, ct).ConfigureAwait(false);
                    _crash.At(CrashPoint.SweepNoteCleared);
                }
            }
        }
        metrics?.CardsBehind(behind);
        return new SweepReport(notes.Count, findings);
    }

    // A stopped (Blocked or Failed) card whose cause may be gone: noted as `kind` and, unless a dry run, reset and
    // given a pass-create message. A card with a pass id becomes Active and that message syncs it; one without is
    // created. A card that left its stopped state since we read it (an operator, a concurrent sweep) is left alone.
    private async Task RetryStoppedCardAsync(string userId, string kind, string resetDone, List<string> found, bool dryRun, CancellationToken ct)
    {
        found.Add(kind);
        if (dryRun)
        {
            return;
        }
        try
        {
            await ledger.ResetStoppedPassAsync(userId, ct, automatic: true).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            return;
        }
        _crash.At(resetDone);
        await MemberWork.QueuePassCreationAsync(queues, userId, null, ct).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweep found {Kind} for member {MemberId} (user {UserId}); dry run: {DryRun}")]
    private partial void LogFinding(string kind, string memberId, string userId, bool dryRun);
}

/// <summary>What one sweep did.</summary>
/// <param name="NotesRead">Attention notes read (the sweep's cost, with one member read each past the grace).</param>
/// <param name="Findings">What it found and, unless a dry run, re-queued.</param>
internal sealed record SweepReport(int NotesRead, IReadOnlyList<SweepFinding> Findings);

/// <summary>One thing found: <c>pending-bills</c>, <c>card-not-created</c>, <c>blocked-card</c>, <c>failed-card-retry</c> or <c>card-behind</c>.</summary>
internal sealed record SweepFinding(string Kind, string UserId, string MemberId);
