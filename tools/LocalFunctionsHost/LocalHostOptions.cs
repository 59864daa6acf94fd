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

    /// <summary>A worker that does not answer a status request within this is ended and restarted.</summary>
    internal TimeSpan WorkerStatusTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a stopping worker gets between WorkerTerminate and the end of its process tree.</summary>
    internal TimeSpan TerminateGracePeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Tests only: delays the InvocationRequest of an HTTP call (positive) or its forwarded request (negative).</summary>
    internal TimeSpan HttpOrderSkew { get; set; }
}
