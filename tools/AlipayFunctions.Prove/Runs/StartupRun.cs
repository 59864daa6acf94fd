using AlipayFunctions.Prove.Infrastructure;

namespace AlipayFunctions.Prove.Runs;

/// <summary>
/// Start-up: from the worker process start to the first webhook it answers, measured over several worker starts
/// (SIGKILL; the host starts a new worker) against a running Azurite and simulator. The first start warms the OS
/// file cache and is reported apart.
/// </summary>
internal static class StartupRun
{
    public static async Task<int> RunAsync(int starts, double targetMs, string? appPath, string? markdown, CancellationToken ct)
    {
        var label = appPath ?? "artifacts/app (tools/publish.sh)";
        var report = new Report($"Start-up: {label}");
        await using var stack = await ProveStack.StartAsync(new StackOptions { AppPath = appPath }, ct).ConfigureAwait(false);
        var first = stack.App.LastStartup.TotalMilliseconds;
        var times = new List<double>();
        for (var i = 0; i < starts; i++)
        {
            await stack.App.KillAsync().ConfigureAwait(false);
            await stack.App.RestartAsync(ct).ConfigureAwait(false);
            times.Add(stack.App.LastStartup.TotalMilliseconds);
        }
        times.Sort();
        var median = times[times.Count / 2];
        report.Figure("first start (cold file cache)", Format.Ms(first));
        report.Check($"worker process start to first webhook answered, {starts} starts",
            $"median {Format.Ms(median)}, min {Format.Ms(times[0])}, max {Format.Ms(times[^1])}", $"median ≤ {targetMs:0} ms", median <= targetMs);
        report.Figure("resident memory after start (VmRSS)", $"{stack.App.ReadMemory().RssMiB:0} MiB");
        return report.Print(markdown);
    }
}
