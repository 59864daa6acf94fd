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
    private readonly Probe _probe;
    private readonly Dictionary<int, double> _peaks = [];

    private AppProcess(FunctionsHost host, Queue<string> lastLines, Probe probe)
    {
        _host = host;
        _lastLines = lastLines;
        _probe = probe;
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
    /// Starts the host on <paramref name="port"/> with the published worker and waits until the worker answers
    /// <paramref name="probe"/> through the host.
    /// </summary>
    public static async Task<AppProcess> StartAtAsync(AppLaunch launch, int port, Probe probe, CancellationToken ct)
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
        var app = new AppProcess(host, lines, probe);
        await app.WaitUntilAnsweringAsync(probe, ct).ConfigureAwait(false);
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
    public Task RestartAsync(CancellationToken ct) => WaitUntilAnsweringAsync(_probe, ct);

    // The host publishes the worker's pid only once the worker has loaded its functions (it holds requests until
    // then), so the first probe goes out within a few ms of the worker being ready; the time counts from the worker
    // process's start (/proc start time, 10 ms resolution) to the probe's answer.
    private async Task WaitUntilAnsweringAsync(Probe probe, CancellationToken ct)
    {
        using var client = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (clock.Elapsed > ReadyTimeout)
            {
                throw new TimeoutException($"The worker did not answer {probe.Name} within {ReadyTimeout.TotalSeconds:0} s:\n{LastOutput()}");
            }
            if (_host.WorkerProcessId is { } pid && Alive(pid))
            {
                try
                {
                    using var request = probe.Request();
                    using var answer = await client.SendAsync(request, ct).ConfigureAwait(false);
                    var body = await answer.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
                    if (probe.Answered(answer, body))
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

    /// <summary>
    /// The running worker's resident memory now and its high-water mark (VmRSS, VmHWM from /proc), in MiB; zero when
    /// unknown. Each read also keeps that worker pid's high-water mark for <see cref="PeakOverWorkers"/>.
    /// </summary>
    public (double RssMiB, double PeakMiB) ReadMemory()
    {
        var pid = ProcessId;
        if (pid == 0)
        {
            return (0, 0);
        }
        try
        {
            double rss = 0, peak = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
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
            lock (_peaks)
            {
                _peaks[pid] = Math.Max(peak, _peaks.GetValueOrDefault(pid));
            }
            return (rss, peak);
        }
        catch (IOException)
        {
            return (0, 0);
        }

        static long Kib(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The highest VmHWM read from any worker process this host ran (the host restarts workers, and a worker's
    /// /proc entry goes with it), and how many worker pids were read. Only the worker: the host runs in this process.
    /// </summary>
    public (double PeakMiB, int Workers) PeakOverWorkers()
    {
        ReadMemory();
        lock (_peaks)
        {
            return (_peaks.Count == 0 ? 0 : _peaks.Values.Max(), _peaks.Count);
        }
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

/// <summary>What counts as the worker answering: a request to send (a new one each try) and a test of the answer.</summary>
internal sealed record Probe(string Name, Func<HttpRequestMessage> Request, Func<HttpResponseMessage, byte[], bool> Answered)
{
    /// <summary>
    /// An unsigned POST to a webhook path: the worker refuses it with a 4xx (the host holds requests while no
    /// worker serves, and answers 5xx itself). Stores and queues nothing, so any run can use it.
    /// </summary>
    public static Probe Unsigned(string path) => new(
        "an unsigned webhook (4xx)",
        () => new HttpRequestMessage(HttpMethod.Post, path.TrimStart('/')) { Content = new ByteArrayContent([]) },
        (answer, _) => (int)answer.StatusCode is >= 400 and < 500);
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
