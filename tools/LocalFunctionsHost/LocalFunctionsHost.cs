namespace LocalFunctionsHost;

/// <summary>
/// A local Functions host for a .NET isolated worker: starts the worker out of process, speaks the Functions gRPC
/// protocol with it and serves its HTTP, queue and timer triggers. Start with <see cref="StartAsync"/>.
/// </summary>
public sealed class LocalFunctionsHost : IAsyncDisposable
{
    private LocalFunctionsHost(Uri baseAddress, IReadOnlyList<HostedFunction> functions)
    {
        BaseAddress = baseAddress;
        Functions = functions;
    }

    /// <summary>The HTTP listener, <c>http://127.0.0.1:&lt;port&gt;/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The functions the worker loaded.</summary>
    public IReadOnlyList<HostedFunction> Functions { get; }

    /// <summary>The current worker process id (it changes when the worker is restarted); null while none runs.</summary>
    public int? WorkerProcessId => null;

    /// <summary>Raised after each invocation's outcome is known.</summary>
    public event EventHandler<InvocationCompletedEventArgs>? InvocationCompleted;

    /// <summary>
    /// Starts the worker and returns when it has loaded every function and the HTTP, queue and timer listeners run.
    /// </summary>
    /// <exception cref="LocalHostException">The worker did not start or a function uses an unsupported binding.</exception>
    public static Task<LocalFunctionsHost> StartAsync(LocalHostOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        _ = new LocalFunctionsHost(new Uri("http://127.0.0.1/"), []);
        throw new LocalHostException("Not implemented yet.");
    }

    /// <summary>Sends WorkerTerminate with a grace period, then ends the worker's process tree and the listeners.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        InvocationCompleted?.Invoke(this, new InvocationCompletedEventArgs("", "", false, TimeSpan.Zero));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);
}
