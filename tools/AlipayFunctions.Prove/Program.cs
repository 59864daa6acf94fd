using System.CommandLine;
using AlipayFunctions.Prove.Runs;
using Spectre.Console;

// Proof runs (tools/prove.sh has the full commands). Each starts Azurite, the simulator and the app on free
// loopback ports, prints what it measured beside its targets, and exits 1 when a target or invariant fails.
var app = new Option<string?>("--app") { Description = "The published function app folder to run under the local Functions host (default: artifacts/app, from bash tools/publish.sh).", Recursive = true };
var markdown = new Option<string?>("--markdown") { Description = "Also append the results as a Markdown table to this file.", Recursive = true };
var members = new Option<int>("--members") { Description = "Members who join.", DefaultValueFactory = _ => 1000 };
var payments = new Option<int>("--payments") { Description = "Payments per member, sent as one burst.", DefaultValueFactory = _ => 10 };
var rate = new Option<int>("--rate") { Description = "Payment webhooks per second.", DefaultValueFactory = _ => 200 };
var converge = new Option<int>("--converge-timeout") { Description = "Seconds to wait for every card after the last payment.", DefaultValueFactory = _ => 300 };
var rates = new Option<int[]>("--rates") { Description = "Open-loop webhook rates per second, one step each.", DefaultValueFactory = _ => [50, 100, 200, 400], AllowMultipleArgumentsPerToken = true };
var seconds = new Option<int>("--seconds") { Description = "Seconds per load step (and per closed-loop round).", DefaultValueFactory = _ => 10 };
var targetSeconds = new Option<int?>("--target-seconds") { Description = "Seconds of the 200/s step, the one with the latency target (default: --seconds)." };
var concurrency = new Option<int>("--concurrency") { Description = "Callers in flight for the closed-loop and ceiling measurements.", DefaultValueFactory = _ => 32 };
var starts = new Option<int>("--starts") { Description = "Process starts to measure.", DefaultValueFactory = _ => 10 };
var target = new Option<double>("--target-ms") { Description = "Start-up target (median), ms.", DefaultValueFactory = _ => 2000 };
var r2rApp = new Option<string?>("--r2r-app") { Description = "A ReadyToRun publish folder (bash tools/publish.sh --r2r) to measure beside --app, start by start." };
var kills = new Option<int>("--kills") { Description = "SIGKILLs during the run.", DefaultValueFactory = _ => 10 };
var requests = new Option<int>("--requests") { Description = "Bogus mini-app authorisations in the flood.", DefaultValueFactory = _ => 1000 };
var senders = new Option<int>("--senders") { Description = "Flood senders in flight, each from its own client address.", DefaultValueFactory = _ => 16 };
var miniAppBudget = new Option<int>("--mini-app-budget") { Description = "Signing:MiniAppSignaturesPerSecond for the flood.", DefaultValueFactory = _ => 5 };
var signingBudget = new Option<int>("--signing-budget") { Description = "Signing:SignaturesPerSecond for the flood.", DefaultValueFactory = _ => 200 };
var quiet = new Option<int>("--quiet") { Description = "bill/notify webhooks sent alone before and after the flood.", DefaultValueFactory = _ => 30 };

var root = new RootCommand("AlipayFunctions proof runs: load, latency, memory, start-up, crashes, storage restarts, faults, bad input and the mini-app flood.") { app, markdown };

ConvergenceRuns.Settings Workload(ParseResult r) =>
    new(r.GetValue(members), r.GetValue(payments), r.GetValue(rate), r.GetValue(app), TimeSpan.FromSeconds(r.GetValue(converge)));

var ingest = new Command("ingest", "Signed bill/notify webhooks at rising open-loop rates, closed-loop maximum, and the ceiling in the same run.") { rates, seconds, targetSeconds, concurrency };
ingest.SetAction((r, ct) => Guard(() => IngestRun.RunAsync(new(r.GetValue(rates)!, TimeSpan.FromSeconds(r.GetValue(seconds)), r.GetValue(concurrency), r.GetValue(app), r.GetValue(targetSeconds) is { } t ? TimeSpan.FromSeconds(t) : null), r.GetValue(markdown), ct)));

var e2e = new Command("e2e", "Members join and pay in bursts; time until every card shows its final balance, updatePass per payment, peak memory.") { members, payments, rate, converge };
e2e.SetAction((r, ct) => Guard(() => ConvergenceRuns.EndToEndAsync(Workload(r), r.GetValue(markdown), ct)));

var startup = new Command("startup", "Worker process start to the first webhook answered through a freshly started host, over several starts (with --r2r-app: JIT and ReadyToRun interleaved).") { starts, target, r2rApp };
startup.SetAction((r, ct) => Guard(() => StartupRun.RunAsync(r.GetValue(starts), r.GetValue(target), StartupVariants(r.GetValue(app), r.GetValue(r2rApp)), r.GetValue(markdown), ct)));

var kill = new Command("kill", "SIGKILL the worker process at random moments during the end-to-end workload (the host starts a new one); every balance must end exact.") { members, payments, rate, converge, kills };
kill.SetAction((r, ct) => Guard(() => ConvergenceRuns.KillAsync(Workload(r), r.GetValue(kills), r.GetValue(markdown), ct)));

var azurite = new Command("azurite-restart", "Azurite persisted to disk, restarted in the middle of the workload: nothing lost, nothing applied twice.") { members, payments, rate, converge };
azurite.SetAction((r, ct) => Guard(() => ConvergenceRuns.AzuriteRestartAsync(Workload(r), r.GetValue(markdown), ct)));

var faults = new Command("faults", "The simulator fails 20% of createPass/updatePass (U, 500, 429, timeouts); every card must converge.") { members, payments, rate, converge };
faults.SetAction((r, ct) => Guard(() => ConvergenceRuns.FaultsAsync(Workload(r), r.GetValue(markdown), ct)));

var badInput = new Command("bad-input", "The bad-input corpus: each webhook gets its 4xx, nothing is queued, the app keeps serving.");
badInput.SetAction((r, ct) => Guard(() => BadInputRun.RunAsync(r.GetValue(app), r.GetValue(markdown), ct)));

var flood = new Command("flood", "Bogus mini-app authorisations at full speed while bill/notify is answered: mini-app signatures within the budget, every webhook answer signed SUCCESS, latency beside the quiet case.") { requests, senders, miniAppBudget, signingBudget, quiet };
flood.SetAction((r, ct) => Guard(() => FloodRun.RunAsync(new(r.GetValue(requests), r.GetValue(senders), r.GetValue(miniAppBudget), r.GetValue(signingBudget), r.GetValue(quiet), r.GetValue(app)), r.GetValue(markdown), ct)));

var quick = new Command("quick", "Every run at small sizes (a couple of minutes): a smoke test of the runs, not a measurement.");
quick.SetAction((r, ct) => Guard(async () =>
{
    var md = r.GetValue(markdown);
    var path = r.GetValue(app);
    var small = new ConvergenceRuns.Settings(20, 5, 100, path, TimeSpan.FromSeconds(90));
    var failed = 0;
    failed += await BadInputRun.RunAsync(path, md, ct).ConfigureAwait(false);
    failed += await FloodRun.RunAsync(new(200, 8, 5, 200, 5, path), md, ct).ConfigureAwait(false);
    failed += await IngestRun.RunAsync(new([50, 200], TimeSpan.FromSeconds(2), 16, path), md, ct).ConfigureAwait(false);
    failed += await StartupRun.RunAsync(3, 2000, StartupVariants(path, null), md, ct).ConfigureAwait(false);
    failed += await ConvergenceRuns.EndToEndAsync(small, md, ct).ConfigureAwait(false);
    failed += await ConvergenceRuns.KillAsync(small with { Members = 40 }, 3, md, ct).ConfigureAwait(false);
    failed += await ConvergenceRuns.AzuriteRestartAsync(small with { Members = 40 }, md, ct).ConfigureAwait(false);
    failed += await ConvergenceRuns.FaultsAsync(small, md, ct).ConfigureAwait(false);
    return failed == 0 ? 0 : 1;
}));

root.Subcommands.Add(ingest);
root.Subcommands.Add(e2e);
root.Subcommands.Add(startup);
root.Subcommands.Add(kill);
root.Subcommands.Add(azurite);
root.Subcommands.Add(faults);
root.Subcommands.Add(badInput);
root.Subcommands.Add(flood);
root.Subcommands.Add(quick);
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);

static StartupRun.Variant[] StartupVariants(string? app, string? r2rApp) =>
    r2rApp is null ? [new(app ?? "artifacts/app", app)] : [new($"JIT ({app ?? "artifacts/app"})", app), new($"ReadyToRun ({r2rApp})", r2rApp)];

// A run that cannot reach its expected state is a failed proof (exit 1) with one clear line, not a stack trace.
static async Task<int> Guard(Func<Task<int>> run)
{
    try
    {
        return await run().ConfigureAwait(false);
    }
    catch (Exception e) when (e is AlipayFunctions.Prove.Runs.ProveFailedException or InvalidOperationException or TimeoutException)
    {
        AnsiConsole.MarkupLine($"[red]FAILED:[/] {Markup.Escape(e.Message)}");
        return 1;
    }
}
