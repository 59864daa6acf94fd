using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AlipayFunctions.Prove.BadInput;
using AlipayFunctions.Prove.Infrastructure;
using AlipayHK.OpenApi.Signing;
using Spectre.Console;

namespace AlipayFunctions.Prove.Runs;

/// <summary>
/// Replays the <see cref="Corpus"/> and the <see cref="MiniAppCorpus"/> against the app with its queue workers off,
/// so that anything queued stays visible: every webhook must get its 4xx, every mini-app request its status and
/// error code at no merchant signature it should not cost, no queue may hold a message and the table no row; and
/// afterwards a valid webhook must still be answered with a signed SUCCESS (and be the only message queued) and a
/// genuine mini-app authorisation served.
/// </summary>
internal static partial class BadInputRun
{
    private const string DiagnosticCountersKey = "Diagnostics:ExposeCounters";

    /// <summary>The per-client limit the run configures (<c>MiniApp:RequestsPerMinutePerClient</c>).</summary>
    private const int PerClientLimit = 5;

    private static readonly IPAddress OverRateClient = new([127, 0, 9, 9]);

    public static async Task<int> RunAsync(string? appPath, string? markdown, CancellationToken ct)
    {
        var report = new Report("Bad input: hostile and broken webhooks and mini-app requests");
        await using var stack = await ProveStack.StartAsync(new StackOptions
        {
            AppPath = appPath,
            RunListeners = false,
            MiniApp = true,
            AppSettings = new Dictionary<string, string>
            {
                // Signatures are counted per case. Each mini-app case comes from its own client address, so the small
                // per-client limit is reached only where a case means to reach it.
                [DiagnosticCountersKey] = "true",
                ["MiniApp:RequestsPerMinutePerClient"] = PerClientLimit.ToString(CultureInfo.InvariantCulture),
            },
        }, ct).ConfigureAwait(false);
        var corpus = await Corpus.BuildAsync(stack.PlatformSigner, ProveStack.MerchantTag, ct: ct).ConfigureAwait(false);

        var wrong = new List<string>();
        var table = new Table().AddColumns("Case", "Expected", "Got");
        foreach (var bad in corpus)
        {
            var status = await SendRawAsync(stack.App.Port, bad.Request, ct).ConfigureAwait(false);
            var ok = status == bad.ExpectedStatus;
            table.AddRow(Markup.Escape(bad.Name), bad.ExpectedStatus.ToString(CultureInfo.InvariantCulture), ok ? $"[green]{status}[/]" : $"[red]{status}[/]");
            if (!ok)
            {
                wrong.Add($"{bad.Name}: {status}");
            }
            if (!stack.App.IsRunning)
            {
                throw new ProveFailedException($"The app died on '{bad.Name}':\n{stack.App.LastOutput()}");
            }
        }
        AnsiConsole.Write(table);
        var fourXx = corpus.Count(c => c.ExpectedStatus is >= 400 and < 500);
        report.Check("webhooks answered with their 4xx", $"{corpus.Count - wrong.Count}/{corpus.Count}" + (wrong.Count > 0 ? "; wrong: " + string.Join("; ", wrong) : ""),
            "every one, ≥ 50 cases", wrong.Count == 0 && corpus.Count >= 50 && fourXx == corpus.Count);

        await MiniAppCasesAsync(stack, report, ct).ConfigureAwait(false);

        var queued = await QueuedAsync(stack, ct).ConfigureAwait(false);
        var rows = 0;
        await foreach (var _ in stack.Table.QueryAsync<Azure.Data.Tables.TableEntity>(maxPerPage: 10, cancellationToken: ct).ConfigureAwait(false))
        {
            rows++;
        }
        report.Check("messages queued, rows written", $"{queued} messages (peeked: bills, pass-create, pass-sync), {rows} table rows", "none", queued == 0 && rows == 0);

        var body = ProveStack.BillBody("2160000000000001", "AFTER-BAD-INPUT", 10_000);
        var signed = await stack.PlatformSigner.SignAsync(ProveStack.BillNotifyPath, body, ct).ConfigureAwait(false);
        using var request = ProveStack.WebhookRequest(ProveStack.BillNotifyPath, signed);
        using var answer = await stack.Http.SendAsync(request, ct).ConfigureAwait(false);
        var text = await answer.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        var bills = (await stack.Queues.GetQueueClient("bills").PeekMessagesAsync(32, ct).ConfigureAwait(false)).Value;
        var served = answer.IsSuccessStatusCode && answer.Headers.Contains(AlipayHeaders.Signature) && text.Contains("\"resultStatus\":\"S\"", StringComparison.Ordinal);
        report.Check("a valid webhook afterwards", $"HTTP {(int)answer.StatusCode}, {(served ? "signed SUCCESS" : text)}; bills queue holds {bills.Length}", "signed SUCCESS, exactly 1 message queued", served && bills.Length == 1);

        // The mini-app channel was on and working all along: a genuine authorisation is served (one applyToken).
        var code = stack.Simulator.State.Authorizations.IssueAuthCode("2160000000000002").AuthCode;
        var before = await MiniAppSignaturesAsync(stack, ct).ConfigureAwait(false);
        var genuineBody = Encoding.UTF8.GetBytes(new JsonObject { ["authCode"] = code }.ToJsonString());
        var genuine = await ExchangeAsync(stack.App.Port, Corpus.Raw("POST", MiniAppCorpus.Authorize, [("Content-Type", "application/json")], genuineBody, true), Client(250), ct).ConfigureAwait(false);
        var spent = await MiniAppSignaturesAsync(stack, ct).ConfigureAwait(false) - before;
        var authorized = genuine.Status == 200 && genuine.Text.Contains("\"sessionToken\":\"v1.", StringComparison.Ordinal);
        report.Check("a genuine mini-app authorisation afterwards", $"HTTP {genuine.Status}{(authorized ? ", session issued" : "")}, {spent} signature(s)", "200 with a session, 1 signature", authorized && spent == 1);
        return report.Print(markdown);
    }

    /// <summary>
    /// The mini-app corpus: each case from its own loopback address (a real distinct client: the host writes the
    /// address it accepted into X-Forwarded-For), checked for its status, its error code, the merchant signatures it
    /// cost (the worker's counters) and that nothing was queued; then one client over its limit.
    /// </summary>
    private static async Task MiniAppCasesAsync(ProveStack stack, Report report, CancellationToken ct)
    {
        var cases = MiniAppCorpus.Build(stack.SessionSecret!, DateTimeOffset.UtcNow);
        var wrong = new List<string>();
        var table = new Table().AddColumns("Mini-app case", "Expected", "Got", "Signatures (allowed)");
        var spent = 0L;
        for (var i = 0; i < cases.Count; i++)
        {
            var bad = cases[i];
            var before = await MiniAppSignaturesAsync(stack, ct).ConfigureAwait(false);
            var answer = await ExchangeAsync(stack.App.Port, bad.Request, Client(i), ct).ConfigureAwait(false);
            var signed = await MiniAppSignaturesAsync(stack, ct).ConfigureAwait(false) - before;
            spent += signed;
            var queued = await QueuedAsync(stack, ct).ConfigureAwait(false);
            var code = ErrorCode(answer.Text);
            var ok = answer.Status == bad.ExpectedStatus && (bad.ExpectedCode is null || code == bad.ExpectedCode) && signed == bad.Signatures && queued == 0;
            var expected = $"{bad.ExpectedStatus} {bad.ExpectedCode}".Trim();
            var got = $"{answer.Status} {code}".Trim() + (queued > 0 ? $", {queued} queued" : "");
            table.AddRow(Markup.Escape(bad.Name), Markup.Escape(expected), ok ? $"[green]{Markup.Escape(got)}[/]" : $"[red]{Markup.Escape(got)}[/]",
                string.Create(CultureInfo.InvariantCulture, $"{signed} ({bad.Signatures})"));
            if (!ok)
            {
                wrong.Add($"{bad.Name}: {got}, {signed} signature(s)");
            }
            if (!stack.App.IsRunning)
            {
                throw new ProveFailedException($"The app died on '{bad.Name}':\n{stack.App.LastOutput()}");
            }
        }

        // Over the limit: one client sends PerClientLimit requests (each refused 400 for its body, no signature),
        // then one more: 429 with Retry-After. Claiming another address in X-Forwarded-For does not help; another
        // address claiming to be this one is another client.
        var limitedBefore = await MiniAppSignaturesAsync(stack, ct).ConfigureAwait(false);
        var early = new List<int>();
        for (var i = 0; i < PerClientLimit; i++)
        {
            early.Add((await ExchangeAsync(stack.App.Port, EmptyAuthorize(), OverRateClient, ct).ConfigureAwait(false)).Status);
        }
        var limited = await ExchangeAsync(stack.App.Port, EmptyAuthorize(), OverRateClient, ct).ConfigureAwait(false);
        var retryAfter = RetryAfter(limited.Text);
        var spoofed = await ExchangeAsync(stack.App.Port, EmptyAuthorize(("X-Forwarded-For", "198.51.100.7")), OverRateClient, ct).ConfigureAwait(false);
        var neighbour = await ExchangeAsync(stack.App.Port, EmptyAuthorize(("X-Forwarded-For", OverRateClient.ToString())), Client(251), ct).ConfigureAwait(false);
        var limitedSigned = await MiniAppSignaturesAsync(stack, ct).ConfigureAwait(false) - limitedBefore;
        var limitedQueued = await QueuedAsync(stack, ct).ConfigureAwait(false);
        var limitedCode = ErrorCode(limited.Text);
        var limitedOk = early.All(s => s == 400) && limited.Status == 429 && limitedCode == "TOO_MANY_REQUESTS" && retryAfter >= 1
            && spoofed.Status == 429 && neighbour.Status == 400 && limitedSigned == 0 && limitedQueued == 0;
        var limitedGot = $"{limited.Status} {limitedCode}, Retry-After {retryAfter?.ToString(CultureInfo.InvariantCulture) ?? "none"}";
        table.AddRow($"over {PerClientLimit}/min from one client (after {string.Join(",", early)})", "429 TOO_MANY_REQUESTS, Retry-After",
            limitedOk ? $"[green]{Markup.Escape(limitedGot)}[/]" : $"[red]{Markup.Escape(limitedGot)}[/]", string.Create(CultureInfo.InvariantCulture, $"{limitedSigned} (0)"));
        table.AddRow("  the same client claiming X-Forwarded-For 198.51.100.7", "429", Colour(spoofed.Status, 429), "");
        table.AddRow("  another client claiming to be the limited one", "400 (its own bucket)", Colour(neighbour.Status, 400), "");
        AnsiConsole.Write(table);
        if (!limitedOk)
        {
            wrong.Add($"over the limit: first {PerClientLimit} {string.Join(",", early)}, then {limitedGot}; spoofed {spoofed.Status}; other client {neighbour.Status}; {limitedSigned} signature(s), {limitedQueued} queued");
        }

        var total = cases.Count + 1;
        report.Check("mini-app requests: status, error code, signatures, nothing queued", $"{total - wrong.Count}/{total}" + (wrong.Count > 0 ? "; wrong: " + string.Join("; ", wrong) : ""),
            "every one, ≥ 30 cases", wrong.Count == 0 && total >= 30);
        var allowed = cases.Sum(c => c.Signatures);
        report.Check("mini-app signatures spent by the corpus", string.Create(CultureInfo.InvariantCulture, $"{spent} (the made-up authCode AlipayHK had to refuse)"),
            allowed.ToString(CultureInfo.InvariantCulture), spent == allowed);
    }

    private static byte[] EmptyAuthorize(params (string, string)[] extra) =>
        Corpus.Raw("POST", MiniAppCorpus.Authorize, [("Content-Type", "application/json"), .. extra], "{}"u8.ToArray(), true);

    private static string Colour(int status, int expected) =>
        status == expected ? $"[green]{status}[/]" : $"[red]{status}[/]";

    /// <summary>127.0.(1 + i / 250).(2 + i % 250): a loopback address per client.</summary>
    internal static IPAddress Client(int i) => new([127, 0, (byte)(1 + (i / 250)), (byte)(2 + (i % 250))]);

    internal static async Task<long> MiniAppSignaturesAsync(ProveStack stack, CancellationToken ct) =>
        (await CountersAsync(stack, ct).ConfigureAwait(false))["miniAppSignaturesMade"]!.GetValue<long>();

    /// <summary>The worker's <c>GET /diagnostics/counters</c> (<c>Diagnostics:ExposeCounters=true</c>).</summary>
    internal static async Task<JsonNode> CountersAsync(ProveStack stack, CancellationToken ct) =>
        JsonNode.Parse(await stack.Http.GetStringAsync(new Uri("diagnostics/counters", UriKind.Relative), ct).ConfigureAwait(false))!;

    private static async Task<int> QueuedAsync(ProveStack stack, CancellationToken ct)
    {
        var queued = 0;
        foreach (var queue in new[] { "bills", "pass-create", "pass-sync" })
        {
            queued += (await stack.Queues.GetQueueClient(queue).PeekMessagesAsync(32, ct).ConfigureAwait(false)).Value.Length;
        }
        return queued;
    }

    private static string? ErrorCode(string answer) =>
        CodePattern().Match(answer) is { Success: true } m ? m.Groups[1].Value : null;

    private static int? RetryAfter(string answer) =>
        RetryAfterPattern().Match(answer) is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;

    [GeneratedRegex("\"code\":\"([A-Z_]+)\"")]
    private static partial Regex CodePattern();

    [GeneratedRegex(@"^Retry-After: *([0-9]+)\r?$", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex RetryAfterPattern();

    /// <summary>Sends raw request bytes and returns the answer's status code (0 when the connection closed without one).</summary>
    internal static async Task<int> SendRawAsync(int port, byte[] request, CancellationToken ct) =>
        (await ExchangeAsync(port, request, null, ct, wholeAnswer: false).ConfigureAwait(false)).Status;

    /// <summary>
    /// Sends raw request bytes from <paramref name="source"/> (a loopback address: a distinct client; null for any)
    /// and reads the answer: its head, or with <paramref name="wholeAnswer"/> everything until the server closes
    /// (the requests say Connection: close), at most 64 KiB.
    /// </summary>
    internal static async Task<RawAnswer> ExchangeAsync(int port, byte[] request, IPAddress? source, CancellationToken ct, bool wholeAnswer = true)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        using var client = source is null ? new TcpClient() : new TcpClient(new IPEndPoint(source, 0));
        await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token).ConfigureAwait(false);
        var stream = client.GetStream();
        // Write while reading: the server may answer (413) and close before it has read a large body.
        var writing = Task.Run(async () =>
        {
            try
            {
                await stream.WriteAsync(request, timeout.Token).ConfigureAwait(false);
            }
            catch (IOException)
            {
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);
        var received = new List<byte>();
        var buffer = new byte[4096];
        try
        {
            while (received.Count < 64 * 1024)
            {
                var read = await stream.ReadAsync(buffer, timeout.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                received.AddRange(buffer.AsSpan(0, read));
                if (!wholeAnswer && Encoding.Latin1.GetString([.. received]).Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    break;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }
        client.Close();
        await writing.ConfigureAwait(false);
        var text = Encoding.Latin1.GetString([.. received]);
        var parts = text.Split(' ', 3);
        var status = parts.Length >= 2 && parts[0].StartsWith("HTTP/", StringComparison.Ordinal) && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var s) ? s : 0;
        return new RawAnswer(status, text);
    }

    /// <summary>The status (0 when the connection closed without one) and the answer's text as received.</summary>
    internal sealed record RawAnswer(int Status, string Text);
}
