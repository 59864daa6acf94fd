using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using AlipayFunctions.Loyalty;
using AlipayFunctions.Reconciliation;
using AlipayFunctions.Storage;
using AlipayFunctions.Testing;
using AlipayFunctions.Tests.Infrastructure;
using AlipayHK.Simulator.Webhooks;
using Azure.Data.Tables;

namespace AlipayFunctions.Tests;

/// <summary>
/// Issue 13 §8, the sweep itself crashed: the operator command <c>alipayhk sweep</c> (the built alipayhk.dll, a child
/// process, the same ReconcileSweep the Reconcile timer runs) dies at a point between two of its writes (FailFast,
/// marker written); then further sweep runs and the BUILT worker under the local host heal what it left: the balance
/// exact, the card Active and showing it in the simulator, each bill applied once, nothing queued, the member's
/// attention notes cleared. Each test sets up the drift the sweep is for, directly, as the sweep tests do.
/// </summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class SweepCrashPointTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    public static TheoryData<string> Points => [.. CrashPoint.Sweep.Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Points))]
    public async Task A_sweep_process_killed_at_each_point_is_healed_by_the_next_sweep_and_the_workers(string point)
    {
        await using var run = await SweepRun.StartAsync(azurite, point);
        var (user, memberId, points, bills) = await run.DriftForAsync(point);

        var crashed = await run.SweepAsync();
        Assert.True(File.Exists(Path.Combine(run.Markers, point)), $"crash point {point} was never reached: {crashed}");
        Assert.Contains($"CRASH POINT {point}", crashed.Error, StringComparison.Ordinal);
        Assert.Contains("TEST CRASH POINTS ARMED", crashed.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("attention notes read", crashed.Output, StringComparison.Ordinal); // died before its summary
        // FailFast aborts: SIGABRT on Linux and macOS (128 + 6); on Windows a fail-fast status, never a CLI exit code.
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(134, crashed.ExitCode);
        }
        Assert.NotEqual(0, crashed.ExitCode);
        await run.AssertCrashLeftDriftAsync(point, user, memberId, points);

        // The same settings again: the point's marker exists, so this run goes on past it.
        var second = await run.SweepAsync();
        Assert.True(second.ExitCode == 0, second.ToString());

        await run.ConvergeAsync(user, memberId, points, bills);
    }

    [Fact]
    public async Task The_sweep_command_ignores_crash_points_outside_Development()
    {
        await using var run = await SweepRun.StartAsync(azurite, CrashPoint.SweepNoteCleared, environment: "Production");
        var (user, memberId, points, bills) = await run.DriftForAsync(CrashPoint.SweepNoteCleared);

        var sweep = await run.SweepAsync();

        Assert.True(sweep.ExitCode == 0, sweep.ToString());
        Assert.Contains("is ignored", sweep.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(run.Markers, CrashPoint.SweepNoteCleared)));
        await run.ConvergeAsync(user, memberId, points, bills);
    }

    /// <summary>The outcome of one <c>alipayhk sweep</c> process.</summary>
    private sealed record SweepProcess(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Output}\n--- stderr ---\n{Error}";
    }

    /// <summary>The worker (no crash points) and simulator, and the CLI's environment with the sweep's points armed.</summary>
    private sealed class SweepRun : IAsyncDisposable
    {
        private readonly Dictionary<string, string?> _environment;

        private SweepRun(TestApp app, string markers, Dictionary<string, string?> environment)
        {
            App = app;
            Markers = markers;
            _environment = environment;
        }

        public TestApp App { get; }

        public string Markers { get; }

        public static async Task<SweepRun> StartAsync(AzuriteFixture azurite, string point, string environment = "Development")
        {
            var markers = Directory.CreateTempSubdirectory("sweep-crash-points-").FullName;
            var app = await TestApp.StartAsync(azurite);
            // The app's settings as environment variables, as an operator's shell has them ('__' for ':').
            var settings = TestApp.DefaultSettings(azurite.ConnectionString, app.Sim);
            settings[CrashPoints.AtSetting] = point;
            settings[CrashPoints.MarkerSetting] = markers;
            settings["AZURE_FUNCTIONS_ENVIRONMENT"] = environment;
            var variables = settings.ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value, StringComparer.Ordinal);
            return new SweepRun(app, markers, variables);
        }

        /// <summary>Sets up the drift that leads the sweep to <paramref name="point"/>; returns the member and its expected balance and bill count.</summary>
        public async Task<(string User, string MemberId, long Points, int Bills)> DriftForAsync(string point)
        {
            var ledger = App.Ledger;
            var user = TestApp.NewUserId();
            switch (point)
            {
                case CrashPoint.SweepPendingApplied:
                {
                    // A card, then a bill the bill worker left pending (noted, row inserted) and died for good.
                    var memberId = await CardAsync(user);
                    await ledger.MarkAttentionAsync(AttentionKind.Pending, user, default);
                    await App.Table.AddEntityAsync(new TableEntity(user, LoyaltyLedger.BillRowKey("ALIPAYHK", "S1"))
                    {
                        ["Points"] = 20L,
                        [nameof(BillState)] = nameof(BillState.Pending),
                    });
                    return (user, memberId, 20, 1);
                }
                case CrashPoint.SweepCreateQueued:
                {
                    // Enrolled with a bill, the creation claimed by a worker that died: the claim has lapsed.
                    var memberId = (await ledger.EnrolAsync(user, new MemberProfile("TEST", null, null), default)).Member.MemberId;
                    await ledger.ApplyBillAsync(AppServicesHarness.Bill(user, "S1"), new Earning(7, null), default);
                    Assert.NotNull(await ledger.ClaimCreationAsync(user, "dead-worker", TimeSpan.FromMilliseconds(1), default));
                    return (user, memberId, 7, 1);
                }
                case CrashPoint.SweepBlockedReset:
                {
                    // Blocked by a template that was paused and is valid again (the simulator's template is valid).
                    // Recorded directly: a worker that had read the paused template would keep it cached for minutes.
                    var memberId = (await ledger.EnrolAsync(user, new MemberProfile("TEST", null, null), default)).Member.MemberId;
                    await ledger.ApplyBillAsync(AppServicesHarness.Bill(user, "S1"), new Earning(4, null), default);
                    Assert.True(await ledger.RecordCreationProblemAsync(user, PassState.Blocked, "test: template paused", default));
                    return (user, memberId, 4, 1);
                }
                case CrashPoint.SweepFailedReset:
                {
                    // A card behind (its sync ran out of deliveries), then Failed with a cause that can go away, due now.
                    var memberId = await CardAsync(user);
                    await BehindAsync(user, 5);
                    await ledger.RecordPassProblemAsync(user, PassState.Failed, "test: updatePass F", default, "SYSTEM_BUSY", _ => DateTimeOffset.UtcNow.AddSeconds(-1));
                    Assert.True((await App.MemberAsync(user))!.RetryScheduled);
                    return (user, memberId, 5, 1);
                }
                case CrashPoint.SweepSyncQueued:
                {
                    var memberId = await CardAsync(user);
                    await BehindAsync(user, 5);
                    return (user, memberId, 5, 1);
                }
                case CrashPoint.SweepNoteCleared:
                {
                    // A healthy card with two stale notes: the sweep clears both, one at a time.
                    var memberId = await CardAsync(user);
                    await ledger.MarkAttentionAsync(AttentionKind.Sync, user, default);
                    await ledger.MarkAttentionAsync(AttentionKind.Pending, user, default);
                    return (user, memberId, 0, 0);
                }
                default:
                    throw new ArgumentOutOfRangeException(nameof(point), point, "no drift set up for this point");
            }
        }

        /// <summary>Where the crash leaves nothing queued, what it did leave is drift only a later sweep heals.</summary>
        public async Task AssertCrashLeftDriftAsync(string point, string user, string memberId, long points)
        {
            var member = (await App.MemberAsync(user))!;
            switch (point)
            {
                case CrashPoint.SweepPendingApplied:
                    // The balance moved, the card did not, and no sync is on its way.
                    Assert.Equal(points, member.Points);
                    Assert.True(member.NeedsSync);
                    Assert.Equal(0, TestApp.CardPoints(App.Card(memberId)));
                    Assert.Equal(0, await App.MessagesForAsync(AppStorage.PassSyncQueue, user));
                    break;
                case CrashPoint.SweepBlockedReset:
                    // Reset to None with no creation queued: nothing but a sweep would ever create the card.
                    Assert.Equal(PassState.None, member.PassState);
                    Assert.Equal(0, await App.MessagesForAsync(AppStorage.PassCreateQueue, user));
                    break;
                case CrashPoint.SweepFailedReset:
                    // Active again but behind, with neither a pass-create nor a sync queued.
                    Assert.Equal(PassState.Active, member.PassState);
                    Assert.True(member.NeedsSync);
                    Assert.Equal(0, await App.MessagesForAsync(AppStorage.PassCreateQueue, user));
                    Assert.Equal(0, await App.MessagesForAsync(AppStorage.PassSyncQueue, user));
                    break;
                case CrashPoint.SweepNoteCleared:
                    Assert.NotEmpty(await NotesForAsync(user)); // the rest of its notes
                    break;
                default:
                    break; // what it queued is already the workers' (they may have run it by now)
            }
        }

        /// <summary>Runs <c>dotnet alipayhk.dll sweep</c> with the environment, grace 1 ms: every note is past it.</summary>
        public async Task<SweepProcess> SweepAsync(bool dryRun = false)
        {
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(CliDll.Value);
            start.ArgumentList.Add("sweep");
            start.ArgumentList.Add("--grace");
            start.ArgumentList.Add("00:00:00.001");
            if (dryRun)
            {
                start.ArgumentList.Add("--dry-run");
            }
            foreach (var (key, value) in _environment)
            {
                start.Environment[key] = value;
            }
            using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(timeout.Token);
            return new SweepProcess(process.ExitCode, await output, await error);
        }

        /// <summary>Sweeps (the CLI) until the member, card, queues and notes are settled; then asserts the end state.</summary>
        public async Task ConvergeAsync(string user, string memberId, long points, int bills)
        {
            SweepProcess? last = null;
            await Eventually.UntilAsync(async () =>
            {
                last = await SweepAsync();
                Assert.True(last.ExitCode == 0, last.ToString());
                return await SettledAsync(user, memberId, points, bills);
            }, $"member {memberId} to settle at {points} points with its notes cleared", Timeout, async () => $"{await DescribeAsync(user, memberId)}; last sweep {last}");

            await App.AssertConvergedAsync(user, memberId, points, bills);
            Assert.Empty(await NotesForAsync(user));
            var dry = await SweepAsync(dryRun: true);
            Assert.True(dry.ExitCode == 0, dry.ToString());
            Assert.DoesNotContain(memberId, dry.Output, StringComparison.Ordinal);
        }

        private async Task<bool> SettledAsync(string user, string memberId, long points, int bills, bool notesCleared = true)
        {
            var member = await App.MemberAsync(user);
            if (member is not { PassState: PassState.Active, NeedsSync: false } || member.Points != points || TestApp.CardPoints(App.Card(memberId)) != points)
            {
                return false;
            }
            var rows = await App.BillRowsAsync(user);
            if (rows.Count != bills || rows.Any(r => r.GetString(nameof(BillState)) != nameof(BillState.Applied)))
            {
                return false;
            }
            foreach (var queue in AppStorage.Queues)
            {
                if (await App.MessagesForAsync(queue, user) > 0)
                {
                    return false;
                }
            }
            return !notesCleared || (await NotesForAsync(user)).Count == 0;
        }

        private async Task<string> DescribeAsync(string user, string memberId)
        {
            var member = await App.MemberAsync(user);
            var rows = await App.BillRowsAsync(user);
            var notes = await NotesForAsync(user);
            return $"member {member}, card {TestApp.CardPoints(App.Card(memberId))?.ToString(CultureInfo.InvariantCulture) ?? "none"}, " +
                $"bills {string.Join(' ', rows.Select(r => r.GetString(nameof(BillState))))}, notes {string.Join(' ', notes.Select(n => n.Kind))}";
        }

        // The member through the worker: membercard/create, then its card (created by the worker) at 0 points.
        private async Task<string> CardAsync(string user)
        {
            var created = await (await App.Sim.Webhooks.SendMemberCardCreateAsync(new MemberCardCreateWebhook { UserId = user })).WaitAsync();
            Assert.Equal(WebhookState.Delivered, created.State);
            await App.WaitForCardAsync(created.MemberId!, 0, user, Timeout);
            // Its creation's note stays until a sweep finds it healthy.
            await Eventually.UntilAsync(async () => await SettledAsync(user, created.MemberId!, 0, 0, notesCleared: false), "the new card to settle", Timeout);
            return created.MemberId!;
        }

        // A bill applied with its sync promised, whose sync message then ran out of deliveries: the card is behind.
        private async Task BehindAsync(string user, long points)
        {
            var applied = await App.Ledger.ApplyBillAsync(AppServicesHarness.Bill(user, "S1"), new Earning(points, null), default, TimeSpan.FromMinutes(5));
            Assert.True(applied.SyncRequested);
            await App.Ledger.ReleaseSyncAsync(user, "nobody", default);
            var mark = (await App.MemberAsync(user))!;
            await App.Table.UpdateEntityAsync(new TableEntity(user, "member") { ["SyncQueuedUntil"] = 0L }, mark.ETag, TableUpdateMode.Merge);
        }

        private async Task<List<AttentionNote>> NotesForAsync(string user) =>
            [.. (await App.Ledger.GetAttentionAsync(10_000, default)).Where(n => n.UserId == user)];

        // Visible messages for this user (up to 32 peeked): other tests share the queues.

        public async ValueTask DisposeAsync()
        {
            await App.DisposeAsync();
            Directory.Delete(Markers, recursive: true);
        }
    }

    // The operator CLI's own build output (tools/AlipayHK.Cli/bin/<Configuration>/net10.0), built by the project reference.
    private static readonly Lazy<string> CliDll = new(() =>
    {
        var configuration = typeof(SweepCrashPointTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var dll = Path.Combine(WorkerBuild.RepoRoot, "tools", "AlipayHK.Cli", "bin", configuration, "net10.0", "alipayhk.dll");
        return File.Exists(dll) ? dll : throw new InvalidOperationException($"The CLI is not built at {dll}: build tools/AlipayHK.Cli ({configuration}) first.");
    });
}
