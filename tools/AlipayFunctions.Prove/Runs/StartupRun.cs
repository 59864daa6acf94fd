using AlipayFunctions.Prove.Infrastructure;
using AlipayHK.OpenApi.Signing;

namespace AlipayFunctions.Prove.Runs;

/// <summary>
/// Start-up, as a cold instance starts: the local Functions host is started afresh (against a running Azurite and
/// simulator), starts the published worker, and the time counts from the worker process's start to the first
/// webhook answered through the host: a signed bill/notify verified, its bill queued and the answer signed SUCCESS
/// (so the storage SDK and signing paths are part of it, not only the listener). Several publish folders (JIT and
/// ReadyToRun) are measured interleaved, start by start, so that a neighbour's load falls on both alike. The first
/// start of each warms the OS file cache and is reported apart.
/// </summary>
internal static class StartupRun
{
    /// <summary>A publish folder to measure (null: artifacts/app) and its name in the report.</summary>
    public sealed record Variant(string Label, string? AppPath);

    public static async Task<int> RunAsync(int starts, double targetMs, IReadOnlyList<Variant> variants, string? markdown, CancellationToken ct)
    {
        var report = new Report($"Start-up: worker process start to the first signed bill/notify answered SUCCESS through the local host ({string.Join(" vs ", variants.Select(v => v.Label))})");
        var stacks = new List<ProveStack>();
        try
        {
            foreach (var variant in variants)
            {
                stacks.Add(await ProveStack.StartAsync(new StackOptions { AppPath = variant.AppPath }, ct).ConfigureAwait(false));
            }
            var firsts = new double[variants.Count];
            var times = variants.Select(_ => new List<double>()).ToList();
            for (var i = -1; i < starts; i++)
            {
                for (var v = 0; v < variants.Count; v++)
                {
                    var stack = stacks[v];
                    var body = ProveStack.BillBody("2160000000000001", $"STARTUP-{Guid.NewGuid():N}", 10_000);
                    var signed = await stack.PlatformSigner.SignAsync(ProveStack.BillNotifyPath, body, ct).ConfigureAwait(false);
                    var probe = new Probe("a signed bill/notify (SUCCESS)", () => ProveStack.WebhookRequest(ProveStack.BillNotifyPath, signed), IsSignedSuccess);
                    await stack.RestartHostAsync(probe, ct).ConfigureAwait(false);
                    if (i < 0)
                    {
                        firsts[v] = stack.App.LastStartup.TotalMilliseconds;
                    }
                    else
                    {
                        times[v].Add(stack.App.LastStartup.TotalMilliseconds);
                    }
                }
            }
            for (var v = 0; v < variants.Count; v++)
            {
                var t = times[v].Order().ToList();
                var median = t.Count % 2 == 1 ? t[t.Count / 2] : (t[t.Count / 2 - 1] + t[t.Count / 2]) / 2;
                report.Figure($"{variants[v].Label}: first start (cold file cache)", Format.Ms(firsts[v]));
                report.Check($"{variants[v].Label}: worker process start to first webhook answered, {starts} starts",
                    $"median {Format.Ms(median)}, min {Format.Ms(t[0])}, max {Format.Ms(t[^1])}", $"median ≤ {targetMs:0} ms", median <= targetMs);
                report.Figure($"{variants[v].Label}: worker resident memory after the first webhook (VmRSS)", $"{stacks[v].App.ReadMemory().RssMiB:0} MiB");
            }
            return report.Print(markdown);
        }
        finally
        {
            foreach (var stack in stacks)
            {
                await stack.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static bool IsSignedSuccess(HttpResponseMessage answer, byte[] body) =>
        answer.IsSuccessStatusCode && answer.Headers.Contains(AlipayHeaders.Signature) && body.AsSpan().IndexOf("\"resultStatus\":\"S\""u8) >= 0;
}
