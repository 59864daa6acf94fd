namespace LocalFunctionsHost;

/// <summary>How <see cref="LocalFunctionsHost"/> runs a worker: the script root, the HTTP port, the app settings.</summary>
public sealed class LocalHostOptions
{
    /// <summary>The worker's build or publish output (worker.config.json, functions.metadata, host.json).</summary>
    public required string ScriptRoot { get; init; }

    /// <summary>The HTTP listener's port; 0 picks a free loopback port.</summary>
    public int Port { get; init; } = 7071;

    /// <summary>
    /// App settings on top of local.settings.json <c>Values</c> and the process environment; a null value removes one.
    /// The worker gets them as its environment.
    /// </summary>
    public IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The worker's environment name (<c>AZURE_FUNCTIONS_ENVIRONMENT</c>).</summary>
    public string EnvironmentName { get; init; } = "Development";

    /// <summary>Print the protocol's details and the worker's debug logs too.</summary>
    public bool Verbose { get; init; }

    /// <summary>Receives every line the command would print; null writes to <see cref="Console.Out"/>.</summary>
    public Action<string>? Output { get; init; }

    /// <summary>How long <see cref="LocalFunctionsHost.StartAsync"/> waits for the worker to load every function.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often the host asks the worker for its status.</summary>
    internal TimeSpan WorkerStatusInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A status answer slower than this is reported as a busy worker (not restarted: see functionTimeout).</summary>
    internal TimeSpan WorkerStatusTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a stopping worker gets between WorkerTerminate and the end of its process tree.</summary>
    internal TimeSpan TerminateGracePeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a fetched queue message stays invisible while its function runs; renewed at half of it. The real
    /// host's value is 10 minutes (host.json's <c>visibilityTimeout</c> is the delay before a retry, not this).
    /// </summary>
    internal TimeSpan QueueProcessingVisibility { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// After <c>functionTimeout</c> the invocation fails and the worker is told to cancel it; a worker that has not
    /// answered it within this grace period is restarted (the real host restarts the worker running it).
    /// </summary>
    internal TimeSpan FunctionTimeoutGracePeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Tests only: delays the InvocationRequest of an HTTP call (positive) or its forwarded request (negative).</summary>
    internal TimeSpan HttpOrderSkew { get; set; }
}
