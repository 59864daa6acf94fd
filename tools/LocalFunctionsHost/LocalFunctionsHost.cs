using System.Globalization;
using LocalFunctionsHost.Configuration;
using LocalFunctionsHost.Http;
using LocalFunctionsHost.Queues;
using LocalFunctionsHost.Rpc;
using LocalFunctionsHost.Timers;

namespace LocalFunctionsHost;

/// <summary>
/// A local Functions host for a .NET isolated worker: starts the worker out of process, speaks the Functions gRPC
/// protocol with it and serves its HTTP, queue and timer triggers. Start with <see cref="StartAsync"/>; stop with
/// <see cref="StopAsync"/> or by disposing. Not the real host: see the tool's README for what it leaves out.
/// </summary>
public sealed class LocalFunctionsHost : IAsyncDisposable
{
    private static readonly TimeSpan FirstRestartDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRestartDelay = TimeSpan.FromSeconds(30);

    private readonly HostContext _context;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<QueueListener> _queues = [];
    private readonly List<TimerListener> _timers = [];
    private readonly Lock _lock = new();
    private TaskCompletionSource<WorkerSession> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WorkerSession? _session;
    private HttpTriggerServer? _http;
    private Task _supervising = Task.CompletedTask;
    private Task? _stopped;
    private IReadOnlyList<FunctionDescription> _functions = [];
    private HttpClient? _straight;

    private LocalFunctionsHost(HostContext context)
    {
        _context = context;
        Invoker = new FunctionInvoker(
            context,
            new QueueOutputs(Clients = new QueueClients(context.Settings, context.HostJson.Queues.Base64)),
            WaitForSessionAsync,
            e => InvocationCompleted?.Invoke(this, e));
    }

    /// <summary>The HTTP listener, <c>http://127.0.0.1:&lt;port&gt;/</c>.</summary>
    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    /// <summary>The functions the host serves (disabled ones left out).</summary>
    public IReadOnlyList<HostedFunction> Functions { get; private set; } = [];

    /// <summary>The current worker process id (it changes when the worker is restarted); null while none runs.</summary>
    public int? WorkerProcessId
    {
        get
        {
            lock (_lock)
            {
                return _session is { Ended.IsCompleted: false } s ? s.Process.Id : null;
            }
        }
    }

    /// <summary>Raised after each invocation's outcome is known (outputs written), on a pool thread.</summary>
    public event EventHandler<InvocationCompletedEventArgs>? InvocationCompleted;

    internal FunctionInvoker Invoker { get; }

    internal QueueClients Clients { get; }

    /// <summary>
    /// Starts the worker and returns when it has loaded every function and the HTTP, queue and timer listeners run.
    /// </summary>
    /// <exception cref="LocalHostException">The worker did not start, a setting is missing, or a function uses an unsupported binding.</exception>
    public static async Task<LocalFunctionsHost> StartAsync(LocalHostOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Directory.Exists(options.ScriptRoot))
        {
            throw new LocalHostException($"The script root {options.ScriptRoot} does not exist.");
        }

        var output = new HostOutput(options.Output, options.Verbose);
        var workerConfig = WorkerConfig.Read(options.ScriptRoot);
        var settings = AppSettings.Build(options);
        var hostJson = HostJson.Read(options.ScriptRoot, settings.All);
        var rpc = await RpcServer.StartAsync(cancellationToken).ConfigureAwait(false);
        output.Detail($"gRPC endpoint {rpc.Address}");
        var host = new LocalFunctionsHost(new HostContext(options, settings, workerConfig, hostJson, rpc, output));
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.StartTimeout);
            try
            {
                await host.StartListenersAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new LocalHostException($"The worker did not load its functions within {options.StartTimeout.TotalSeconds:0} s.", e);
            }

            return host;
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartListenersAsync(CancellationToken cancellationToken)
    {
        var output = _context.Output;
        var session = await WorkerSession.StartAsync(_context, cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            _session = session;
        }

        var functions = session.Functions.Values
            .Where(f => !_context.Settings.IsDisabled(f.Name))
            .Select(f => FunctionDescription.Create(f, _context.Settings))
            .ToList();
        var http = functions.Where(f => Is(f, "httpTrigger")).ToList();
        foreach (var function in functions.Where(f => Is(f, "queueTrigger")))
        {
            _queues.Add(QueueListener.Create(function, Invoker, Clients, _context.HostJson.Queues, output, _context.Options.QueueProcessingVisibility));
        }

        foreach (var function in functions.Where(f => Is(f, "timerTrigger")))
        {
            _timers.Add(TimerListener.Create(function, Invoker, TimeProvider.System));
        }

        foreach (var function in functions)
        {
            foreach (var binding in function.QueueOutputs)
            {
                Clients.Validate(binding.Text("connection"), function.Name);
            }
        }

        if (http.Count > 0 && session.HttpUri is null)
        {
            throw new LocalHostException($"Function '{http[0].Name}' is an HTTP trigger but the worker reported no HttpUri: the worker must use ASP.NET Core integration (ConfigureFunctionsWebApplication).");
        }

        _http = await HttpTriggerServer.StartAsync(_context.Options.Port, http, Invoker, _context, cancellationToken).ConfigureAwait(false);
        BaseAddress = _http.BaseAddress;
        foreach (var queue in _queues)
        {
            await queue.StartAsync(cancellationToken).ConfigureAwait(false);
        }

        _functions = functions;
        Functions = functions.Select(f => Describe(f)).ToList();
        PrintFunctions(functions);
        _ready.TrySetResult(session);
        _supervising = SuperviseAsync(session, _stopping.Token);
        foreach (var timer in _timers)
        {
            timer.Start();
        }

        output.Line("Host started.");
        static bool Is(FunctionDescription f, string type) => f.Trigger.Type.Equals(type, StringComparison.OrdinalIgnoreCase);
    }

    private HostedFunction Describe(FunctionDescription f)
    {
        var type = f.Trigger.Type;
        return type.Equals("httpTrigger", StringComparison.OrdinalIgnoreCase)
            ? new HostedFunction(f.Name, type, HttpTriggerServer.RouteOf(f, _context.HostJson.RoutePrefix), HttpTriggerServer.MethodsOf(f), null)
            : new HostedFunction(f.Name, type, null, [], type.Equals("queueTrigger", StringComparison.OrdinalIgnoreCase) ? f.Trigger.Text("queueName")?.ToLowerInvariant() : null);
    }

    private void PrintFunctions(List<FunctionDescription> functions)
    {
        var output = _context.Output;
        output.Line("");
        output.Line("Functions:");
        output.Line("");
        foreach (var f in functions.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            var hosted = Describe(f);
            var line = hosted.TriggerType.ToUpperInvariant() switch
            {
                "HTTPTRIGGER" => $"[{(hosted.Methods.Count == 0 ? "GET,POST,PUT,DELETE,PATCH,HEAD,OPTIONS" : string.Join(',', hosted.Methods))}] {BaseAddress}{hosted.Route}",
                "QUEUETRIGGER" => $"queueTrigger (queue '{hosted.QueueName}')",
                _ => $"timerTrigger (schedule '{f.Trigger.Text("schedule")}')",
            };
            output.Line($"        {f.Name}: {line}");
            output.Line("");
        }

        foreach (var name in _context.Settings.All.Keys.Where(k => k.StartsWith("AzureWebJobs.", StringComparison.OrdinalIgnoreCase) && k.EndsWith(".Disabled", StringComparison.OrdinalIgnoreCase)))
        {
            var function = name["AzureWebJobs.".Length..^".Disabled".Length];
            if (_context.Settings.IsDisabled(function))
            {
                output.Line($"        {function}: disabled (AzureWebJobs.{function}.Disabled)");
            }
        }
    }

    private async Task<WorkerSession> WaitForSessionAsync(CancellationToken cancellationToken)
    {
        Task<WorkerSession> ready;
        lock (_lock)
        {
            ready = _ready.Task;
        }

        return await ready.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Restarts the worker when it exits or stops answering, with a growing delay (1 s doubling to 30 s; back to
    /// 1 s after a worker ran a minute). In-flight invocations have already failed with the channel.
    /// </summary>
    private async Task SuperviseAsync(WorkerSession session, CancellationToken stopping)
    {
        var delay = FirstRestartDelay;
        var started = TimeProvider.System.GetTimestamp();
        while (true)
        {
            var reason = await session.Ended.WaitAsync(stopping).ConfigureAwait(false);
            lock (_lock)
            {
                _ready = new TaskCompletionSource<WorkerSession>(TaskCreationOptions.RunContinuationsAsynchronously);
                _session = null;
            }

            await session.DisposeAsync().ConfigureAwait(false);
            if (TimeProvider.System.GetElapsedTime(started) > TimeSpan.FromMinutes(1))
            {
                delay = FirstRestartDelay;
            }

            while (true)
            {
                _context.Output.Line($"The worker stopped ({reason}); restarting it in {delay.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s.");
                await Task.Delay(delay, stopping).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRestartDelay.Ticks));
                try
                {
                    session = await WorkerSession.StartAsync(_context, stopping).ConfigureAwait(false);
                    if (stopping.IsCancellationRequested)
                    {
                        await session.TerminateAsync(_context.Options.TerminateGracePeriod).ConfigureAwait(false);
                        await session.DisposeAsync().ConfigureAwait(false);
                        return;
                    }

                    break;
                }
                catch (LocalHostException e)
                {
                    reason = e.Message;
                }
            }

            started = TimeProvider.System.GetTimestamp();
            lock (_lock)
            {
                _session = session;
                _ready.TrySetResult(session);
            }

            _context.Output.Line($"Worker restarted (pid {session.Process.Id}).");
        }
    }

    /// <summary>
    /// Benchmark only: an HTTP function called the way the host calls it, without the host's listener, routing and
    /// forwarder: a GET straight to the worker's HttpUri with its InvocationRequest. Returns when the caller would
    /// have its answer; the returned task is the rest of the invocation.
    /// </summary>
    internal async Task<Task> InvokeStraightAsync(string functionName, string pathAndQuery, IReadOnlyDictionary<string, string> routeValues)
    {
        var session = await Invoker.GetSessionAsync(CancellationToken.None).ConfigureAwait(false);
        var function = _functions.Single(f => f.Name == functionName);
        var request = new Protocol.InvocationRequest { InvocationId = Guid.NewGuid().ToString() };
        request.InputData.Add(new Protocol.ParameterBinding { Name = function.Trigger.Name, Data = new Protocol.TypedData { Http = new Protocol.RpcHttp() } });
        request.TriggerMetadata["Query"] = new Protocol.TypedData { Json = "{}" };
        request.TriggerMetadata["Headers"] = new Protocol.TypedData { Json = "{}" };
        foreach (var (name, value) in routeValues)
        {
            request.TriggerMetadata[name] = new Protocol.TypedData { String = value };
        }

        _straight ??= new HttpClient();
        var invocation = Invoker.Start(function, session, request, "benchmark", null, TimeSpan.Zero, CancellationToken.None);
        using var message = new HttpRequestMessage(HttpMethod.Get, new Uri(session.HttpUri!, pathAndQuery));
        message.Headers.Add("x-ms-invocation-id", request.InvocationId);
        using var response = await _straight.SendAsync(message).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        return invocation.Completed;
    }

    /// <summary>Stops the listeners, sends WorkerTerminate with a grace period, then ends the worker's process tree.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _stopped ??= StopCoreAsync();
            return _stopped.WaitAsync(cancellationToken);
        }
    }

    private async Task StopCoreAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var queue in _queues)
        {
            await queue.StopPollingAsync().ConfigureAwait(false);
        }

        foreach (var timer in _timers)
        {
            await timer.StopTimerAsync().ConfigureAwait(false);
        }

        try
        {
            await _supervising.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }

        WorkerSession? session;
        lock (_lock)
        {
            session = _session;
            _session = null;
            _ready.TrySetCanceled();
        }

        if (session is not null)
        {
            await session.TerminateAsync(_context.Options.TerminateGracePeriod).ConfigureAwait(false);
        }

        if (_http is not null)
        {
            await _http.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var queue in _queues)
        {
            await queue.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var timer in _timers)
        {
            await timer.DisposeAsync().ConfigureAwait(false);
        }

        if (session is not null)
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }

        await _context.Rpc.DisposeAsync().ConfigureAwait(false);
        _straight?.Dispose();
        _context.Output.Line("Host stopped.");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }
}
