using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace AlipayHK.Simulator.Bills;

/// <summary>A batch of bills a user submitted in AlipayHK (manual upload), fetched by bill/query.</summary>
/// <param name="BatchNo">The number the mall mini-app receives through <c>onShow</c>.</param>
/// <param name="UserId">The user who submitted it; only their access token reads it.</param>
/// <param name="MallGroupLabel">The business district subject's mall group.</param>
/// <param name="MallLabel">The business district subject's mall.</param>
/// <param name="Bills">The bills, as JSON shaped like bill/notify.</param>
public sealed record BillBatch(string BatchNo, string UserId, string? MallGroupLabel, string? MallLabel, IReadOnlyList<JsonObject> Bills);

/// <summary>What <c>POST /admin/bills/batches</c> takes.</summary>
public sealed class BillBatchRequest
{
    /// <summary>The user who submitted the bills.</summary>
    public string UserId { get; set; } = "";

    /// <summary>The mall group.</summary>
    public string? MallGroupLabel { get; set; }

    /// <summary>The mall.</summary>
    public string? MallLabel { get; set; }

    /// <summary>The bills; their <c>UserId</c> defaults to the batch's user.</summary>
    [JsonObjectCreationHandling(JsonObjectCreationHandling.Populate)]
    public IList<Bill> Bills { get; } = [];
}

/// <summary>The batches of bills users submitted; thread-safe.</summary>
public sealed class BillBatchStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, BillBatch> _batches = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock;
    private long _sequence;

    internal BillBatchStore(TimeProvider clock) => _clock = clock;

    /// <summary>Stores a batch and returns it with its batchNo.</summary>
    /// <exception cref="ArgumentException">No user, or a bill without an amount.</exception>
    public BillBatch Add(BillBatchRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.UserId);
        var bills = new List<JsonObject>();
        foreach (var bill in request.Bills)
        {
            if (string.IsNullOrWhiteSpace(bill.UserId))
            {
                bill.UserId = request.UserId;
            }
            bill.Validate();
            bills.Add(bill.ToJson(_clock));
        }
        lock (_lock)
        {
            var batchNo = string.Create(CultureInfo.InvariantCulture, $"BATCH{_clock.GetUtcNow():yyyyMMdd}{++_sequence:D8}");
            var batch = new BillBatch(batchNo, request.UserId, request.MallGroupLabel, request.MallLabel, bills);
            _batches.Add(batchNo, batch);
            return batch;
        }
    }

    /// <summary>A batch, or null.</summary>
    public BillBatch? Find(string batchNo)
    {
        lock (_lock)
        {
            return _batches.GetValueOrDefault(batchNo);
        }
    }

    /// <summary>How many batches are held.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _batches.Count;
            }
        }
    }
}
