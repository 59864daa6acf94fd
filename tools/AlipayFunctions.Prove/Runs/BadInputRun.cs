using System.Globalization;
using System.Net.Sockets;
using System.Text;
using AlipayFunctions.Prove.BadInput;
using AlipayFunctions.Prove.Infrastructure;
using AlipayHK.OpenApi.Signing;
using Spectre.Console;

namespace AlipayFunctions.Prove.Runs;

/// <summary>
/// Replays the <see cref="Corpus"/> against the app with its queue workers off, so that anything queued stays
/// visible: every webhook must get its 4xx, no queue may hold a message and the table no row, and afterwards a
/// valid webhook must still be answered with a signed SUCCESS (and be the only message queued).
/// </summary>
internal static class BadInputRun
{
    public static async Task<int> RunAsync(string? appPath, string? markdown, CancellationToken ct)
    {
        var report = new Report("Bad input: hostile and broken webhooks");
        await using var stack = await ProveStack.StartAsync(new StackOptions { AppPath = appPath, RunListeners = false }, ct).ConfigureAwait(false);
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

        var queued = 0;
        foreach (var queue in new[] { "bills", "pass-create", "pass-sync" })
        {
            queued += (await stack.Queues.GetQueueClient(queue).PeekMessagesAsync(32, ct).ConfigureAwait(false)).Value.Length;
        }
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
        return report.Print(markdown);
    }

    /// <summary>Sends raw request bytes and returns the answer's status code (0 when the connection closed without one).</summary>
    internal static async Task<int> SendRawAsync(int port, byte[] request, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port, timeout.Token).ConfigureAwait(false);
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
                if (Encoding.Latin1.GetString([.. received]).Contains("\r\n\r\n", StringComparison.Ordinal))
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
        var head = Encoding.Latin1.GetString([.. received]);
        var parts = head.Split(' ', 3);
        return parts.Length >= 2 && parts[0].StartsWith("HTTP/", StringComparison.Ordinal) && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var status) ? status : 0;
    }
}
