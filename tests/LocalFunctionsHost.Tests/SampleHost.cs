using System.Collections.Concurrent;
using System.Reflection;
using AlipayFunctions.Testing;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

// Every test starts real processes (Azurite, the worker): one at a time on a small machine.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace LocalFunctionsHost.Tests;

/// <summary>The sample worker's build output and a host running it with its own queues, recording what it prints.</summary>
internal sealed class SampleHost : IAsyncDisposable
{
    private readonly ConcurrentQueue<InvocationCompletedEventArgs> _completed = new();
    private readonly QueueServiceClient _raw;

    private SampleHost(LocalFunctionsHost host, LocalHostOptions options, QueueServiceClient queues, string work, string done, string timer, ConcurrentQueue<string> lines)
    {
        Host = host;
        Options = options;
        Queues = queues;
        _raw = new QueueServiceClient(queues.Uri, new Azure.Storage.StorageSharedKeyCredential(AzuriteProcess.AccountName, AzuriteProcess.AccountKey), new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        WorkQueue = work;
        DoneQueue = done;
        TimerQueue = timer;
        Lines = lines;
        Http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        host.InvocationCompleted += (_, e) => _completed.Enqueue(e);
    }

    public static string ScriptRoot { get; } = Path.GetFullPath(typeof(SampleHost).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "SampleWorkerOutput").Value!);

    public LocalFunctionsHost Host { get; }

    public LocalHostOptions Options { get; }

    public QueueServiceClient Queues { get; }

    public string WorkQueue { get; }

    public string DoneQueue { get; }

    public string TimerQueue { get; }

    public ConcurrentQueue<string> Lines { get; }

    public HttpClient Http { get; }

    public IReadOnlyList<InvocationCompletedEventArgs> Completed => [.. _completed];

    public static async Task<SampleHost> StartAsync(AzuriteProcess azurite, Action<LocalHostOptions>? configure = null, string tickSchedule = "0 0 0 1 1 *", bool timerEnabled = false, bool verbose = false)
    {
        var lines = new ConcurrentQueue<string>();
        var options = new LocalHostOptions { ScriptRoot = ScriptRoot, Port = 0, Output = lines.Enqueue, StartTimeout = TimeSpan.FromSeconds(120), Verbose = verbose };
        string work = AzuriteProcess.NewQueueName("work"), done = AzuriteProcess.NewQueueName("done"), timer = AzuriteProcess.NewQueueName("timer");
        options.Settings["AzureWebJobsStorage"] = azurite.ConnectionString;
        options.Settings["WorkQueue"] = work;
        options.Settings["DoneQueue"] = done;
        options.Settings["TimerQueue"] = timer;
        options.Settings["DrainQueue"] = AzuriteProcess.NewQueueName("drain");
        options.Settings["TickSchedule"] = tickSchedule;
        options.Settings["AzureWebJobs.Tick.Disabled"] = timerEnabled ? "false" : "true";
        configure?.Invoke(options);
        var host = await LocalFunctionsHost.StartAsync(options).ConfigureAwait(false);
        var queues = new QueueServiceClient(azurite.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        return new SampleHost(host, options, queues, options.Settings["WorkQueue"]!, options.Settings["DoneQueue"]!, options.Settings["TimerQueue"]!, lines);
    }

    public QueueClient Queue(string name) => Queues.GetQueueClient(name);

    /// <summary>Waits until <paramref name="probe"/> gives a value, or fails with what the host printed.</summary>
    public async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await probe().ConfigureAwait(false) is { } value)
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"Timed out after {timeout.TotalSeconds} s waiting for {what}. Host output:\n{string.Join('\n', Lines.TakeLast(80))}");
            }

            await Task.Delay(100).ConfigureAwait(false);
        }
    }

    /// <summary>Every message on a queue, read without removing them.</summary>
    public async Task<List<string>> PeekAllAsync(string queue)
    {
        // Raw, so that a message that is not base64 (the poison queue may hold one) shows as it is.
        var client = _raw.GetQueueClient(queue);
        if (!await client.ExistsAsync().ConfigureAwait(false))
        {
            return [];
        }

        PeekedMessage[] messages = (await client.PeekMessagesAsync(32).ConfigureAwait(false)).Value;
        return messages.Select(m => Decode(m.Body.ToString())).ToList();

        static string Decode(string body)
        {
            try
            {
                return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(body));
            }
            catch (FormatException)
            {
                return body;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync().ConfigureAwait(false);
    }
}
