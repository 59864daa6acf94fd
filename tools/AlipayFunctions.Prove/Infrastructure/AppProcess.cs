using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using LocalFunctionsHost;
using FunctionsHost = LocalFunctionsHost.LocalFunctionsHost;

namespace AlipayFunctions.Prove.Infrastructure;

/// <summary>
/// The function app as it runs in Azure: the PUBLISHED isolated worker (tools/publish.sh's artifacts/app) started by a
/// Functions host (tools/LocalFunctionsHost, as a library) in a process of its own, configured only by app settings.
/// The worker process can be measured (start-up, memory) and SIGKILLed; the host starts it again, as the Functions
/// host does after a worker crash.
/// </summary>
internal sealed class AppProcess : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);

    private readonly FunctionsHost _host;
    private readonly Queue<string> _lastLines;
    private readonly string _probePath;

    private AppProcess(FunctionsHost host, Queue<string> lastLines, string probePath)
    {
        _host = host;
        _lastLines = lastLines;
        _probePath = probePath;
        BaseUrl = host.BaseAddress;
        Port = host.BaseAddress.Port;
    }

    /// <summary>The loopback port the host listens on (kept across worker restarts).</summary>
    public int Port { get; }

    /// <summary>Where the app answers, ending with <c>/</c>.</summary>
    public Uri BaseUrl { get; }

    /// <summary>From the latest worker process start to the first webhook it answered.</summary>
    public TimeSpan LastStartup { get; private set; }

    /// <summary>How many worker processes were started.</summary>
    public int Starts { get; private set; }

    /// <summary>The running worker process id (0 while none runs).</summary>
    public int ProcessId => _host.WorkerProcessId ?? 0;

    /// <summary>Whether a worker process runs.</summary>
    public bool IsRunning => _host.WorkerProcessId is { } pid && Alive(pid);

    /// <summary>
    /// Starts the host on <paramref name="port"/> with the published worker and waits until the worker answers a
    /// webhook (an unsigned POST to <paramref name="probePath"/>: a 4xx only the worker gives).
    /// </summary>
    public static async Task<AppProcess> StartAtAsync(AppLaunch launch, int port, string probePath, CancellationToken ct)
    {
        var lines = new Queue<string>();
        var options = new LocalHostOptions
        {
            ScriptRoot = launch.ScriptRoot,
            Port = port,
            StartTimeout = ReadyTimeout,
            Output = line => Remember(lines, line),
        };
        foreach (var (key, value) in launch.Settings)
        {
            options.Settings[key] = value;
        }
        var host = await FunctionsHost.StartAsync(options, ct).ConfigureAwait(false);
        var app = new AppProcess(host, lines, probePath);
        await app.WaitUntilAnsweringAsync(ct).ConfigureAwait(false);
        return app;
    }

    /// <summary>A free loopback port (released again, so a process can bind it).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>SIGKILL the worker: no shutdown code runs, exactly like a crash or an out-of-memory kill.</summary>
    public async Task KillAsync()
    {
        if (_host.WorkerProcessId is not { } pid)
        {
            return;
        }
        try
        {
            using var worker = Process.GetProcessById(pid);
            worker.Kill(entireProcessTree: false);
            await worker.WaitForExitAsync().ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
    }

    /// <summary>Waits until the host has started a new worker and it answers webhooks again.</summary>
    public Task RestartAsync(CancellationToken ct) => WaitUntilAnsweringAsync(ct);

    private async Task WaitUntilAnsweringAsync(CancellationToken ct)
    {
        using var probe = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (clock.Elapsed > ReadyTimeout)
            {
                throw new TimeoutException($"The worker did not answer a webhook within {ReadyTimeout.TotalSeconds:0} s:\n{LastOutput()}");
            }
            if (_host.WorkerProcessId is { } pid && Alive(pid))
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, _probePath.TrimStart('/')) { Content = new ByteArrayContent([]) };
                    using var answer = await probe.SendAsync(request, ct).ConfigureAwait(false);
                    // An unsigned webhook gets a 4xx from the worker; the host itself answers 5xx while no worker serves.
                    if ((int)answer.StatusCode is >= 400 and < 500)
                    {
                        using var worker = Process.GetProcessById(pid);
                        LastStartup = DateTime.Now - worker.StartTime;
                        Starts++;
                        return;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or ArgumentException or InvalidOperationException or TaskCanceledException)
                {
                }
            }
            await Task.Delay(5, ct).ConfigureAwait(false);
        }
    }

    private static bool Alive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The worker's resident memory now and its high-water mark (VmRSS, VmHWM from /proc), in MiB; zero when unknown.</summary>
    public (double RssMiB, double PeakMiB) ReadMemory()
    {
        try
        {
            double rss = 0, peak = 0;
            foreach (var line in File.ReadLines($"/proc/{ProcessId}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = Kib(line) / 1024.0;
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    peak = Kib(line) / 1024.0;
                }
            }
            return (rss, peak);
        }
        catch (IOException)
        {
            return (0, 0);
        }

        static long Kib(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    /// <summary>The last lines the host and worker wrote (for a failure message).</summary>
    public string LastOutput()
    {
        lock (_lastLines)
        {
            return string.Join('\n', _lastLines);
        }
    }

    private static void Remember(Queue<string> lines, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (lines)
        {
            lines.Enqueue(line);
            while (lines.Count > 40)
            {
                lines.Dequeue();
            }
        }
    }

    public async ValueTask DisposeAsync() => await _host.DisposeAsync().ConfigureAwait(false);
}

/// <summary>What the host runs: the worker's publish folder (the script root) and the app settings.</summary>
internal sealed record AppLaunch(string ScriptRoot, IReadOnlyDictionary<string, string> Settings)
{
    /// <summary>The publish output of tools/publish.sh (artifacts/app), or the folder <paramref name="path"/> names.</summary>
    public static AppLaunch Create(string? path, IReadOnlyDictionary<string, string> settings)
    {
        path ??= Path.Combine(Testing.AzuriteProcess.FindRepoRoot(), "artifacts", "app");
        if (!File.Exists(Path.Combine(path, "functions.metadata")) || !File.Exists(Path.Combine(path, "worker.config.json")))
        {
            throw new InvalidOperationException($"No published function app at {path} (functions.metadata, worker.config.json): run bash tools/publish.sh (or pass --app <publish folder>).");
        }
        return new AppLaunch(Path.GetFullPath(path), settings);
    }
}
