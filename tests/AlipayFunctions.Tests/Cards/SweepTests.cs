using System.Diagnostics;
using AlipayFunctions.Loyalty;
using AlipayFunctions.Reconciliation;
using AlipayFunctions.Storage;
using AlipayFunctions.Testing;
using AlipayFunctions.Tests.Infrastructure;
using Azure.Data.Tables;

namespace AlipayFunctions.Tests.Cards;

/// <summary>
/// Issue 13 §8: each flow stopped between two of its writes (as a killed worker leaves it), then the sweep; every
/// balance and every card converges. Grace zero, so the sweep acts at once.
/// </summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class SweepTests(AzuriteFixture azurite)
{
    private static void NoGrace(Dictionary<string, string?> s) => s["Sweep:Grace"] = "00:00:00.001";

    private static Task<SweepReport> SweepAsync(AppServicesHarness app, bool dryRun = false) =>
        app.Get<ReconcileSweep>().RunAsync(dryRun, _ => Task.FromResult(true), default);

    [Fact]
    public async Task A_pending_bill_stranded_by_a_dead_bill_worker_is_applied_and_the_card_created_and_synced()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite, NoGrace);
        var user = TestApp.NewUserId();
        await app.EnrolAsync(user);
        // The bill worker noted the user and inserted the pending row after the enrolment's scan, then died for good.
        await app.Ledger.MarkAttentionAsync(AttentionKind.Pending, user, default);
        await app.Table.AddEntityAsync(new TableEntity(user, LoyaltyLedger.BillRowKey("ALIPAYHK", "B1"))
        {
            ["Points"] = 10L,
            [nameof(BillState)] = nameof(BillState.Pending),
        });
        await Task.Delay(10);

        var report = await SweepAsync(app);

        Assert.Contains(report.Findings, f => f.Kind == "pending-bills" && f.UserId == user);
        Assert.Equal(10, (await app.Ledger.GetMemberAsync(user, default))!.Points);
        await RunCardWorkAsync(app, user);
        await AssertConvergedAsync(app, user, 10);
    }

    [Fact]
    public async Task A_creation_claim_whose_worker_died_is_re_queued_when_it_lapses()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite, NoGrace);
        var user = TestApp.NewUserId();
        await app.EnrolAsync(user);
        await app.Ledger.ApplyBillAsync(AppServicesHarness.Bill(user, "B1"), new Earning(7, null), default);
        await app.TakeForAsync(AppStorage.PassCreateQueue, user); // the message the enrolment queued: poisoned
        Assert.NotNull(await app.Ledger.ClaimCreationAsync(user, "dead-worker", TimeSpan.FromMilliseconds(1), default));
        await Task.Delay(10);

        var report = await SweepAsync(app);

        Assert.Contains(report.Findings, f => f.Kind == "card-not-created" && f.UserId == user);
        await RunCardWorkAsync(app, user);
        await AssertConvergedAsync(app, user, 7);
    }

    [Fact]
    public async Task A_card_left_behind_by_a_poisoned_sync_is_synced()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite, NoGrace);
        var user = TestApp.NewUserId();
        await app.EnrolAsync(user);
        await app.PassCreation.CreateAsync(AppServicesHarness.MemberDelivery(user, "create-1"), default);
        var applied = await app.Ledger.ApplyBillAsync(AppServicesHarness.Bill(user, "B1"), new Earning(5, null), default, TimeSpan.FromMinutes(5));
        Assert.True(applied.SyncRequested);
        // The sync message ran out of deliveries (updatePass kept failing): its last delivery released the mark.
        await app.Ledger.ReleaseSyncAsync(user, "nobody", default);
        var mark = (await app.Ledger.GetMemberAsync(user, default))!;
        await app.Table.UpdateEntityAsync(new TableEntity(user, "member") { ["SyncQueuedUntil"] = 0L }, mark.ETag, TableUpdateMode.Merge);
        await Task.Delay(10);

        var dry = await SweepAsync(app, dryRun: true);
        Assert.Contains(dry.Findings, f => f.Kind == "card-behind" && f.UserId == user);
        Assert.Equal(0, await app.QueuedForAsync(AppStorage.PassSyncQueue, user));

        var report = await SweepAsync(app);
        Assert.Contains(report.Findings, f => f.Kind == "card-behind" && f.UserId == user);
        await RunCardWorkAsync(app, user);
        await AssertConvergedAsync(app, user, 5);
    }

    [Fact]
    public async Task A_card_blocked_by_a_paused_template_is_created_once_the_template_is_valid_again()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite, NoGrace, sim =>
        {
            var template = AlipayHK.Simulator.Passes.TemplateOptions.DefaultMemberCard();
            template.Status = "paused";
            sim.Templates.Add(template);
        });
        var user = TestApp.NewUserId();
        await app.EnrolAsync(user);
        await app.PassCreation.CreateAsync(AppServicesHarness.MemberDelivery(user, "create-1"), default);
        Assert.Equal(PassState.Blocked, (await app.Ledger.GetMemberAsync(user, default))!.PassState);
        var template = AlipayHK.Simulator.Passes.TemplateOptions.DefaultMemberCard();
        app.Sim.State.Templates.Upsert(template);
        await Task.Delay(10);

        var report = await app.Get<ReconcileSweep>().RunAsync(false, _ => Task.FromResult(true), default);

        Assert.Contains(report.Findings, f => f.Kind == "blocked-card" && f.UserId == user);
        Assert.Equal(PassState.None, (await app.Ledger.GetMemberAsync(user, default))!.PassState);
    }

    [Fact]
    public async Task The_sweep_reads_the_noted_members_only_and_clears_notes_with_nothing_behind()
    {
        await using var app = await AppServicesHarness.StartAsync(azurite, NoGrace);
        // 1,000 members by default; SWEEP_BENCH_MEMBERS=10000 for the docs/benchmarks.md figure. 1 % need attention.
        var members = int.TryParse(Environment.GetEnvironmentVariable("SWEEP_BENCH_MEMBERS"), out var n) ? n : 1000;
        var noted = members / 100;
        var users = Enumerable.Range(0, members).Select(_ => TestApp.NewUserId()).ToList();
        await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (user, ct) =>
            await app.Table.AddEntityAsync(new TableEntity(user, "member") { ["MemberId"] = "M" + user, ["PassState"] = "Active", ["PassId"] = "P" + user }, ct));
        foreach (var user in users.Take(noted))
        {
            await app.Ledger.MarkAttentionAsync(AttentionKind.Sync, user, default);
        }
        await Task.Delay(10);

        var watch = Stopwatch.StartNew();
        var report = await SweepAsync(app);
        watch.Stop();

        Assert.Equal(noted, report.NotesRead);
        Assert.Empty(report.Findings);
        Assert.Equal(0, (await SweepAsync(app)).NotesRead); // healthy: notes cleared
        // Storage calls of that run: one query page of notes, one member read and one note delete per note.
        Console.WriteLine($"sweep: {members} members, {noted} noted, {report.NotesRead} notes read, ~{1 + report.NotesRead} reads + {report.NotesRead} deletes, {watch.ElapsedMilliseconds} ms");
    }

    // What the queue workers do with what the sweep queued: create, then sync, until nothing is queued.
    private static async Task RunCardWorkAsync(AppServicesHarness app, string user)
    {
        for (var round = 0; round < 5; round++)
        {
            var creates = await app.TakeForAsync(AppStorage.PassCreateQueue, user);
            foreach (var create in creates)
            {
                await app.PassCreation.CreateAsync(create, default);
            }
            var syncs = await app.TakeForAsync(AppStorage.PassSyncQueue, user);
            foreach (var sync in syncs)
            {
                await app.PassSync.SyncAsync(sync, default);
            }
            if (creates.Count == 0 && syncs.Count == 0)
            {
                return;
            }
        }
    }

    private static async Task AssertConvergedAsync(AppServicesHarness app, string user, long points)
    {
        var member = (await app.Ledger.GetMemberAsync(user, default))!;
        Assert.Equal(points, member.Points);
        Assert.Equal(PassState.Active, member.PassState);
        Assert.False(member.NeedsSync);
        var pass = app.Sim.State.Passes.Find(member.PassId!)!;
        Assert.Equal(points.ToString(System.Globalization.CultureInfo.InvariantCulture), pass.Variable("en_US", "$points$"));
    }
}
