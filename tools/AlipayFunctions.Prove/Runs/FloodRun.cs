using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlipayFunctions.Prove.Infrastructure;
using AlipayFunctions.Testing;
using AlipayHK.OpenApi.Signing;
using Spectre.Console;

namespace AlipayFunctions.Prove.Runs;

/// <summary>
/// The mini-app flood (issue 14): bogus authorisations at full speed from several client addresses against the
/// published worker under the local host, while bill/notify webhooks for new bills are sent one after another. The
/// request limits are opened wide so that only the signing budget limits the flood. Checks: mini-app signatures at
/// most the configured budget over the elapsed time, one signature per authorisation that went out and none for a
/// refused one, every bill/notify answer a SUCCESS whose signature verifies with the merchant's public key, no
/// priority signature over the budget. bill/notify latency alone before the flood, during it, and alone after it,
/// side by side. Queue functions are off: this measures the front door and the signer.
/// </summary>
internal static class FloodRun
{
    public sealed record Settings(int Requests, int Senders, int MiniAppSignaturesPerSecond, int SignaturesPerSecond, int Quiet, string? AppPath);

    public static async Task<int> RunAsync(Settings s, string? markdown, CancellationToken ct)
    {
        var report = new Report("Flood: bogus mini-app authorisations while bill/notify is answered");
        await using var stack = await ProveStack.StartAsync(new StackOptions
        {
            AppPath = s.AppPath,
            RunListeners = false,
            MiniApp = true,
            AppSettings = new Dictionary<string, string>
            {
                ["Diagnostics:ExposeCounters"] = "true",
                // Only the signing cap limits the flood: the request limits are opened wide.
                ["MiniApp:RequestsPerMinutePerClient"] = "100000",
                ["MiniApp:RequestsPerSecond"] = "100000",
                ["Signing:SignaturesPerSecond"] = s.SignaturesPerSecond.ToString(CultureInfo.InvariantCulture),
                ["Signing:MiniAppSignaturesPerSecond"] = s.MiniAppSignaturesPerSecond.ToString(CultureInfo.InvariantCulture),
                ["AlipayHK:Timeout"] = "00:00:10",
            },
        }, ct).ConfigureAwait(false);
        using var merchant = RSA.Create();
        merchant.ImportFromPem(stack.MerchantPrivatePem);
        var verifier = new AlipaySignatureVerifier(merchant.ExportSubjectPublicKeyInfoPem());
        var run = Guid.NewGuid().ToString("N")[..8];
        var billNo = 0;
        async Task<(double Ms, string? Wrong)> NotifyAsync()
        {
            var body = ProveStack.BillBody("2160000000000001", $"FLOOD-{run}-{Interlocked.Increment(ref billNo):D6}", 1000);
            var signed = await stack.PlatformSigner.SignAsync(ProveStack.BillNotifyPath, body, ct).ConfigureAwait(false);
            using var request = ProveStack.WebhookRequest(ProveStack.BillNotifyPath, signed);
            var clock = Stopwatch.StartNew();
            using var answer = await stack.Http.SendAsync(request, ct).ConfigureAwait(false);
            var bytes = await answer.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            var ms = clock.Elapsed.TotalMilliseconds;
            return (ms, SignedSuccess(answer, bytes, verifier));
        }

        // Warm-up (first calls JIT the paths), then bill/notify alone.
        for (var i = 0; i < 5; i++)
        {
            await NotifyAsync().ConfigureAwait(false);
        }
        var wrong = new List<string>();
        var before = await SequentialAsync(NotifyAsync, s.Quiet, wrong).ConfigureAwait(false);
        var countersBefore = await BadInputRun.CountersAsync(stack, ct).ConfigureAwait(false);

        // The flood: each sender its own client address (127.0.5.x), as many distinct clients would.
        var statuses = new ConcurrentBag<HttpStatusCode>();
        var failures = new ConcurrentBag<string>();
        var next = 0;
        var floodClock = Stopwatch.StartNew();
        var senders = Enumerable.Range(0, s.Senders).Select(sender => Task.Run(async () =>
        {
            using var http = SourceAddressClient.Create(new IPAddress([127, 0, 5, (byte)(2 + sender)]), stack.App.BaseUrl, TimeSpan.FromSeconds(30));
            while (Interlocked.Increment(ref next) <= s.Requests)
            {
                try
                {
                    using var content = new StringContent(new JsonObject { ["authCode"] = "made-up-" + Guid.NewGuid().ToString("N") }.ToJsonString(), Encoding.UTF8, "application/json");
                    using var response = await http.PostAsync(new Uri(BadInput.MiniAppCorpus.Authorize.TrimStart('/'), UriKind.Relative), content, ct).ConfigureAwait(false);
                    statuses.Add(response.StatusCode);
                }
                catch (HttpRequestException e)
                {
                    failures.Add(e.Message);
                }
                catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
                {
                    failures.Add(e.Message);
                }
            }
        }, ct)).ToArray();
        var during = new Latencies();
        while (!senders.All(t => t.IsCompleted))
        {
            var (ms, problem) = await NotifyAsync().ConfigureAwait(false);
            during.Add(TimeSpan.FromMilliseconds(ms));
            if (problem is not null)
            {
                wrong.Add("during: " + problem);
            }
        }
        await Task.WhenAll(senders).ConfigureAwait(false);
        var seconds = floodClock.Elapsed.TotalSeconds;
        var countersAfter = await BadInputRun.CountersAsync(stack, ct).ConfigureAwait(false);
        var after = await SequentialAsync(NotifyAsync, s.Quiet, wrong).ConfigureAwait(false);

        long Delta(string name) => countersAfter[name]!.GetValue<long>() - countersBefore[name]!.GetValue<long>();
        var miniAppSigned = Delta("miniAppSignaturesMade");
        var refused = statuses.Count(x => x == HttpStatusCode.TooManyRequests);
        var refusedByBudget = Delta("miniAppSignaturesRefused");
        var reached = statuses.Count - refused;
        var cap = (long)s.MiniAppSignaturesPerSecond * ((long)Math.Ceiling(seconds) + 1);
        var unexpected = statuses.Where(x => x is not (HttpStatusCode.TooManyRequests or HttpStatusCode.BadRequest or HttpStatusCode.ServiceUnavailable))
            .GroupBy(x => (int)x).Select(g => $"{g.Count()} × {g.Key}").ToList();
        report.Figure("flood", string.Create(CultureInfo.InvariantCulture,
            $"{s.Requests:N0} authorisations with made-up codes, {s.Senders} senders from {s.Senders} client addresses, in {seconds:0.0} s ({s.Requests / seconds:0}/s); {reached} reached AlipayHK (refused: 400/503), {refused} refused 429 ({refusedByBudget} by the signing budget)"));
        report.Check("flood answered", string.Create(CultureInfo.InvariantCulture, $"{statuses.Count}/{s.Requests}; transport failures {failures.Count}; other statuses {(unexpected.Count == 0 ? "none" : string.Join(", ", unexpected))}"),
            "every one 429, 400 or 503", statuses.Count == s.Requests && failures.IsEmpty && unexpected.Count == 0);
        report.Check("mini-app signatures", string.Create(CultureInfo.InvariantCulture, $"{miniAppSigned} in {seconds:0.0} s (budget {s.MiniAppSignaturesPerSecond}/s)"),
            string.Create(CultureInfo.InvariantCulture, $"≤ {cap} ({s.MiniAppSignaturesPerSecond} × (⌈elapsed⌉ + 1)), = requests not refused ({reached})"), miniAppSigned <= cap && miniAppSigned == reached && miniAppSigned > 0);
        report.Check("priority signatures over the budget", Delta("signaturesOverBudget").ToString(CultureInfo.InvariantCulture), "0", Delta("signaturesOverBudget") == 0);
        var answers = before.Count + during.Count + after.Count;
        report.Check("bill/notify answers signed SUCCESS (signature verified with the merchant's public key)",
            string.Create(CultureInfo.InvariantCulture, $"{answers - wrong.Count}/{answers}") + (wrong.Count > 0 ? "; wrong: " + string.Join("; ", wrong.Take(5)) : ""),
            "every one, ≥ 1 during the flood", wrong.Count == 0 && during.Count > 0);
        report.Figure("bill/notify alone, before the flood", Summary(before));
        report.Figure("bill/notify during the flood", Summary(during));
        report.Figure("bill/notify alone, after the flood", Summary(after));
        report.Figure("answer signatures made / reused during the flood", string.Create(CultureInfo.InvariantCulture, $"{Delta("webhookAnswerSignaturesMade")} / {Delta("webhookAnswerSignaturesReused")}"));
        AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"bill/notify p50 alone {before.Percentile(0.5):0} ms, during {during.Percentile(0.5):0} ms, after {after.Percentile(0.5):0} ms")));
        return report.Print(markdown);
    }

    private static async Task<Latencies> SequentialAsync(Func<Task<(double Ms, string? Wrong)>> notify, int count, List<string> wrong)
    {
        var latencies = new Latencies();
        for (var i = 0; i < count; i++)
        {
            var (ms, problem) = await notify().ConfigureAwait(false);
            latencies.Add(TimeSpan.FromMilliseconds(ms));
            if (problem is not null)
            {
                wrong.Add(problem);
            }
        }
        return latencies;
    }

    private static string Summary(Latencies l) => l.Count == 0 ? "none" :
        string.Create(CultureInfo.InvariantCulture, $"{l.Count} answers: p50 {Format.Ms(l.Percentile(0.5))}, p95 {Format.Ms(l.Percentile(0.95))}, max {Format.Ms(l.Percentile(1))}");

    /// <summary>Null when the answer is a SUCCESS whose signature verifies; otherwise what is wrong.</summary>
    private static string? SignedSuccess(HttpResponseMessage answer, byte[] body, AlipaySignatureVerifier verifier)
    {
        string? Header(string name) => answer.Headers.TryGetValues(name, out var values) ? values.First() : null;
        if (answer.StatusCode != HttpStatusCode.OK)
        {
            return $"HTTP {(int)answer.StatusCode}";
        }
        string? status = null, code = null;
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.TryGetProperty("result", out var result))
            {
                status = result.TryGetProperty("resultStatus", out var st) ? st.GetString() : null;
                code = result.TryGetProperty("resultCode", out var c) ? c.GetString() : null;
            }
        }
        catch (JsonException)
        {
            return "not JSON";
        }
        if (status != "S" || code != "SUCCESS")
        {
            return $"{status}/{code}";
        }
        var signature = Header(AlipayHeaders.Signature);
        var valid = signature is not null && Header(AlipayHeaders.ResponseTime) is { } time && Header(AlipayHeaders.ClientId) is { } clientId
            && verifier.Verify("POST", ProveStack.BillNotifyPath, clientId, time, body, signature) == SignatureRejection.None;
        return valid ? null : "signature missing or not valid";
    }
}
