using System.Globalization;
using AlipayFunctions.Loyalty;
using AlipayFunctions.Passes;
using AlipayFunctions.Reconciliation;
using AlipayFunctions.Settings;
using AlipayFunctions.Storage;
using AlipayFunctions.Testing;
using AlipayFunctions.Tests.Infrastructure;
using AlipayHK.Simulator.Bills;
using AlipayHK.Simulator.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlipayFunctions.Tests;

/// <summary>
/// Issue 13 §8 end to end: the BUILT worker under the local host, Azurite and the simulator, with crash points armed
/// (Testing:CrashAt): the worker process dies once at each point, between two durable writes of a flow; the host
/// restarts it, AlipayHK's webhook retries and the queue's redelivery carry on, and the sweep (the code the operator
/// command and the Reconcile timer run) heals the rest. Then every balance is exact, the card shows it, no bill is
/// applied twice, nothing is pending or poisoned. Points are grouped so that each group's points lie on one pass
/// through the scenario (one worker start, one crash each).
/// </summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class CrashPointTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    // Every point but create.pass-done, which cannot heal by itself (the pass id exists only in the lost answer).
    public static TheoryData<string> Groups => new()
    {
        string.Join(',', CrashPoint.NotifyVerified, CrashPoint.BillPendingNoted, CrashPoint.EnrolInserted, CrashPoint.SyncSent),
        string.Join(',', CrashPoint.NotifyQueued, CrashPoint.BillPendingInserted, CrashPoint.MemberCardEnrolled, CrashPoint.BillSyncNoted),
        string.Join(',', CrashPoint.MemberCardQueued, CrashPoint.CreateClaimed, CrashPoint.BillApplied),
        string.Join(',', CrashPoint.CreateRecorded, CrashPoint.SyncClaimed),
    };

    [Fact]
    public void The_groups_cover_every_crash_point()
    {
        // The sweep's own points: SweepCrashPointTests, one crashed `alipayhk sweep` process each.
        var covered = Groups.Cast<object[]>().SelectMany(g => ((string)g[0]).Split(',')).Append(CrashPoint.CreatePassDone).Concat(CrashPoint.Sweep).ToList();
        Assert.Equal(CrashPoint.All.Order(StringComparer.Ordinal), covered.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Crash_points_are_off_unless_set_ignored_outside_Development_and_refuse_unknown_names_or_a_missing_marker_folder()
    {
        static CrashPoints From(params (string Key, string Value)[] settings) => CrashPoints.From(
            new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build());
        var folder = Path.GetTempPath();

        Assert.False(From().Enabled);
        Assert.False(From(("AZURE_FUNCTIONS_ENVIRONMENT", "Development")).Enabled);
        var production = From((CrashPoints.AtSetting, CrashPoint.BillApplied), (CrashPoints.MarkerSetting, folder), ("AZURE_FUNCTIONS_ENVIRONMENT", "Production"));
        Assert.False(production.Enabled);
        Assert.True(production.Ignored);
        Assert.False(From((CrashPoints.AtSetting, CrashPoint.BillApplied), (CrashPoints.MarkerSetting, folder)).Enabled); // no environment: not Development
        var armed = From((CrashPoints.AtSetting, $"{CrashPoint.BillApplied}, {CrashPoint.SyncSent}"), (CrashPoints.MarkerSetting, folder), ("AZURE_FUNCTIONS_ENVIRONMENT", "Development"));
        Assert.True(armed.Enabled);
        Assert.Equal([CrashPoint.BillApplied, CrashPoint.SyncSent], armed.Points.Order(StringComparer.Ordinal));
        Assert.Equal(CrashPoints.AtSetting, Assert.Throws<SettingsException>(() => From((CrashPoints.AtSetting, "bill.aplied"), (CrashPoints.MarkerSetting, folder), ("AZURE_FUNCTIONS_ENVIRONMENT", "Development"))).Key);
        Assert.Equal(CrashPoints.MarkerSetting, Assert.Throws<SettingsException>(() => From((CrashPoints.AtSetting, CrashPoint.BillApplied), ("AZURE_FUNCTIONS_ENVIRONMENT", "Development"))).Key);
        CrashPoints.Off.At(CrashPoint.BillApplied); // off: returns
    }

    [Theory]
    [MemberData(nameof(Groups))]
    public async Task A_worker_killed_at_each_point_converges_through_redelivery_and_the_sweep(string points)
    {
        await using var run = await CrashRun.StartAsync(azurite, points);
        var (user, memberId) = await run.MembershipWithBillsAsync();

        await run.ConvergeAsync(user, memberId, 60);
        run.AssertEveryPointCrashed();
    }

    [Fact]
    public async Task A_worker_killed_between_createPass_and_storing_its_pass_id_leaves_a_card_for_the_operator_who_repairs_it()
    {
        await using var run = await CrashRun.StartAsync(azurite, CrashPoint.CreatePassDone);
        var user = TestApp.NewUserId();
        var created = await (await run.App.Sim.Webhooks.SendMemberCardCreateAsync(new MemberCardCreateWebhook { UserId = user })).WaitAsync();
        Assert.Equal(WebhookState.Delivered, created.State);
        // The redelivery met PASS_HAS_EXIST: no AlipayHK API returns the pass id again, so this is for an operator.
        await Eventually.UntilAsync(async () => (await run.App.MemberAsync(user))?.PassState == PassState.ExistsWithoutId, "the card to be ExistsWithoutId", Timeout);
        await run.BillAsync(user, 1000);
        await run.SweepAsync();
        Assert.Equal(PassState.ExistsWithoutId, (await run.App.MemberAsync(user))!.PassState);

        // What `alipayhk member reset-card --pass-id` does with the pass id AlipayHK support gives (here: the simulator).
        var passId = run.App.Card(created.MemberId!)!.PassId;
        await run.App.Ledger.RecordPassCreatedAsync(user, passId, shownVersion: 0, default);
        await MemberWork.QueuePassSyncAsync(run.App.Queues, user, null, TimeSpan.Zero, default);

        await run.ConvergeAsync(user, created.MemberId!, 10);
        run.AssertEveryPointCrashed();
    }

    /// <summary>One app with crash points armed, and the scenario's steps.</summary>
    private sealed class CrashRun : IAsyncDisposable
    {
        private readonly string _markers;
        private readonly string[] _points;
        private readonly ReconcileSweep _sweep;
        private readonly List<string> _bills = [];

        private CrashRun(TestApp app, string markers, string[] points)
        {
            App = app;
            _markers = markers;
            _points = points;
            // The sweep as `alipayhk sweep` runs it, with a grace of a second: a need older than that is healed.
            _sweep = new ReconcileSweep(app.Ledger, app.Queues, new SweepSettings(TimeSpan.FromSeconds(1), 1000), TimeProvider.System, NullLogger<ReconcileSweep>.Instance);
        }

        public TestApp App { get; }

        public static async Task<CrashRun> StartAsync(AzuriteFixture azurite, string points)
        {
            var markers = Directory.CreateTempSubdirectory("crash-points-").FullName;
            var app = await TestApp.StartAsync(azurite, new TestAppOptions
            {
                Settings = { [CrashPoints.AtSetting] = points, [CrashPoints.MarkerSetting] = markers },
                // AlipayHK's webhook retries 1,000 times faster than real (2 min becomes 120 ms): a dead worker is
                // restarted within seconds, well inside the shortened schedule.
                ConfigureSimulator = sim => sim.Webhooks.TimeFactor = 1000,
            });
            return new CrashRun(app, markers, points.Split(','));
        }

        /// <summary>A bill before the membership (pending), the membership, its first card, then two bills on the card.</summary>
        public async Task<(string User, string MemberId)> MembershipWithBillsAsync()
        {
            var user = TestApp.NewUserId();
            await BillAsync(user, 1000);
            await Eventually.UntilAsync(async () => (await App.BillRowsAsync(user)).Count == 1, "the early bill to be recorded (pending)", Timeout);
            var created = await (await App.Sim.Webhooks.SendMemberCardCreateAsync(new MemberCardCreateWebhook { UserId = user })).WaitAsync();
            Assert.Equal(WebhookState.Delivered, created.State);
            await App.WaitForCardAsync(created.MemberId!, 10, user, Timeout);
            await BillAsync(user, 2000);
            await BillAsync(user, 3000);
            return (user, created.MemberId!);
        }

        /// <summary>A bill/notify as AlipayHK sends it (retried until our signed SUCCESS); asserts it was delivered.</summary>
        public async Task BillAsync(string user, long value)
        {
            var billNo = $"C{_bills.Count}-{user}";
            _bills.Add(billNo);
            var delivery = await (await App.Sim.Webhooks.SendBillNotifyAsync(new Bill { UserId = user, BillNo = billNo, Value = value })).WaitAsync();
            Assert.True(delivery.State == WebhookState.Delivered, $"bill {billNo}: {delivery.State} after {delivery.Attempts.Count} attempts");
        }

        public Task<SweepReport> SweepAsync(bool dryRun = false) => _sweep.RunAsync(dryRun, templateUsable: null, default);

        /// <summary>Runs the sweep until the member, the card and the queues are all settled, then asserts the end state.</summary>
        public async Task ConvergeAsync(string user, string memberId, long points)
        {
            await Eventually.UntilAsync(async () =>
            {
                await SweepAsync();
                return await SettledAsync(user, memberId, points);
            }, $"member {memberId} and the card to settle at {points} points", Timeout, async () => await DescribeAsync(user, memberId));

            await App.AssertConvergedAsync(user, memberId, points, _bills.Count);
            // And the sweep has nothing left for this member.
            Assert.DoesNotContain((await SweepAsync(dryRun: true)).Findings, f => f.UserId == user);
        }

        /// <summary>Every armed point did kill the worker once (its marker exists), and the host restarted it each time.</summary>
        public void AssertEveryPointCrashed()
        {
            Assert.All(_points, p => Assert.True(File.Exists(Path.Combine(_markers, p)), $"crash point {p} was never reached"));
            var logs = App.Logs.AllText();
            Assert.True(logs.Split('\n').Count(l => l.Contains("Worker restarted", StringComparison.Ordinal)) >= _points.Length,
                "the host restarted the worker once per crash point");
            Assert.Contains("TEST CRASH POINTS ARMED", logs, StringComparison.Ordinal); // the start-up warning
        }

        private async Task<bool> SettledAsync(string user, string memberId, long points)
        {
            var member = await App.MemberAsync(user);
            if (member is not { PassState: PassState.Active, NeedsSync: false } || member.Points != points || TestApp.CardPoints(App.Card(memberId)) != points)
            {
                return false;
            }
            var rows = await App.BillRowsAsync(user);
            if (rows.Count != _bills.Count || rows.Any(r => r.GetString(nameof(BillState)) != nameof(BillState.Applied)))
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
            return true;
        }

        private async Task<string> DescribeAsync(string user, string memberId)
        {
            var member = await App.MemberAsync(user);
            var rows = await App.BillRowsAsync(user);
            return $"member {member}, card {TestApp.CardPoints(App.Card(memberId))?.ToString(CultureInfo.InvariantCulture) ?? "none"}, " +
                $"bills {string.Join(' ', rows.Select(r => r.GetString(nameof(BillState))))}, crashed at {string.Join(' ', _points.Where(p => File.Exists(Path.Combine(_markers, p))))}";
        }

        // Visible messages for this user (up to 32 peeked): other tests share the queues.

        public async ValueTask DisposeAsync()
        {
            await App.DisposeAsync();
            Directory.Delete(_markers, recursive: true);
        }
    }
}
