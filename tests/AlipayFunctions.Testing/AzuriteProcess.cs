using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace AlipayFunctions.Testing;

/// <summary>
/// A real Azurite (the repo's pinned <c>node_modules/.bin/azurite</c>) on free loopback ports, in memory.
/// Start with <see cref="StartAsync(CancellationToken)"/>; disposing kills the whole process tree.
/// </summary>
public sealed partial class AzuriteProcess : IAsyncDisposable
{
    /// <summary>Azurite's well-known account.</summary>
    public const string AccountName = "devstoreaccount1";

    /// <summary>Azurite's well-known, public account key.</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly DirectoryInfo _workDirectory;
    private readonly EventHandler _killOnExit;
    private int _disposed;

    private AzuriteProcess(Process process, DirectoryInfo workDirectory, int blobPort, int queuePort, int tablePort)
    {
        _process = process;
        _workDirectory = workDirectory;
        BlobEndpoint = new Uri($"http://127.0.0.1:{blobPort}/{AccountName}/");
        QueueEndpoint = new Uri($"http://127.0.0.1:{queuePort}/{AccountName}/");
        TableEndpoint = new Uri($"http://127.0.0.1:{tablePort}/{AccountName}/");
        // No trailing slash on the endpoints: Azure.Data.Tables appends "/Tables" and Azurite answers 400 to "//Tables".
        ConnectionString =
            $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
            $"BlobEndpoint={Trim(BlobEndpoint)};QueueEndpoint={Trim(QueueEndpoint)};TableEndpoint={Trim(TableEndpoint)};";

        // A test host that dies without disposing must not leave Azurite running.
        _killOnExit = (_, _) => Kill();
        AppDomain.CurrentDomain.ProcessExit += _killOnExit;
    }

    private static string Trim(Uri endpoint) => endpoint.ToString().TrimEnd('/');

    /// <summary>Blob service endpoint (path-style, with the account).</summary>
    public Uri BlobEndpoint { get; }

    /// <summary>Queue service endpoint (path-style, with the account).</summary>
    public Uri QueueEndpoint { get; }

    /// <summary>Table service endpoint (path-style, with the account).</summary>
    public Uri TableEndpoint { get; }

    /// <summary>A connection string with explicit endpoints and the development account key.</summary>
    public string ConnectionString { get; }

    /// <summary>Starts Azurite with ports chosen by the OS and waits until every service answers.</summary>
    /// <exception cref="InvalidOperationException">Azurite is not installed (run <c>npm ci</c>) or did not start; the message carries its output.</exception>
    public static Task<AzuriteProcess> StartAsync(CancellationToken cancellationToken = default) =>
        StartAsync(new AzuriteStartOptions(), cancellationToken);

    /// <summary>
    /// Starts Azurite as <paramref name="options"/> say: in memory or persisted to a folder, on chosen or free ports.
    /// A persisted Azurite restarted on the same ports and folder is the same storage account again.
    /// </summary>
    /// <exception cref="InvalidOperationException">Azurite is not installed (run <c>npm ci</c>) or did not start; the message carries its output.</exception>
    public static async Task<AzuriteProcess> StartAsync(AzuriteStartOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var root = FindRepoRoot();
        var executable = Path.Combine(root, "node_modules", ".bin", OperatingSystem.IsWindows() ? "azurite.cmd" : "azurite");
        if (!File.Exists(executable))
        {
            throw new InvalidOperationException($"Azurite is not installed at {executable}: run npm ci in {root}.");
        }

        // --inMemoryPersistence cannot be combined with --location in Azurite 3.35, so a temp working directory
        // holds whatever Azurite writes beside it.
        var workDirectory = Directory.CreateTempSubdirectory("azurite-");
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = workDirectory.FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] persistence = options.Location is { } location
            ? ["--location", location]
            : ["--inMemoryPersistence", "--extentMemoryLimit", "256"];
        foreach (var argument in new[]
                 {
                     "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
                     "--blobPort", Port(options.BlobPort), "--queuePort", Port(options.QueuePort), "--tablePort", Port(options.TablePort),
                     "--silent", "--disableTelemetry", "--skipApiVersionCheck",
                 }.Concat(persistence)
                 // AZURITE_DEBUG_LOG=<file>: Azurite logs every request it serves there (how docs/benchmarks.md counted
                 // the storage calls per webhook); off by default, it is large and slow.
                 .Concat(Environment.GetEnvironmentVariable("AZURITE_DEBUG_LOG") is { Length: > 0 } debugLog ? ["--debug", debugLog] : []))
        {
            start.ArgumentList.Add(argument);
        }

        var output = new StringBuilder();
        var ports = new Dictionary<string, int>(StringComparer.Ordinal);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(line);
                var match = ListeningLine().Match(line);
                if (match.Success)
                {
                    ports[match.Groups[1].Value] = int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
                    if (ports.Count == 3)
                    {
                        ready.TrySetResult();
                    }
                }
            }
        }

        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("Azurite exited during start-up."));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await ready.Task.WaitAsync(StartTimeout, cancellationToken).ConfigureAwait(false);
            var azurite = new AzuriteProcess(process, workDirectory, ports["Blob"], ports["Queue"], ports["Table"]);
            await WaitUntilAnsweringAsync(ports.Values, cancellationToken).ConfigureAwait(false);
            return azurite;
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or SocketException)
        {
            KillTree(process);
            process.Dispose();
            workDirectory.Delete(recursive: true);
            string log;
            lock (output)
            {
                log = output.ToString();
            }

            throw new InvalidOperationException($"Azurite did not start ({ex.Message}). Its output:\n{log}", ex);
        }
    }

    /// <summary>The process id (to signal or measure it).</summary>
    public int ProcessId => _process.Id;

    /// <summary>
    /// Stops Azurite with SIGTERM, so that a persisted Azurite writes its state out, and waits for it to exit
    /// (killing it after <paramref name="timeout"/>). Dispose afterwards to release the rest.
    /// </summary>
    public async Task StopGracefullyAsync(TimeSpan timeout)
    {
        if (!OperatingSystem.IsWindows() && !_process.HasExited)
        {
            using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false });
            if (kill is not null)
            {
                await kill.WaitForExitAsync().ConfigureAwait(false);
            }
        }
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Kill();
        }
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>A unique queue name (3-56 characters, so that "-poison" still fits).</summary>
    public static string NewQueueName(string prefix = "q") => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 56)].ToLowerInvariant();

    /// <summary>A unique table name (letters and digits, starting with a letter).</summary>
    public static string NewTableName(string prefix = "t") => $"{prefix}{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 32, 63)];

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit -= _killOnExit;
        Kill();
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        _process.Dispose();
        try
        {
            _workDirectory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a dying child: the OS temp cleaner takes it.
        }
    }

    private void Kill() => KillTree(_process);

    private static void KillTree(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static async Task WaitUntilAnsweringAsync(IEnumerable<int> ports, CancellationToken cancellationToken)
    {
        foreach (var port in ports)
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Walks up from the test binaries (then the working directory) to the folder holding AlipayFunctions.sln.</summary>
    public static string FindRepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "AlipayFunctions.sln")))
                {
                    return directory.FullName;
                }
            }
        }

        throw new InvalidOperationException($"AlipayFunctions.sln not found above {AppContext.BaseDirectory}: run the tests from the repository.");
    }

    [GeneratedRegex(@"Azurite (Blob|Queue|Table) service is successfully listening at http://127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();
}

/// <summary>How <see cref="AzuriteProcess"/> starts Azurite.</summary>
public sealed record AzuriteStartOptions
{
    /// <summary>A folder to persist to (<c>--location</c>); null keeps everything in memory (the default for tests).</summary>
    public string? Location { get; init; }

    /// <summary>The blob port; 0 lets the OS choose.</summary>
    public int BlobPort { get; init; }

    /// <summary>The queue port; 0 lets the OS choose.</summary>
    public int QueuePort { get; init; }

    /// <summary>The table port; 0 lets the OS choose.</summary>
    public int TablePort { get; init; }
}
