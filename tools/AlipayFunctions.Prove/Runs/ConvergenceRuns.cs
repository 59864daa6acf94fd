using System.Diagnostics;
using AlipayFunctions.Prove.Infrastructure;
using AlipayFunctions.Testing;
using AlipayHK.Simulator.Faults;

namespace AlipayFunctions.Prove.Runs;

/// <summary>
/// The end-to-end workload, undisturbed (<c>e2e</c>: speed, coalescing, memory) and disturbed: the worker process
/// SIGKILLed and restarted by the host (<c>kill</c>), Azurite restarted from disk (<c>azurite-restart</c>), AlipayHK failing a fifth of
/// the pass calls (<c>faults</c>). The disturbed runs must end in exactly the same state as an undisturbed one.
/// </summary>
internal static class ConvergenceRuns
{
    public sealed record Settings(int Members, int PaymentsPerMember, int Rate, string? AppPath, TimeSpan ConvergeTimeout);

    // The retry delay after a failed delivery (host.json extensions.queues.visibilityTimeout) and the polling interval
    // are shortened so the run does not wait minutes: ordinary host.json overrides, set as app settings.
    private const string QueuesHost = "AzureFunctionsJobHost:extensions:queues:";

    private static readonly Dictionary<string, string> FastRecovery = new(StringComparer.Ordinal)
    {
        [QueuesHost + "visibilityTimeout"] = "00:00:00.500",
        [QueuesHost + "maxPollingInterval"] = "00:00:01",
    };

    public static async Task<int> EndToEndAsync(Settings s, string? markdown, CancellationToken ct)
    {
        var report = new Report($"End to end: {s.Members:N0} members × {s.PaymentsPerMember} payments");
        await using var stack = await ProveStack.StartAsync(new StackOptions { AppPath = s.AppPath }, ct).ConfigureAwait(false);
        var workload = new LoyaltyWorkload(stack, s.Members, s.PaymentsPerMember, s.Rate);
        double peakRss = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peakRss = Math.Max(peakRss, stack.App.ReadMemory().RssMiB);
                try
                {
                    await Task.Delay(100, sampling.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }, CancellationToken.None);

        await workload.RunAsync(s.ConvergeTimeout, ct).ConfigureAwait(false);
        await sampling.CancelAsync().ConfigureAwait(false);
        await sampler.ConfigureAwait(false);

        report.Figure("members joined (membercard/create answered, 64 in flight)", $"{workload.EnrolTime.TotalSeconds:0.0} s");
        report.Figure($"payments sent at {s.Rate}/s in bursts of {s.PaymentsPerMember}, all answered", $"{workload.PaymentsSentTime.TotalSeconds:0.0} s");
        report.Figure("first payment to every card showing its final balance", $"{workload.ConvergenceTime.TotalSeconds:0.0} s");
        var (calls, succeeded) = workload.UpdatePassCalls();
        var perPayment = (double)calls / workload.Payments;
        report.Check("updatePass calls per payment", $"{Format.Num(perPayment, "0.000")} ({calls:N0} calls, {succeeded:N0} succeeded, {workload.Payments:N0} payments)", "≤ 0.3", perPayment <= 0.3);
        // The worker's own process, not the host's (the host runs in this process): the highest VmHWM over every
        // worker pid the host ran, read every 100 ms while it lived.
        var (hwm, workers) = stack.App.PeakOverWorkers();
        var peak = Math.Max(peakRss, hwm);
        report.Check("worker process peak resident memory during the run", $"{peak:0} MiB = {peak * 1.048576:0} MB (VmHWM {hwm:0} MiB over {workers} worker process{(workers == 1 ? "" : "es")}, sampled VmRSS peak {peakRss:0} MiB)", "≤ 250 MB", peak <= 250 * 1_000_000.0 / (1024 * 1024));
        await workload.VerifyAsync(report, crashes: false, ct).ConfigureAwait(false);
        return report.Print(markdown);
    }

    public static async Task<int> KillAsync(Settings s, int kills, string? markdown, CancellationToken ct)
    {
        var report = new Report($"Crash: worker process SIGKILLed {kills} times during {s.Members:N0} members × {s.PaymentsPerMember} payments");
        await using var stack = await ProveStack.StartAsync(new StackOptions { AppPath = s.AppPath, AppSettings = FastRecovery, WebhookTimeFactor = 1200 }, ct).ConfigureAwait(false);
        var workload = new LoyaltyWorkload(stack, s.Members, s.PaymentsPerMember, s.Rate);
        var random = new Random();
        var restarts = new List<double>();
        var load = workload.RunAsync(s.ConvergeTimeout, ct, allowFlagged: true);
        var done = 0;
        while (done < kills)
        {
            // Random moments: during enrolment, payments, or the queue work after them.
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(300, 2500)), ct).ConfigureAwait(false);
            await stack.App.KillAsync().ConfigureAwait(false);
            done++;
            await stack.App.RestartAsync(ct).ConfigureAwait(false);
            restarts.Add(stack.App.LastStartup.TotalMilliseconds);
        }
        await load.ConfigureAwait(false);
        // Kills after the payments were answered hit the queue work; wait for the cards again after the last one.
        await workload.WaitForCardsAsync(s.ConvergeTimeout, ct).ConfigureAwait(false);
        report.Check("SIGKILLs during the load", $"{done} (new worker process start to first webhook answered: median {Format.Ms(restarts.Order().ElementAt(restarts.Count / 2))})", $"≥ {kills}", done >= kills);
        report.Figure("webhook retries by the simulator (app down or no S)", workload.WebhookRetries.ToString(System.Globalization.CultureInfo.InvariantCulture));
        report.Figure("first payment to every card showing its final balance", $"{workload.ConvergenceTime.TotalSeconds:0.0} s");
        await workload.VerifyAsync(report, crashes: true, ct).ConfigureAwait(false);
        return report.Print(markdown);
    }

    public static async Task<int> AzuriteRestartAsync(Settings s, string? markdown, CancellationToken ct)
    {
        var report = new Report($"Storage restart: Azurite (persisted to disk) restarted during {s.Members:N0} members × {s.PaymentsPerMember} payments");
        var folder = Directory.CreateTempSubdirectory("prove-azurite-");
        try
        {
            var azurite = new AzuriteStartOptions { Location = folder.FullName, BlobPort = AppProcess.FreePort(), QueuePort = AppProcess.FreePort(), TablePort = AppProcess.FreePort() };
            await using var stack = await ProveStack.StartAsync(new StackOptions { AppPath = s.AppPath, Azurite = azurite, AppSettings = FastRecovery, WebhookTimeFactor = 1200 }, ct).ConfigureAwait(false);
            var workload = new LoyaltyWorkload(stack, s.Members, s.PaymentsPerMember, s.Rate);
            var load = workload.RunAsync(s.ConvergeTimeout, ct);
            var restarts = 0;
            var downtime = Stopwatch.StartNew();
            // In the middle: once members have joined and payments are flowing, then once more during the queue work.
            foreach (var wait in new[] { TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(4) })
            {
                await Task.Delay(wait, ct).ConfigureAwait(false);
                if (load.IsCompleted)
                {
                    break;
                }
                downtime.Restart();
                await stack.RestartAzuriteAsync(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
                restarts++;
                report.Figure($"restart {restarts}: Azurite down (SIGTERM to answering again)", $"{downtime.Elapsed.TotalSeconds:0.0} s");
            }
            await load.ConfigureAwait(false);
            report.Check("Azurite restarts in the middle of the run", restarts.ToString(System.Globalization.CultureInfo.InvariantCulture), "≥ 1", restarts >= 1);
            report.Figure("webhook retries by the simulator", workload.WebhookRetries.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await workload.VerifyAsync(report, crashes: false, ct).ConfigureAwait(false);
            return report.Print(markdown);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    public static async Task<int> FaultsAsync(Settings s, string? markdown, CancellationToken ct)
    {
        var report = new Report($"AlipayHK faults: 20% of createPass/updatePass fail (U, 500, 429, timeout), {s.Members:N0} members × {s.PaymentsPerMember} payments");
        var settings = new Dictionary<string, string>(FastRecovery, StringComparer.Ordinal)
        {
            ["AlipayHK:Timeout"] = "00:00:01",
            [QueuesHost + "visibilityTimeout"] = "00:00:00.200",
            // At a 20% failure rate 5 deliveries in a row fail for 1 message in 3,125 (0.2^5): with the Functions
            // default of 5 such a message goes to the poison queue for an operator. This run asks for convergence
            // without an operator, so it allows 10 deliveries (1 in ~10 million).
            [QueuesHost + "maxDequeueCount"] = "10",
        };
        await using var stack = await ProveStack.StartAsync(new StackOptions { AppPath = s.AppPath, AppSettings = settings }, ct).ConfigureAwait(false);
        // Four kinds with equal chances, 1-(1-p)^4 = 0.2 per call.
        var p = 1 - Math.Pow(0.8, 0.25);
        foreach (var api in new[] { "createPass", "updatePass" })
        {
            foreach (var kind in new[] { FaultKind.UnknownException, FaultKind.Http500, FaultKind.Http429, FaultKind.Delay })
            {
                stack.Simulator.Faults.Add(new FaultRule { Path = api, Kind = kind, Mode = FaultMode.Probability, Probability = p, Delay = TimeSpan.FromSeconds(2), RetryAfter = TimeSpan.FromMilliseconds(200) });
            }
        }
        var workload = new LoyaltyWorkload(stack, s.Members, s.PaymentsPerMember, s.Rate);
        await workload.RunAsync(s.ConvergeTimeout, ct).ConfigureAwait(false);
        var rules = stack.Simulator.Faults.List();
        var calls = stack.Simulator.State.Calls.List().Count(c => c.Api is "createPass" or "updatePass");
        var hits = rules.Sum(r => r.Hits);
        report.Check("faults injected", $"{hits} of {calls} createPass/updatePass calls ({Format.Num(100.0 * hits / Math.Max(1, calls), "0.0")}%): " + string.Join(", ", rules.GroupBy(r => r.Kind).Select(g => $"{g.Key} {g.Sum(r => r.Hits)}")), "about 20%", calls > 0 && hits > 0);
        report.Figure("first payment to every card showing its final balance", $"{workload.ConvergenceTime.TotalSeconds:0.0} s");
        await workload.VerifyAsync(report, crashes: false, ct).ConfigureAwait(false);
        return report.Print(markdown);
    }
}
