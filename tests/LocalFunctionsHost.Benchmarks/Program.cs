using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using AlipayFunctions.Testing;
using Azure.Storage.Queues;
using LocalFunctionsHost;

// dotnet run -c Release --project tests/LocalFunctionsHost.Benchmarks [-- <http requests> <queue messages>]
// Prints the host's added latency per HTTP request (p50/p99) and its queue throughput against the raw rate.
var requests = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
var messages = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1000;
var scriptRoot = Path.GetFullPath(Assembly.GetEntryAssembly()!.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "SampleWorkerOutput").Value!);

await using var azurite = await AzuriteProcess.StartAsync();
var work = AzuriteProcess.NewQueueName("work");
var queues = new QueueServiceClient(azurite.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

// Raw rate: receive (batches of 16, as the host) and delete, nothing else.
var raw = queues.GetQueueClient(AzuriteProcess.NewQueueName("raw"));
await raw.CreateIfNotExistsAsync();
await FillAsync(raw, messages);
var rawClock = Stopwatch.StartNew();
var rawDone = 0;
while (rawDone < messages)
{
    var batch = (await raw.ReceiveMessagesAsync(16)).Value;
    await Task.WhenAll(batch.Select(m => raw.DeleteMessageAsync(m.MessageId, m.PopReceipt)));
    rawDone += batch.Length;
}

rawClock.Stop();

// Raw with the same storage work the sample function causes: receive, send one output message, delete.
var rawOut = queues.GetQueueClient(AzuriteProcess.NewQueueName("rawout"));
var rawOutTarget = queues.GetQueueClient(AzuriteProcess.NewQueueName("rawdone"));
await rawOut.CreateIfNotExistsAsync();
await rawOutTarget.CreateIfNotExistsAsync();
await FillAsync(rawOut, messages);
var rawOutClock = Stopwatch.StartNew();
var rawOutDone = 0;
while (rawOutDone < messages)
{
    var batch = (await rawOut.ReceiveMessagesAsync(16)).Value;
    await Task.WhenAll(batch.Select(async m =>
    {
        await rawOutTarget.SendMessageAsync("done:" + m.Body);
        await rawOut.DeleteMessageAsync(m.MessageId, m.PopReceipt);
    }));
    rawOutDone += batch.Length;
}

rawOutClock.Stop();

// Through the host: the same count prefilled, each one an invocation of the sample's queue function.
var workQueue = queues.GetQueueClient(work);
await workQueue.CreateIfNotExistsAsync();
await FillAsync(workQueue, messages);
var options = new LocalHostOptions { ScriptRoot = scriptRoot, Port = 0, Output = _ => { } };
options.Settings["AzureWebJobsStorage"] = azurite.ConnectionString;
options.Settings["WorkQueue"] = work;
options.Settings["DoneQueue"] = AzuriteProcess.NewQueueName("done");
options.Settings["TimerQueue"] = AzuriteProcess.NewQueueName("timer");
options.Settings["TickSchedule"] = "0 0 0 1 1 *";
options.Settings["AzureWebJobs.Tick.Disabled"] = "true";
var hostDone = 0;
var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
var hostClock = new Stopwatch();
await using var host = await LocalFunctionsHost.LocalFunctionsHost.StartAsync(options);
hostClock.Start();
host.InvocationCompleted += (_, e) =>
{
    if (e.FunctionName == "Work" && e.Succeeded && Interlocked.Increment(ref hostDone) == messages)
    {
        hostClock.Stop();
        allDone.TrySetResult();
    }
};
await allDone.Task.WaitAsync(TimeSpan.FromMinutes(10));

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
var rawRate = messages / rawClock.Elapsed.TotalSeconds;
var hostRate = messages / hostClock.Elapsed.TotalSeconds;
Console.WriteLine($"Queue, {messages} messages:");
Console.WriteLine($"  raw receive-and-delete:  {rawRate:0} msg/s");
Console.WriteLine($"  raw receive, send, delete: {messages / rawOutClock.Elapsed.TotalSeconds:0} msg/s (the storage work of the sample function, no invocation)");
Console.WriteLine($"  through the host:        {hostRate:0} msg/s (invocation + return-value output message + delete)");
Console.WriteLine($"  ratio:                   {hostRate / rawRate:0.00}");

static async Task FillAsync(QueueClient queue, int count)
{
    for (var i = 0; i < count; i += 50)
    {
        await Task.WhenAll(Enumerable.Range(i, Math.Min(50, count - i)).Select(n => queue.SendMessageAsync($"m{n}")));
    }
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
