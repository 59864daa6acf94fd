namespace AlipayHK.Simulator.Inspection;

/// <summary>One call the simulator received. Carries no token, signature or unmasked user id.</summary>
/// <param name="Sequence">Order of arrival, from 1.</param>
/// <param name="At">When the call arrived (the simulator's clock).</param>
/// <param name="Api">The API's short name, e.g. <c>createPass</c>.</param>
/// <param name="Path">The request path.</param>
/// <param name="Verification"><c>verified</c>, or why the request was not accepted.</param>
/// <param name="Processed">Whether the API handler ran (state may have changed).</param>
/// <param name="HttpStatus">The HTTP status answered (0 when the answer was dropped or the client went away).</param>
/// <param name="ResultCode">The <c>resultCode</c> answered, if any.</param>
/// <param name="ResultStatus">The <c>resultStatus</c> answered, if any.</param>
/// <param name="Fault">The fault kind applied, if any.</param>
/// <param name="TracerId">The <c>Tracer-Id</c> answered.</param>
/// <param name="User">The user the call concerns, masked.</param>
public sealed record CallRecord(
    long Sequence,
    DateTimeOffset At,
    string Api,
    string Path,
    string Verification,
    bool Processed,
    int HttpStatus,
    string? ResultCode,
    string? ResultStatus,
    string? Fault,
    string TracerId,
    string? User);

/// <summary>The calls received, newest last, bounded; thread-safe.</summary>
public sealed class CallLog(int capacity)
{
    private readonly Lock _lock = new();
    private readonly Queue<CallRecord> _calls = new();
    private long _sequence;

    /// <summary>How many calls have been received since start (including those no longer kept).</summary>
    public long Total => Interlocked.Read(ref _sequence);

    internal long NextSequence() => Interlocked.Increment(ref _sequence);

    internal void Add(CallRecord call)
    {
        lock (_lock)
        {
            _calls.Enqueue(call);
            while (_calls.Count > Math.Max(1, capacity))
            {
                _calls.Dequeue();
            }
        }
    }

    /// <summary>The calls kept, in order of completion.</summary>
    public IReadOnlyList<CallRecord> List()
    {
        lock (_lock)
        {
            return [.. _calls];
        }
    }

    /// <summary>The calls to one API (short name or path).</summary>
    public IReadOnlyList<CallRecord> For(string api) =>
        List().Where(c => string.Equals(c.Api, api, StringComparison.OrdinalIgnoreCase) || c.Path == api).ToList();
}

/// <summary>Masks personal identifiers for listings and logs.</summary>
public static class Mask
{
    /// <summary>Keeps the first four and last two characters: <c>2160****89</c>.</summary>
    public static string? UserId(string? userId) => userId switch
    {
        null => null,
        { Length: <= 6 } => new string('*', userId.Length),
        _ => string.Concat(userId.AsSpan(0, 4), new string('*', userId.Length - 6), userId.AsSpan(userId.Length - 2)),
    };
}
