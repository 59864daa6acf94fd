using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace AlipayFunctions.Prove.Infrastructure;

/// <summary>
/// The function app as a separate process, started the way an operator starts it: <c>dotnet AlipayFunctions.dll
/// --urls http://127.0.0.1:port</c> (or a native executable), configured only by environment variables. Being a
/// process of its own, its start-up and memory can be measured and it can be SIGKILLed and started again.
/// </summary>
internal sealed class AppProcess : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly AppLaunch _launch;
    private readonly Queue<string> _lastLines = new();
    private Process? _process;

    private AppProcess(AppLaunch launch, int port)
    {
        _launch = launch;
        Port = port;
        BaseUrl = new Uri($"http://127.0.0.1:{port}/");
    }

    /// <summary>The loopback port the app listens on (kept across restarts).</summary>
    public int Port { get; }

    /// <summary>Where the app answers, ending with <c>/</c>.</summary>
    public Uri BaseUrl { get; }

    /// <summary>From process start to the first answer to <c>GET /</c>, for the latest start.</summary>
    public TimeSpan LastStartup { get; private set; }

    /// <summary>How many times the process was started.</summary>
    public int Starts { get; private set; }

    /// <summary>The running process id.</summary>
    public int ProcessId => _process?.Id ?? 0;

    /// <summary>Starts the app on a loopback port and waits until <c>GET /</c> answers.</summary>
    public static async Task<AppProcess> StartAtAsync(AppLaunch launch, int port, CancellationToken ct)
    {
        var app = new AppProcess(launch, port);
        await app.StartProcessAsync(ct).ConfigureAwait(false);
        return app;
    }

    /// <summary>A free loopback port (released again, so a process can bind it).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>SIGKILL: no shutdown code runs, exactly like a crash or an out-of-memory kill.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: false);
            await process.WaitForExitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Starts the process again on the same port.</summary>
    public Task RestartAsync(CancellationToken ct) => StartProcessAsync(ct);

    /// <summary>Whether the process is running.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Resident memory now and its high-water mark (VmRSS, VmHWM from /proc), in MiB; zero when unknown.</summary>
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

    /// <summary>The last lines the app wrote (for a failure message).</summary>
    public string LastOutput()
    {
        lock (_lastLines)
        {
            return string.Join('\n', _lastLines);
        }
    }

    private async Task StartProcessAsync(CancellationToken ct)
    {
        var start = new ProcessStartInfo(_launch.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in _launch.Arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(BaseUrl.ToString().TrimEnd('/'));
        foreach (var (key, value) in _launch.Environment)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process?.Dispose();
        _process = process;
        Starts++;

        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The app exited with code {process.ExitCode} during start-up:\n{LastOutput()}");
            }
            if (clock.Elapsed > ReadyTimeout)
            {
                throw new TimeoutException($"The app did not answer GET / within {ReadyTimeout.TotalSeconds:0} s:\n{LastOutput()}");
            }
            try
            {
                using var answer = await probe.GetAsync(BaseUrl, ct).ConfigureAwait(false);
                LastStartup = clock.Elapsed;
                return;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(2, ct).ConfigureAwait(false);
            }
        }
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            while (_lastLines.Count > 40)
            {
                _lastLines.Dequeue();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync().ConfigureAwait(false);
        _process?.Dispose();
    }
}

/// <summary>How to start the app: the executable, its arguments (without <c>--urls</c>) and its environment.</summary>
internal sealed record AppLaunch(string FileName, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Environment)
{
    /// <summary>
    /// <c>dotnet AlipayFunctions.dll</c> from the Release build (the path can be overridden), or a native executable
    /// when <paramref name="path"/> names one.
    /// </summary>
    public static AppLaunch Create(string? path, IReadOnlyDictionary<string, string> environment)
    {
        path ??= Path.Combine(Testing.AzuriteProcess.FindRepoRoot(), "functions", "AlipayFunctions", "bin", "Release", "net10.0", "AlipayFunctions.dll");
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"The app is not built at {path}: run dotnet build functions/AlipayFunctions/AlipayFunctions.csproj -c Release (or pass --app).");
        }
        return path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            ? new AppLaunch("dotnet", [path], environment)
            : new AppLaunch(path, [], environment);
    }
}
