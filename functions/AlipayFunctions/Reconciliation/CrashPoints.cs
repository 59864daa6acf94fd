using System.Collections.Frozen;
using AlipayFunctions.Settings;
using Microsoft.Extensions.Hosting;

namespace AlipayFunctions.Reconciliation;

/// <summary>
/// Test-only crash points (issue 13 §8): named places between two durable writes of a flow where the worker process
/// (or the <c>alipayhk sweep</c> process, for the sweep's points) can be made to die, so that end-to-end tests show that redelivery and the sweep heal every step. Off unless
/// <c>Testing:CrashAt</c> is set, and ignored (with an error logged) outside the Development environment, so
/// production cannot enable it by accident. Each point crashes the process once: before dying it creates
/// <c>{Testing:CrashOnceMarker}/{point}</c>, and a point whose marker exists does nothing (the restarted worker goes on).
/// </summary>
public sealed class CrashPoints
{
    /// <summary>The points to crash at, comma-separated names from <see cref="CrashPoint"/>.</summary>
    public const string AtSetting = "Testing:CrashAt";

    /// <summary>A folder: one marker file per point that has crashed, so each crashes once.</summary>
    public const string MarkerSetting = "Testing:CrashOnceMarker";

    /// <summary>No crash points (production, and every caller that builds services without configuration).</summary>
    public static readonly CrashPoints Off = new(null, "");

    private readonly FrozenSet<string>? _points;
    private readonly string _markers;

    private CrashPoints(FrozenSet<string>? points, string markers)
    {
        _points = points;
        _markers = markers;
    }

    /// <summary>Whether any point is armed.</summary>
    public bool Enabled => _points is not null;

    /// <summary>The armed points.</summary>
    public IReadOnlyCollection<string> Points => _points ?? FrozenSet<string>.Empty;

    /// <summary>True when the setting is present but ignored (not the Development environment).</summary>
    public bool Ignored { get; private init; }

    /// <summary>Reads the settings; unknown point names and a missing marker folder stop start-up (a typo would make a crash test pass vacuously).</summary>
    /// <exception cref="SettingsException">A name is not a <see cref="CrashPoint"/>, or the marker folder is missing.</exception>
    public static CrashPoints From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var names = configuration[AtSetting];
        if (string.IsNullOrWhiteSpace(names))
        {
            return Off;
        }
        // The worker's environment name, as the Functions host sets it (Production on Azure unless changed).
        if (!string.Equals(configuration["AZURE_FUNCTIONS_ENVIRONMENT"], Environments.Development, StringComparison.OrdinalIgnoreCase))
        {
            return new CrashPoints(null, "") { Ignored = true };
        }
        var points = names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (points.FirstOrDefault(p => !CrashPoint.All.Contains(p)) is { } unknown)
        {
            throw new SettingsException(AtSetting, $"names '{unknown}', which is not a crash point ({string.Join(", ", CrashPoint.All)})");
        }
        var markers = configuration[MarkerSetting];
        if (string.IsNullOrWhiteSpace(markers) || !Directory.Exists(markers))
        {
            throw new SettingsException(MarkerSetting, "must name an existing folder when Testing:CrashAt is set (each point crashes once)");
        }
        return new CrashPoints(points.ToFrozenSet(StringComparer.Ordinal), markers);
    }

    /// <summary>Kills the process here if <paramref name="point"/> is armed and has not crashed before. A no-op when off.</summary>
    public void At(string point)
    {
        if (_points is null || !_points.Contains(point))
        {
            return;
        }
        try
        {
            // CreateNew is atomic: of two deliveries at the same point only one crashes, and only the first time.
            using var marker = new FileStream(Path.Combine(_markers, point), FileMode.CreateNew, FileAccess.Write);
        }
        catch (IOException)
        {
            return;
        }
        // Straight to stderr (the host prints it): a log line queued for the gRPC channel would die with the process.
        Console.Error.WriteLine($"CRASH POINT {point}: the process is killed here (Testing:CrashAt).");
        Environment.FailFast($"Crash point {point} (Testing:CrashAt)");
    }
}

/// <summary>The crash points: each lies between two durable writes (or a write and the answer) of one flow.</summary>
public static class CrashPoint
{
    /// <summary>bill/notify: the request verified and parsed, nothing queued, no answer.</summary>
    public const string NotifyVerified = "notify.verified";
    /// <summary>bill/notify: the bill queued, no answer sent (AlipayHK sends it again).</summary>
    public const string NotifyQueued = "notify.queued";
    /// <summary>membercard/create: the member enrolled, pass-create not queued, no answer.</summary>
    public const string MemberCardEnrolled = "membercard.enrolled";
    /// <summary>membercard/create: pass-create queued, no answer.</summary>
    public const string MemberCardQueued = "membercard.queued";
    /// <summary>Enrolment: the member row inserted, its pending bills not yet applied.</summary>
    public const string EnrolInserted = "enrol.inserted";
    /// <summary>ApplyBill, no member: the attention note written, the pending row not.</summary>
    public const string BillPendingNoted = "bill.pending-noted";
    /// <summary>ApplyBill, no member: the pending row inserted, not yet applied (nor re-checked for a new member).</summary>
    public const string BillPendingInserted = "bill.pending-inserted";
    /// <summary>ApplyBill: the sync attention note written, the bill + balance transaction not.</summary>
    public const string BillSyncNoted = "bill.sync-noted";
    /// <summary>ApplyBill: the bill + balance transaction committed, the pass-sync not queued.</summary>
    public const string BillApplied = "bill.applied";
    /// <summary>CreatePass: the creation claim written, createPass not called.</summary>
    public const string CreateClaimed = "create.claimed";
    /// <summary>CreatePass: createPass answered with the pass id, which is not stored (only an operator can recover it).</summary>
    public const string CreatePassDone = "create.pass-done";
    /// <summary>CreatePass: the pass id stored, the pass-sync for a balance that moved meanwhile not queued.</summary>
    public const string CreateRecorded = "create.recorded";
    /// <summary>SyncPass: the sync lease written, updatePass not called.</summary>
    public const string SyncClaimed = "sync.claimed";
    /// <summary>SyncPass: updatePass done, not recorded.</summary>
    public const string SyncSent = "sync.sent";
    /// <summary>Sweep: a member's pending bills applied (balance moved), the member not re-read, nothing queued for the card.</summary>
    public const string SweepPendingApplied = "sweep.pending-applied";
    /// <summary>Sweep: a lapsed creation re-queued, the member's sync check and notes not done.</summary>
    public const string SweepCreateQueued = "sweep.create-queued";
    /// <summary>Sweep: a Blocked card reset (template valid again), pass-create not queued.</summary>
    public const string SweepBlockedReset = "sweep.blocked-reset";
    /// <summary>Sweep: a Failed card due for retry reset, pass-create not queued.</summary>
    public const string SweepFailedReset = "sweep.failed-reset";
    /// <summary>Sweep: a sync queued for a card behind, the member's notes not looked at.</summary>
    public const string SweepSyncQueued = "sweep.sync-queued";
    /// <summary>Sweep: the first of a healthy member's notes cleared, the others not.</summary>
    public const string SweepNoteCleared = "sweep.note-cleared";

    /// <summary>The points inside the sweep (the operator command and the Reconcile timer run it).</summary>
    public static readonly FrozenSet<string> Sweep = new[]
    {
        SweepPendingApplied, SweepCreateQueued, SweepBlockedReset, SweepFailedReset, SweepSyncQueued, SweepNoteCleared,
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Every point.</summary>
    public static readonly FrozenSet<string> All = new[]
    {
        NotifyVerified, NotifyQueued, MemberCardEnrolled, MemberCardQueued, EnrolInserted, BillPendingNoted, BillPendingInserted,
        BillSyncNoted, BillApplied, CreateClaimed, CreatePassDone, CreateRecorded, SyncClaimed, SyncSent,
        SweepPendingApplied, SweepCreateQueued, SweepBlockedReset, SweepFailedReset, SweepSyncQueued, SweepNoteCleared,
    }.ToFrozenSet(StringComparer.Ordinal);
}

/// <summary>Says at start-up, loudly, that crash points are armed (or set and ignored).</summary>
internal sealed partial class CrashPointsNotice(CrashPoints crash, ILogger<CrashPointsNotice> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (crash.Enabled)
        {
            LogArmed(string.Join(", ", crash.Points));
        }
        else if (crash.Ignored)
        {
            LogIgnored();
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "TEST CRASH POINTS ARMED ({Points}): this worker kills itself at them (Testing:CrashAt). Never in production.")]
    private partial void LogArmed(string points);

    [LoggerMessage(Level = LogLevel.Error, Message = "Testing:CrashAt is set outside the Development environment and is ignored; remove it.")]
    private partial void LogIgnored();
}
