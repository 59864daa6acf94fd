using System.Text;
using AlipayFunctions.Storage.Queues;
using AlipayFunctions.Storage.Tables;
using AlipayFunctions.Testing;
using Azure;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace AlipayFunctions.Storage.Benchmarks;

/// <summary>
/// Each client operation beside the same request made with a bare HttpClient and hand-built Shared Key headers,
/// against a real Azurite started for the run. Ratio = client time / bare time (the bare request is the baseline).
/// </summary>
[Config(typeof(Config))]
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet calls GlobalCleanup, which disposes.")]
public class StorageClientBenchmarks
{
    // Fixed invocations so each receive iteration can be given exactly the messages it takes.
    internal const int Invocations = 100;
    private const string BareInsertTable = "benchbare";
    private const string Message = "{\"type\":\"bill\",\"merchantTag\":\"mall\",\"billNo\":\"B-20260101-0001\",\"userId\":\"2160000000000001\",\"amount\":{\"currency\":\"HKD\",\"value\":12800}}";

    private AzuriteProcess? _azurite;
    private CannedStorage? _canned;
    private BareStorageRequests _bare = null!;
    private HttpClient _http = null!;
    private QueueClient _clientSendQueue = null!;
    private QueueClient _bareSendQueue = null!;
    private QueueClient _clientReceiveQueue = null!;
    private QueueClient _bareReceiveQueue = null!;
    private TableClient _table = null!;
    private TableClient _clientInsertTable = null!;
    private string _body = null!;
    private TableEntity _mergeEntity = null!;
    private long _row;

    private sealed class Config : ManualConfig
    {
        // A short job (3 warm-up iterations) with 40 measured iterations: a single Azurite (one Node.js thread, with
        // its own garbage collector) swings one iteration of 100 requests by a millisecond per request, so 15
        // iterations let one side's ratio move by ±30 % from run to run.
        public Config()
        {
            AddJob(Job.ShortRun.WithIterationCount(40).WithInvocationCount(Invocations).WithUnrollFactor(1));
            AddColumn(StatisticColumn.Median, StatisticColumn.P95);
        }
    }

    [GlobalSetup]
    public void Setup() => SetupAsync(canned: false).GetAwaiter().GetResult();

    /// <summary>Against a real Azurite, or against <see cref="CannedStorage"/> (the clients' own cost alone).</summary>
    internal async Task SetupAsync(bool canned)
    {
        string connectionString;
        if (canned)
        {
            _canned = await CannedStorage.StartAsync();
            _bare = new BareStorageRequests(_canned.QueueEndpoint, _canned.TableEndpoint);
            connectionString = _canned.ConnectionString;
        }
        else
        {
            _azurite = await AzuriteProcess.StartAsync();
            _bare = new BareStorageRequests(_azurite);
            connectionString = _azurite.ConnectionString;
        }

        _http = new HttpClient();
        var account = StorageAccount.Parse(connectionString);
        var queues = new QueueServiceClient(account);
        // Each side has its own queue and insert table, so neither measures a store the other has filled.
        _clientSendQueue = queues.GetQueueClient("bench-send-client");
        _bareSendQueue = queues.GetQueueClient("bench-send-bare");
        _clientReceiveQueue = queues.GetQueueClient("bench-receive-client");
        _bareReceiveQueue = queues.GetQueueClient("bench-receive-bare");
        foreach (var queue in new[] { _clientSendQueue, _bareSendQueue, _clientReceiveQueue, _bareReceiveQueue })
        {
            await queue.CreateIfNotExistsAsync();
        }

        _body = BareStorageRequests.PutMessageBody(Convert.ToBase64String(Encoding.UTF8.GetBytes(Message)));
        var tables = new TableServiceClient(account);
        // The merged entity has a table of its own: a partition filled by thousands of inserts slows Azurite's
        // merge, and in a 100-round paired run one bare merge waited out the 100 s client timeout.
        _table = tables.GetTableClient("bench");
        _clientInsertTable = tables.GetTableClient("benchclient");
        await _table.CreateIfNotExistsAsync();
        await _clientInsertTable.CreateIfNotExistsAsync();
        await tables.GetTableClient(BareInsertTable).CreateIfNotExistsAsync();
        _mergeEntity = new TableEntity("user-1", "member") { ["Balance"] = 0L, ["BalanceVersion"] = 0L, ["PassId"] = "pass-1" };
        await _table.UpsertEntityAsync(_mergeEntity, TableUpdateMode.Replace);
    }

    [IterationSetup(Target = nameof(QueueReceiveDelete_Bare))]
    public void FillBareReceiveQueue() => Fill(_bareReceiveQueue);

    [IterationSetup(Target = nameof(QueueReceiveDelete_Client))]
    public void FillClientReceiveQueue() => Fill(_clientReceiveQueue);

    /// <summary>Exactly the messages one iteration receives, so every iteration sees the same queue length.</summary>
    private void Fill(QueueClient queue) =>
        Parallel.ForAsync(0, Invocations, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (_, ct) =>
        {
            using var request = _bare.Queue(HttpMethod.Post, $"{queue.Name}/messages", _body);
            using var response = await _http.SendAsync(request, ct);
            response.EnsureSuccessStatusCode();
        }).GetAwaiter().GetResult();

    /// <summary>
    /// Empties both send queues. Azurite's in-memory store scans every message of the account on each receive and
    /// delete, so messages left by the send benchmarks would slow every queue operation measured after them.
    /// </summary>
    public void ClearSendQueues() =>
        Task.WhenAll(_clientSendQueue.ClearAsync(), _bareSendQueue.ClearAsync()).GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup()
    {
        _http.Dispose();
        _azurite?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _canned?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [BenchmarkCategory("QueueSend"), Benchmark(Baseline = true)]
    public async Task QueueSend_Bare()
    {
        var text = Convert.ToBase64String(Encoding.UTF8.GetBytes(Message));
        using var request = _bare.Queue(HttpMethod.Post, "bench-send-bare/messages", BareStorageRequests.PutMessageBody(text));
        using var response = await _http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsByteArrayAsync();
    }

    [BenchmarkCategory("QueueSend"), Benchmark]
    public Task QueueSend_Client() => _clientSendQueue.SendMessageAsync(Message);

    [BenchmarkCategory("QueueReceiveDelete"), Benchmark(Baseline = true)]
    public async Task QueueReceiveDelete_Bare()
    {
        string id, receipt;
        using (var request = _bare.Queue(HttpMethod.Get, "bench-receive-bare/messages?numofmessages=1&visibilitytimeout=30"))
        using (var response = await _http.SendAsync(request))
        {
            response.EnsureSuccessStatusCode();
            var xml = await response.Content.ReadAsStringAsync();
            id = Between(xml, "<MessageId>", "</MessageId>");
            receipt = Between(xml, "<PopReceipt>", "</PopReceipt>");
        }

        using var delete = _bare.Queue(HttpMethod.Delete, $"bench-receive-bare/messages/{id}?popreceipt={Uri.EscapeDataString(receipt)}");
        using var deleted = await _http.SendAsync(delete);
        deleted.EnsureSuccessStatusCode();
    }

    [BenchmarkCategory("QueueReceiveDelete"), Benchmark]
    public async Task QueueReceiveDelete_Client()
    {
        var messages = await _clientReceiveQueue.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(30));
        var message = messages.Count == 1 ? messages[0] : throw new InvalidOperationException("The prefilled queue ran dry.");
        await _clientReceiveQueue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
    }

    [BenchmarkCategory("TableInsert"), Benchmark(Baseline = true)]
    public async Task TableInsert_Bare()
    {
        var row = Interlocked.Increment(ref _row);
        var json = $"{{\"PartitionKey\":\"user-1\",\"RowKey\":\"bill:{row}\",\"Points\":\"128\",\"Points@odata.type\":\"Edm.Int64\",\"State\":\"applied\"}}";
        using var request = _bare.Table(HttpMethod.Post, BareInsertTable, json);
        using var response = await _http.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }

    [BenchmarkCategory("TableInsert"), Benchmark]
    public Task TableInsert_Client()
    {
        var row = Interlocked.Increment(ref _row);
        return _clientInsertTable.AddEntityAsync(new TableEntity("user-1", $"bill:{row}") { ["Points"] = 128L, ["State"] = "applied" });
    }

    [BenchmarkCategory("TableMerge"), Benchmark(Baseline = true)]
    public async Task TableMerge_Bare()
    {
        const string json = "{\"PartitionKey\":\"user-1\",\"RowKey\":\"member\",\"Balance\":\"128\",\"Balance@odata.type\":\"Edm.Int64\"}";
        using var request = _bare.Table(new HttpMethod("MERGE"), "bench(PartitionKey='user-1',RowKey='member')", json, ifMatch: "*");
        using var response = await _http.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }

    [BenchmarkCategory("TableMerge"), Benchmark]
    public Task TableMerge_Client() =>
        _table.UpdateEntityAsync(new TableEntity("user-1", "member") { ["Balance"] = 128L }, ETag.All, TableUpdateMode.Merge);

    private static string Between(string text, string start, string end)
    {
        var from = text.IndexOf(start, StringComparison.Ordinal) + start.Length;
        return text[from..text.IndexOf(end, from, StringComparison.Ordinal)];
    }
}
