using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Reflection;
using AlipayFunctions.Testing;
using Azure.Core.Diagnostics;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using LocalFunctionsHost;

// dotnet run -c Release --project tests/LocalFunctionsHost.Benchmarks [-- <http requests> <queue messages> <queue rounds>]
// Prints the host's added latency per HTTP request (p50/p99) and its queue throughput against the raw rates, with the
// CPU each process used and the storage requests made per message, so that like is compared with like.
var requests = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
var messages = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1000;
var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1;
var scriptRoot = Path.GetFullPath(Assembly.GetEntryAssembly()!.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "SampleWorkerOutput").Value!);

await using var azurite = await AzuriteProcess.StartAsync();
using var storage = new StorageRequests();
var queues = new QueueServiceClient(azurite.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

// The host runs from the start, on an empty queue, as it would in use; its queue phases release prefilled messages at
// a set time. (Prefilling before start-up would let it work before the clock starts.)
var work = queues.GetQueueClient(AzuriteProcess.NewQueueName("work"));
var done = queues.GetQueueClient(AzuriteProcess.NewQueueName("done"));
var drain = queues.GetQueueClient(AzuriteProcess.NewQueueName("drain"));
await work.CreateIfNotExistsAsync();
await drain.CreateIfNotExistsAsync();
await done.CreateIfNotExistsAsync();
// BENCHMARK_VERBOSE=1 shows what the host prints (on stderr); otherwise it is dropped.
var verbose = Environment.GetEnvironmentVariable("BENCHMARK_VERBOSE") == "1";
var options = new LocalHostOptions { ScriptRoot = scriptRoot, Port = 0, Output = verbose ? Console.Error.WriteLine : _ => { } };
options.Settings["AzureWebJobsStorage"] = azurite.ConnectionString;
options.Settings["WorkQueue"] = work.Name;
options.Settings["DoneQueue"] = done.Name;
options.Settings["TimerQueue"] = AzuriteProcess.NewQueueName("timer");
options.Settings["DrainQueue"] = drain.Name;
options.Settings["TickSchedule"] = "0 0 0 1 1 *";
options.Settings["AzureWebJobs.Tick.Disabled"] = "true";
await using var host = await LocalFunctionsHost.LocalFunctionsHost.StartAsync(options);
var hostDone = 0;
var hostFunction = "Work";
var hostTarget = int.MaxValue;
var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
var completions = new Completions();
host.InvocationCompleted += (_, e) =>
{
    if (e.FunctionName == Volatile.Read(ref hostFunction) && e.Succeeded)
    {
        completions.Add();
        if (Interlocked.Increment(ref hostDone) == Volatile.Read(ref hostTarget))
        {
            allDone.TrySetResult();
        }
    }
};

// Every phase starts from the same storage state: its queues are new and deleted after it (Azurite's cost per
// request grows with the number of messages it holds in all queues), and each moves `messages` messages.
var fillTime = TimeSpan.Zero;

// Warm-up, not measured: 100 messages through the host, so that its and the worker's first-call JIT costs fall
// outside the clock, as the raw path's do in its first phase.
Expect("Work", 100);
await FillAsync(work, 100, null);
await allDone.Task.WaitAsync(TimeSpan.FromMinutes(5));
await done.ClearMessagesAsync();
Expect("Drain", 100);
await FillAsync(drain, 100, null);
await allDone.Task.WaitAsync(TimeSpan.FromMinutes(5));
Console.WriteLine($"Queue, {messages} messages per phase, {rounds} rounds (msg/s; CPU ms per message: this process incl. the in-process host / worker / Azurite; storage requests per message):");
for (var round = 1; round <= rounds; round++)
{
    // A-B-B-A: Azurite's cost per sent message grows over a run (it keeps every extent until its GC runs), so the two
    // phases with the same storage work are run in mirrored order and averaged; receive-and-delete runs first.
    // The issue's measure, like for like: the sample's Drain function (no output) against raw receive-and-delete.
    var raw1 = await RawAsync("raw receive-and-delete", withOutput: false);
    var drain1 = await ThroughHostAsync("Drain", drain, "through the host (Drain)");
    var drain2 = await ThroughHostAsync("Drain", drain, "through the host (Drain)");
    var raw2 = await RawAsync("raw receive-and-delete", withOutput: false);
    // With an output: the sample's Work function (its return value sent to the done queue) against raw receive-send-delete.
    var rawOut1 = await RawAsync("raw receive, send, delete", withOutput: true);
    var viaHost1 = await ThroughHostAsync("Work", work, "through the host (Work)");
    var viaHost2 = await ThroughHostAsync("Work", work, "through the host (Work)");
    var rawOut2 = await RawAsync("raw receive, send, delete", withOutput: true);
    static double Mean(double a, double b) => (a + b) / 2;
    Console.WriteLine($"  round {round}: Drain {Mean(drain1.Rate, drain2.Rate):0.0} / raw receive-delete {Mean(raw1.Rate, raw2.Rate):0.0} = {Mean(drain1.Rate, drain2.Rate) / Mean(raw1.Rate, raw2.Rate):0.00}; Work {Mean(viaHost1.Rate, viaHost2.Rate):0.0} / raw receive-send-delete {Mean(rawOut1.Rate, rawOut2.Rate):0.0} = {Mean(viaHost1.Rate, viaHost2.Rate) / Mean(rawOut1.Rate, rawOut2.Rate):0.00} (wall clock, A-B-B-A each)");
    Console.WriteLine($"  round {round}, steady (first to last message completed): Drain / raw receive-delete = {Mean(drain1.Steady, drain2.Steady) / Mean(raw1.Steady, raw2.Steady):0.00}; Work / raw receive-send-delete = {Mean(viaHost1.Steady, viaHost2.Steady) / Mean(rawOut1.Steady, rawOut2.Steady):0.00}");
    foreach (var phase in new[] { raw1, drain1, drain2, raw2, rawOut1, viaHost1, viaHost2, rawOut2 })
    {
        Console.WriteLine($"    {phase.Phase,-28} {phase.Rate,5:0} msg/s (steady {phase.Steady,5:0})  CPU {phase.Cpu.PerMessage(messages)}  requests {StorageRequests.PerMessage(phase.Requests, messages)}");
    }
}

// HTTP: the same GET through the host, and straight to the worker's HttpUri with its own InvocationRequest.
using var client = new HttpClient { BaseAddress = host.BaseAddress };
var throughHost = new List<double>();
var straight = new List<double>();
for (var i = 0; i < requests + 50; i++)
{
    var a = await TimeAsync(async () => (await client.GetAsync(new Uri($"api/items/{i}", UriKind.Relative))).EnsureSuccessStatusCode().Dispose());
    Task rest = Task.CompletedTask;
    var b = await TimeAsync(async () => rest = await host.InvokeStraightAsync("GetItem", $"api/items/{i}", new Dictionary<string, string> { ["id"] = i.ToString(CultureInfo.InvariantCulture) }));
    await rest;
    if (i >= 50)
    {
        throughHost.Add(a);
        straight.Add(b);
    }
}

Console.WriteLine($"HTTP GET api/items/{{id}}, {requests} sequential requests (after 50 warm-up), ms:");
Console.WriteLine($"  through the host:        p50 {P(throughHost, 50):0.000}  p99 {P(throughHost, 99):0.000}");
Console.WriteLine($"  straight to the worker:  p50 {P(straight, 50):0.000}  p99 {P(straight, 99):0.000}");
Console.WriteLine($"  added by the host:       p50 {P(throughHost, 50) - P(straight, 50):0.000}  p99 {P(throughHost, 99) - P(straight, 99):0.000}");

// Raw rate: receive in batches of 16 (as the host) and delete; with an output, send one message per message first
// (the storage work of the sample's queue function, without an invocation).
async Task<(string Phase, double Rate, CpuSnapshot Cpu, IReadOnlyDictionary<string, int> Requests, double Steady)> RawAsync(string phase, bool withOutput)
{
    var source = queues.GetQueueClient(AzuriteProcess.NewQueueName("raw"));
    var target = queues.GetQueueClient(AzuriteProcess.NewQueueName("rawdone"));
    await source.CreateAsync();
    await target.CreateAsync();
    var fill = Stopwatch.StartNew();
    await FillAsync(source, messages, null);
    fillTime = fill.Elapsed;
    var cpu = CpuSnapshot.Take(azurite.ProcessId, host.WorkerProcessId);
    storage.Reset();
    var steady = new Completions();
    var clock = Stopwatch.StartNew();
    var count = 0;
    while (count < messages)
    {
        QueueMessage[] batch = (await source.ReceiveMessagesAsync(16)).Value;
        await Task.WhenAll(batch.Select(async m =>
        {
            if (withOutput)
            {
                await target.SendMessageAsync("done:" + m.Body);
            }

            await source.DeleteMessageAsync(m.MessageId, m.PopReceipt);
            steady.Add();
        }));
        count += batch.Length;
    }

    clock.Stop();
    var used = CpuSnapshot.Take(azurite.ProcessId, host.WorkerProcessId) - cpu;
    var counted = storage.Reset();
    await source.DeleteAsync();
    await target.DeleteAsync();
    return (phase, messages / clock.Elapsed.TotalSeconds, used, counted, steady.Rate);
}

// The host's next `count` successful invocations of `function` complete allDone.
void Expect(string function, int count)
{
    Volatile.Write(ref hostFunction, function);
    Interlocked.Exchange(ref hostDone, 0);
    allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    Volatile.Write(ref hostTarget, count);
}

// Through the host: the same count, invisible until a set time (after the fill), each one an invocation of the
// sample's queue function whose return value goes to the done queue, then deleted. The clock starts at that time, so
// it includes the listener noticing them (its idle back-off is at most maxPollingInterval, 0.5 s in the sample).
async Task<(string Phase, double Rate, CpuSnapshot Cpu, IReadOnlyDictionary<string, int> Requests, double Steady)> ThroughHostAsync(string function, QueueClient queue, string phase)
{
    Expect(function, messages);
    var release = DateTimeOffset.UtcNow + (fillTime * 1.5) + TimeSpan.FromSeconds(3);
    await FillAsync(queue, messages, release);
    if (DateTimeOffset.UtcNow > release)
    {
        Console.Error.WriteLine("warning: the fill outlasted the release time; the host started before the clock.");
    }

    // The clock starts a little early rather than late: nothing the host does falls outside it.
    await Task.Delay(release - TimeSpan.FromMilliseconds(200) - DateTimeOffset.UtcNow is { Ticks: > 0 } wait ? wait : TimeSpan.Zero);
    var cpu = CpuSnapshot.Take(azurite.ProcessId, host.WorkerProcessId);
    storage.Reset();
    completions.Reset();
    var clock = Stopwatch.StartNew();
    try
    {
        await allDone.Task.WaitAsync(TimeSpan.FromMinutes(10));
    }
    catch (TimeoutException)
    {
        throw new TimeoutException($"The host completed {Volatile.Read(ref hostDone)} of {messages} messages in 10 minutes (BENCHMARK_VERBOSE=1 shows what it printed).");
    }
    clock.Stop();
    var used = CpuSnapshot.Take(azurite.ProcessId, host.WorkerProcessId) - cpu;
    var counted = storage.Reset();
    Volatile.Write(ref hostTarget, int.MaxValue);
    await done.ClearMessagesAsync();
    return (phase, messages / clock.Elapsed.TotalSeconds, used, counted, completions.Rate);
}

static async Task FillAsync(QueueClient queue, int count, DateTimeOffset? visibleAt)
{
    for (var i = 0; i < count; i += 50)
    {
        await Task.WhenAll(Enumerable.Range(i, Math.Min(50, count - i)).Select(n =>
            queue.SendMessageAsync($"m{n}", visibilityTimeout: visibleAt is { } at ? Until(at) : null)));
    }

    // The service takes whole seconds: rounded up, so that no message shows before the clock starts.
    static TimeSpan Until(DateTimeOffset at) => TimeSpan.FromSeconds(Math.Max(0, Math.Ceiling((at - DateTimeOffset.UtcNow).TotalSeconds)));
}

static async Task<double> TimeAsync(Func<Task> action)
{
    var clock = Stopwatch.StartNew();
    await action();
    return clock.Elapsed.TotalMilliseconds;
}

static double P(List<double> values, int percentile)
{
    var sorted = values.Order().ToList();
    return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1)];
}

/// <summary>
/// The steady rate of a phase: messages completed per second between its first and its last completion. The phase's
/// wall-clock rate also holds its start (the host noticing messages that turn visible over up to a second, since the
/// service takes whole seconds, and its idle back-off); this leaves the edges out on both sides alike.
/// </summary>
internal sealed class Completions
{
    private readonly Lock _lock = new();
    private long _first;
    private long _last;
    private int _count;

    public void Add()
    {
        var now = Stopwatch.GetTimestamp();
        lock (_lock)
        {
            if (_count++ == 0)
            {
                _first = now;
            }

            _last = now;
        }
    }

    public void Reset()
    {
        lock (_lock)
        {
            _count = 0;
        }
    }

    public double Rate
    {
        get
        {
            lock (_lock)
            {
                return _count > 1 ? (_count - 1) / Stopwatch.GetElapsedTime(_first, _last).TotalSeconds : 0;
            }
        }
    }
}

/// <summary>CPU time used so far by this process (the benchmark and the in-process host), the worker and Azurite.</summary>
internal readonly record struct CpuSnapshot(TimeSpan Self, TimeSpan Worker, TimeSpan Azurite)
{
    public static CpuSnapshot Take(int azuritePid, int? workerPid) => new(
        Process.GetCurrentProcess().TotalProcessorTime,
        workerPid is { } w ? Process.GetProcessById(w).TotalProcessorTime : TimeSpan.Zero,
        Process.GetProcessById(azuritePid).TotalProcessorTime);

    public static CpuSnapshot operator -(CpuSnapshot a, CpuSnapshot b) => new(a.Self - b.Self, a.Worker - b.Worker, a.Azurite - b.Azurite);

    public string PerMessage(int count) =>
        string.Create(CultureInfo.InvariantCulture, $"{Self.TotalMilliseconds / count:0.00} / {Worker.TotalMilliseconds / count:0.00} / {Azurite.TotalMilliseconds / count:0.00} (total {(Self + Worker + Azurite).TotalMilliseconds / count:0.00})");
}

/// <summary>Counts this process's storage requests by method and operation (Azure.Core's request events).</summary>
internal sealed class StorageRequests : IDisposable
{
    private readonly AzureEventSourceListener _listener;
    private ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);

    public StorageRequests() => _listener = new AzureEventSourceListener(Count, EventLevel.Informational);

    public static string PerMessage(IReadOnlyDictionary<string, int> counts, int messages) =>
        string.Join(", ", counts.OrderByDescending(c => c.Value).Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key} {c.Value / (double)messages:0.000}")));

    /// <summary>Starts counting again; returns what was counted since the last reset.</summary>
    public IReadOnlyDictionary<string, int> Reset() => Interlocked.Exchange(ref _counts, new ConcurrentDictionary<string, int>(StringComparer.Ordinal));

    public void Dispose() => _listener.Dispose();

    private void Count(EventWrittenEventArgs e, string message)
    {
        if (e.EventName != "Request" || e.PayloadNames is null)
        {
            return;
        }

        var method = e.Payload![e.PayloadNames.IndexOf("method")]?.ToString();
        var uri = new Uri(e.Payload[e.PayloadNames.IndexOf("uri")]!.ToString()!);
        var segments = uri.AbsolutePath.Trim('/').Split('/');
        var operation = segments.Length switch
        {
            >= 4 => "messages/{id}",
            3 => segments[2],
            _ => "queue",
        };
        var comp = System.Web.HttpUtility.ParseQueryString(uri.Query)["comp"];
        _counts.AddOrUpdate($"{method} {operation}{(comp is null ? "" : "?comp=" + comp)}", 1, (_, n) => n + 1);
    }
}
