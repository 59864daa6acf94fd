using System.Globalization;
using System.Net.Sockets;
using LocalFunctionsHost.Configuration;
using LocalFunctionsHost.Protocol;

namespace LocalFunctionsHost.Rpc;

/// <summary>What every worker start needs: the options, the settings, the build output's description, the gRPC endpoint.</summary>
internal sealed record HostContext(LocalHostOptions Options, AppSettings Settings, WorkerConfig WorkerConfig, HostJson HostJson, RpcServer Rpc, HostOutput Output)
{
    public const string HostVersion = "4.1037.0";
}

/// <summary>
/// One run of the worker process: started, StartStream, WorkerInitRequest, FunctionsMetadataRequest, one
/// FunctionLoadRequest per function; then it serves invocations until the process exits or the stream ends.
/// </summary>
internal sealed class WorkerSession : IAsyncDisposable
{
    private static readonly TimeSpan InitTimeout = TimeSpan.FromSeconds(30);
    // Never disposed: it has no timer, and Terminate may follow Dispose.
    private readonly CancellationTokenSource _stop = new();
    private readonly HostContext _context;

    private WorkerSession(HostContext context, WorkerProcess process, WorkerChannel channel)
    {
        _context = context;
        Process = process;
        Channel = channel;
        Ended = WatchAsync();
    }

    public WorkerProcess Process { get; }

    public WorkerChannel Channel { get; }

    /// <summary>The worker's own Kestrel (ASP.NET Core integration), from its <c>HttpUri</c> capability.</summary>
    public Uri? HttpUri { get; private set; }

    /// <summary>The worker's function metadata, by function name.</summary>
    public IReadOnlyDictionary<string, RpcFunctionMetadata> Functions { get; private set; } = new Dictionary<string, RpcFunctionMetadata>();

    /// <summary>Completes with the reason the worker is gone.</summary>
    public Task<string> Ended { get; }

    public static async Task<WorkerSession> StartAsync(HostContext context, CancellationToken cancellationToken)
    {
        var workerId = Guid.NewGuid().ToString();
        var output = context.Output;
        var channel = new WorkerChannel(workerId, log => PrintLog(log, output));
        context.Rpc.Registry.Add(channel);
        WorkerProcess process;
        try
        {
            process = WorkerProcess.Start(context.WorkerConfig, context.Options.ScriptRoot, context.Rpc.Address, workerId, context.Settings, output);
        }
        catch
        {
            context.Rpc.Registry.Remove(channel);
            throw;
        }

        var session = new WorkerSession(context, process, channel);
        try
        {
            try
            {
                await session.InitializeAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutException or WorkerUnavailableException)
            {
                throw new LocalHostException($"The worker failed during start-up: {e.Message}", e);
            }

            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var options = _context.Options;
        output($"Worker process started and initialized (pid {Process.Id}).", detail: true);
        var connected = await Task.WhenAny(Channel.Connected, Ended, Task.Delay(options.StartTimeout, cancellationToken)).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (connected != Channel.Connected)
        {
            throw new LocalHostException(Ended.IsCompleted
                ? $"The worker ended before it opened its gRPC stream: {await Ended.ConfigureAwait(false)}."
                : $"The worker did not open its gRPC stream within {options.StartTimeout.TotalSeconds:0} s.");
        }

        var init = new WorkerInitRequest
        {
            HostVersion = HostContext.HostVersion,
            WorkerDirectory = options.ScriptRoot,
            FunctionAppDirectory = options.ScriptRoot,
        };
        var initAnswer = (await RequestAsync(new StreamingMessage { WorkerInitRequest = init }, cancellationToken).ConfigureAwait(false)).WorkerInitResponse;
        if (initAnswer?.Result?.Status != StatusResult.Types.Status.Success)
        {
            throw new LocalHostException($"The worker failed to initialize: {Describe(initAnswer?.Result)}");
        }

        if (initAnswer.Capabilities.TryGetValue("HttpUri", out var httpUri) && Uri.TryCreate(httpUri, UriKind.Absolute, out var uri))
        {
            HttpUri = uri;
        }

        output($"Worker {initAnswer.WorkerVersion} capabilities: {string.Join(", ", initAnswer.Capabilities.Select(c => $"{c.Key}={c.Value}"))}", detail: true);

        var metadataRequest = new FunctionsMetadataRequest { FunctionAppDirectory = options.ScriptRoot };
        var metadata = (await RequestAsync(new StreamingMessage { FunctionsMetadataRequest = metadataRequest }, cancellationToken).ConfigureAwait(false)).FunctionMetadataResponse;
        if (metadata is null || (metadata.Result is { } r && r.Status != StatusResult.Types.Status.Success))
        {
            throw new LocalHostException($"The worker failed to report its functions: {Describe(metadata?.Result)}");
        }

        if (metadata.UseDefaultMetadataIndexing)
        {
            throw new LocalHostException("The worker asks the host to index functions.metadata itself; this host supports worker indexing only (Worker 1.x with workerIndexing off is not supported).");
        }

        var functions = new Dictionary<string, RpcFunctionMetadata>(StringComparer.OrdinalIgnoreCase);
        foreach (var function in metadata.FunctionMetadataResults)
        {
            if (function.Status is { } status && status.Status != StatusResult.Types.Status.Success && status.Exception is not null)
            {
                throw new LocalHostException($"The worker could not index function '{function.Name}': {Describe(status)}");
            }

            if (string.IsNullOrEmpty(function.FunctionId))
            {
                function.FunctionId = Guid.NewGuid().ToString();
            }

            functions[function.Name] = function;
        }

        var loads = functions.Values
            .Where(f => !_context.Settings.IsDisabled(f.Name))
            .Select(async f => (f.Name, Answer: await Channel.LoadAsync(f, InitTimeout, cancellationToken).ConfigureAwait(false)))
            .ToList();
        foreach (var (name, answer) in await Task.WhenAll(loads).ConfigureAwait(false))
        {
            if (answer.Result?.Status != StatusResult.Types.Status.Success)
            {
                throw new LocalHostException($"The worker failed to load function '{name}': {Describe(answer.Result)}");
            }
        }

        Functions = functions;
        if (HttpUri is not null)
        {
            await WaitForHttpAsync(HttpUri, cancellationToken).ConfigureAwait(false);
        }

        _ = MonitorAsync(_stop.Token);
        return;

        void output(string line, bool detail)
        {
            if (detail)
            {
                _context.Output.Detail(line);
            }
            else
            {
                _context.Output.Line(line);
            }
        }
    }

    private async Task<StreamingMessage> RequestAsync(StreamingMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await Channel.RequestAsync(request, InitTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new LocalHostException($"The worker did not answer {request.ContentCase} within {InitTimeout.TotalSeconds:0} s.", e);
        }
        catch (WorkerUnavailableException e)
        {
            throw new LocalHostException($"The worker ended during start-up: {e.Message}.", e);
        }
    }

    /// <summary>
    /// The worker's Kestrel may still be binding when the functions are loaded; the real host retries refused
    /// connections per request, this host waits for the port once instead (10 tries, 50 ms doubling to 250 ms... then 1 s).
    /// </summary>
    private async Task WaitForHttpAsync(Uri uri, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(50);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(uri.Host, uri.Port, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (SocketException) when (attempt < 40 && !Ended.IsCompleted)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
            }
        }
    }

    /// <summary>Asks the worker for its status now and then, as the real host does to measure its latency; a slow answer is reported, not punished.</summary>
    private async Task MonitorAsync(CancellationToken cancellationToken)
    {
        var options = _context.Options;
        try
        {
            while (!cancellationToken.IsCancellationRequested && !Ended.IsCompleted)
            {
                await Task.Delay(options.WorkerStatusInterval, cancellationToken).ConfigureAwait(false);
                try
                {
                    await Channel.RequestAsync(new StreamingMessage { WorkerStatusRequest = new WorkerStatusRequest() }, options.WorkerStatusTimeout, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // The real host uses status requests to measure the worker's latency, not to judge it: a busy
                    // worker is not restarted for a slow answer (that would fail everything in flight and deepen the
                    // overload). A stuck invocation is caught by functionTimeout instead.
                    _context.Output.Line($"Worker {Process.Id} did not answer a status request within {options.WorkerStatusTimeout.TotalSeconds:0.#} s (busy); it keeps running.");
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WorkerUnavailableException)
        {
            // Stopping, or the worker is gone: Ended says why.
        }
    }

    /// <summary>Ends a worker that is alive but stuck: its in-flight invocations fail with <paramref name="reason"/> and it is restarted.</summary>
    public void Abandon(string reason)
    {
        Channel.Close(reason);
        Process.Kill();
    }

    private async Task<string> WatchAsync()
    {
        var ended = await Task.WhenAny(Process.Exited, Channel.Closed).ConfigureAwait(false);
        var reason = ended == Channel.Closed
            ? await Channel.Closed.ConfigureAwait(false)
            : $"the worker process exited with code {Process.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "?"}";
        Channel.Close(reason);
        return reason;
    }

    /// <summary>Sends WorkerTerminate, waits up to the grace period for the process to exit, then ends the process tree.</summary>
    public async Task TerminateAsync(TimeSpan gracePeriod)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (!Ended.IsCompleted)
        {
            Channel.Send(new StreamingMessage { WorkerTerminate = new WorkerTerminate { GracePeriod = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(gracePeriod) } });
            await Task.WhenAny(Process.Exited, Task.Delay(gracePeriod + TimeSpan.FromSeconds(1))).ConfigureAwait(false);
        }

        Channel.Close("the host is stopping");
        Process.Kill();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        Channel.Close("the worker was stopped");
        Process.Dispose();
        _context.Rpc.Registry.Remove(Channel);
    }

    private static string Describe(StatusResult? result) =>
        result is null ? "no answer" : result.Exception is { } e ? $"{e.Type} {e.Message}".Trim() : result.Result is { Length: > 0 } text ? text : result.Status.ToString();

    private static void PrintLog(RpcLog log, HostOutput output)
    {
        var user = log.LogCategory == RpcLog.Types.RpcLogCategory.User;
        if (!output.Verbose && !(user && log.Level >= RpcLog.Types.Level.Information) && log.Level < RpcLog.Types.Level.Warning)
        {
            return;
        }

        var time = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        var exception = log.Exception is { } e ? $" {e.Type}: {e.Message}" : "";
        output.Line($"[{time}] {log.Message}{exception}");
    }
}
