using System.Diagnostics;
using System.Globalization;
using AlipayFunctions.Prove.Infrastructure;
using AlipayHK.OpenApi.Signing;
using Azure.Data.Tables;
using Spectre.Console;

namespace AlipayFunctions.Prove.Runs;

/// <summary>
/// Webhook ingest under load: signed bill/notify webhooks at fixed rates (open loop: each request leaves at its
/// scheduled time whether or not earlier ones were answered, and its latency counts from that time, so a stall
/// shows up in the percentiles instead of slowing the generator down), then closed-loop maximum throughput; in the
/// same run the ceiling: the raw send rate of the same queue client against the same Azurite. Queue functions are
/// off: this measures the front door.
/// </summary>
internal static class IngestRun
{
    // TargetStepDuration: how long the 200/s step (the one with the targets) lasts; null: StepDuration.
    public sealed record Settings(int[] Rates, TimeSpan StepDuration, int Concurrency, string? AppPath, TimeSpan? TargetStepDuration = null)
    {
        public TimeSpan DurationOf(int rate) => rate == TargetRate ? TargetStepDuration ?? StepDuration : StepDuration;
    }

    /// <summary>The rate the latency target is set for.</summary>
    public const int TargetRate = 200;

    public static async Task<int> RunAsync(Settings s, string? markdown, CancellationToken ct)
    {
        var report = new Report("Ingest: bill/notify webhooks against the published worker under the local Functions host");
        await using var stack = await ProveStack.StartAsync(new StackOptions { AppPath = s.AppPath, RunListeners = false }, ct).ConfigureAwait(false);
        report.Figure("app start (worker process start to first webhook answered)", Format.Ms(stack.App.LastStartup.TotalMilliseconds));

        // Pre-sign outside the timed loops: the generator must not spend its CPU on RSA while it measures.
        var perStep = s.Rates.Max(r => (int)(r * s.DurationOf(r).TotalSeconds));
        var pool = await AnsiConsole.Status().StartAsync($"Signing {perStep:N0} webhooks as AlipayHK...", _ => SignPoolAsync(stack, perStep, ct)).ConfigureAwait(false);

        await ClosedLoopAsync(s.Concurrency, TimeSpan.FromSeconds(2), (i, c) => SendWebhookAsync(stack, pool[i % pool.Count], c), ct).ConfigureAwait(false); // warm-up
        // Answers that reuse a signature carry the same Signature header: distinct headers are signatures made.
        Signatures.Clear();
        var wall = Stopwatch.StartNew();
        long answered = 0;
        var offset = 0;
        foreach (var rate in s.Rates)
        {
            var duration = s.DurationOf(rate);
            var count = (int)(rate * duration.TotalSeconds);
            var (latencies, failures, achieved) = await OpenLoopAsync(stack, pool, offset, count, rate, ct).ConfigureAwait(false);
            offset += count;
            answered += latencies.Count;
            var p99 = latencies.Percentile(0.99);
            var row = $"p50 {Format.Ms(latencies.Percentile(0.5))}, p99 {Format.Ms(p99)}, max {Format.Ms(latencies.Percentile(1))}; achieved {Format.Rate(achieved)}; failures {failures}";
            if (rate == TargetRate)
            {
                report.Check($"open loop {rate}/s for {duration.TotalSeconds:0} s ({count:N0} webhooks)", row, "p99 < 50 ms, no failures", p99 < 50 && failures == 0);
            }
            else
            {
                report.Check($"open loop {rate}/s for {duration.TotalSeconds:0} s ({count:N0} webhooks)", row, "no failures", failures == 0);
            }
        }
        var seconds = wall.Elapsed.TotalSeconds;
        var answerSignatures = Signatures.Count;
        report.Check("answer signatures made during the open-loop steps",
            $"{answerSignatures} for {answered:N0} answers in {seconds:0.0} s wall ({Format.Num(1000.0 * answerSignatures / Math.Max(1, answered))} per 1,000 answers; {Format.Num(answerSignatures / seconds)}/s)",
            "≤ 1 per second of wall time", answerSignatures <= Math.Ceiling(seconds) + 1);

        var queue = stack.Queues.GetQueueClient("prove-ceiling");
        await queue.CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);
        var text = """{"UserId":"2160000000000001","BillNo":"CEILING-0000000001","PointsProvider":"ALIPAYHK","Currency":"HKD","Value":12345,"PayTime":"2026-01-01T00:00:00+08:00","Source":"notify","TracerId":null}""";
        // Interleaved in three rounds of a step's length each side, so that a neighbour's burst on a shared machine
        // does not land on one side only.
        Throughput ingest = default, raw = default, storage = default;
        var slice = s.StepDuration;
        for (var round = 0; round < 3; round++)
        {
            raw += await ClosedLoopAsync(s.Concurrency, slice, async (_, c) => { await queue.SendMessageAsync(text, cancellationToken: c).ConfigureAwait(false); return true; }, ct).ConfigureAwait(false);
            ingest += await ClosedLoopAsync(s.Concurrency, slice, (i, c) => SendWebhookAsync(stack, pool[i % pool.Count], c), ct).ConfigureAwait(false);
            // The storage work a webhook must do, done raw: the replay check's point read (issue 14: a bill already
            // applied is not queued again) of a row that does not exist, then the send.
            storage += await ClosedLoopAsync(s.Concurrency, slice, async (i, c) =>
            {
                await stack.Table.GetEntityIfExistsAsync<TableEntity>("2160000000000001", $"bill|ALIPAYHK|CEILING-{i:D10}", ["BillState"], c).ConfigureAwait(false);
                await queue.SendMessageAsync(text, cancellationToken: c).ConfigureAwait(false);
                return true;
            }, ct).ConfigureAwait(false);
        }

        report.Figure($"ceiling: raw QueueClient.SendMessageAsync, same Azurite, {s.Concurrency} in flight (3 rounds of {slice.TotalSeconds:0} s interleaved with the webhooks)", Format.Rate(raw.Rate));
        report.Check($"closed loop: webhooks verified, queued, answered signed, {s.Concurrency} in flight",
            $"{Format.Rate(ingest.Rate)} ({Format.Num(100 * ingest.Rate / raw.Rate, "0")}% of raw queue sends); failures {ingest.Failures}",
            "≥ 80% of the raw queue-send rate", ingest.Rate >= 0.8 * raw.Rate && ingest.Failures == 0);
        report.Figure($"ceiling of the webhook's own storage work: a point read (the replay check) then a send, raw, {s.Concurrency} in flight (interleaved the same way)",
            $"{Format.Rate(storage.Rate)}; webhooks are {Format.Num(100 * ingest.Rate / storage.Rate, "0")}% of it (what the front door costs beyond its storage calls)");
        var (peak, workers) = stack.App.PeakOverWorkers();
        report.Figure("worker peak resident memory (VmHWM)", $"{peak:0} MiB ({workers} worker process{(workers == 1 ? "" : "es")})");
        return report.Print(markdown);
    }

    private static async Task<List<SignedMessage>> SignPoolAsync(ProveStack stack, int count, CancellationToken ct)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var pool = new List<SignedMessage>(count);
        for (var i = 0; i < count; i++)
        {
            var userId = "2160" + (100_000_000_000L + (i % 5000)).ToString(CultureInfo.InvariantCulture);
            var body = ProveStack.BillBody(userId, $"LOAD-{run}-{i:D7}", 100 + (i % 50_000));
            pool.Add(await stack.PlatformSigner.SignAsync(ProveStack.BillNotifyPath, body, ct).ConfigureAwait(false));
        }
        return pool;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> Signatures = new(StringComparer.Ordinal);

    private static async Task<bool> SendWebhookAsync(ProveStack stack, SignedMessage signed, CancellationToken ct)
    {
        using var request = ProveStack.WebhookRequest(ProveStack.BillNotifyPath, signed);
        using var answer = await stack.Http.SendAsync(request, ct).ConfigureAwait(false);
        var body = await answer.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        if (answer.Headers.TryGetValues(AlipayHeaders.Signature, out var signature))
        {
            Signatures.TryAdd(string.Join(",", signature), 0);
        }
        return answer.IsSuccessStatusCode && answer.Headers.Contains(AlipayHeaders.Signature)
            && body.AsSpan().IndexOf("\"resultStatus\":\"S\""u8) >= 0;
    }

    private static async Task<(Latencies Latencies, int Failures, double Achieved)> OpenLoopAsync(
        ProveStack stack, List<SignedMessage> pool, int offset, int count, int rate, CancellationToken ct)
    {
        var latencies = new Latencies();
        var failures = 0;
        var inFlight = new List<Task>(count);
        var clock = Stopwatch.StartNew();
        var interval = TimeSpan.FromSeconds(1.0 / rate);
        for (var i = 0; i < count; i++)
        {
            var due = interval * i;
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait, ct).ConfigureAwait(false);
            }
            var signed = pool[(offset + i) % pool.Count];
            inFlight.Add(Task.Run(async () =>
            {
                bool ok;
                try
                {
                    ok = await SendWebhookAsync(stack, signed, ct).ConfigureAwait(false);
                }
                // A request the client gave up on (HttpClient.Timeout, 30 s) is a failure to count, not the end of the run.
                catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested))
                {
                    ok = false;
                }
                // From the scheduled time, not the actual send: a late send is latency the caller saw.
                latencies.Add(clock.Elapsed - due);
                if (!ok)
                {
                    Interlocked.Increment(ref failures);
                }
            }, ct));
        }
        await Task.WhenAll(inFlight).ConfigureAwait(false);
        return (latencies, failures, count / clock.Elapsed.TotalSeconds);
    }

    /// <summary>As fast as <paramref name="concurrency"/> callers can go, for a duration: the completed rate.</summary>
    internal static async Task<Throughput> ClosedLoopAsync(int concurrency, TimeSpan duration, Func<int, CancellationToken, Task<bool>> call, CancellationToken ct)
    {
        var next = -1;
        var done = 0;
        var failures = 0;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < duration)
            {
                bool ok;
                try
                {
                    ok = await call(Interlocked.Increment(ref next), ct).ConfigureAwait(false);
                }
                // A request the client gave up on (HttpClient.Timeout, 30 s) is a failure to count, not the end of the run.
                catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested))
                {
                    ok = false;
                }
                Interlocked.Increment(ref done);
                if (!ok)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }, ct));
        await Task.WhenAll(workers).ConfigureAwait(false);
        return new Throughput(done, failures, clock.Elapsed);
    }
}

/// <summary>Calls completed (and failed) in a time; adds up over rounds.</summary>
internal readonly record struct Throughput(long Done, long Failures, TimeSpan Elapsed)
{
    public double Rate => Elapsed > TimeSpan.Zero ? Done / Elapsed.TotalSeconds : 0;

    public static Throughput operator +(Throughput a, Throughput b) => new(a.Done + b.Done, a.Failures + b.Failures, a.Elapsed + b.Elapsed);
}
