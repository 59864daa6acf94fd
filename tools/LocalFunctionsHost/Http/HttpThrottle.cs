namespace LocalFunctionsHost.Http;

/// <summary>
/// host.json <c>extensions.http.maxConcurrentRequests</c> and <c>maxOutstandingRequests</c>, with the real host's
/// semantics (Azure/azure-functions-host <c>HttpRequestQueue</c>: an ActionBlock whose MaxDegreeOfParallelism is the
/// first and BoundedCapacity the second): at most <c>maxOutstandingRequests</c> requests are admitted at once, queued
/// or running, and the next one is refused (the caller answers 429); of the admitted ones at most
/// <c>maxConcurrentRequests</c> run, the rest wait in arrival order. -1 leaves either unbounded.
/// Unlike the real queue, a waiting request whose caller goes away leaves the queue at once and frees its place.
/// </summary>
internal sealed class HttpThrottle
{
    /// <summary>host.json's "no limit".</summary>
    public const int Unbounded = -1;

    private readonly int _maxOutstanding;
    private readonly SemaphoreSlim? _running;
    private int _outstanding;

    public HttpThrottle(int maxConcurrentRequests, int maxOutstandingRequests)
    {
        _maxOutstanding = maxOutstandingRequests;
        // Not disposed: a request still finishing after the listener stopped may release it. (SemaphoreSlim serves its
        // waiters in arrival order in practice, though it promises no order.)
        _running = maxConcurrentRequests == Unbounded ? null : new SemaphoreSlim(maxConcurrentRequests, maxConcurrentRequests);
    }

    /// <summary>Whether either limit is set (else requests go straight through, as in the real host).</summary>
    public bool Enabled => _running is not null || _maxOutstanding != Unbounded;

    /// <summary>Requests admitted and not finished: waiting plus running.</summary>
    public int Outstanding => Volatile.Read(ref _outstanding);

    /// <summary>
    /// Admits a request and waits for a place to run it. Null: <c>maxOutstandingRequests</c> requests are already
    /// admitted (refuse it with 429). The lease ends the request's place; dispose it when the request is over.
    /// </summary>
    /// <exception cref="OperationCanceledException">The caller went away while waiting; its place is freed.</exception>
    public async ValueTask<Lease?> EnterAsync(CancellationToken cancellationToken)
    {
        if (!TryAdmit())
        {
            return null;
        }

        if (_running is not null)
        {
            try
            {
                await _running.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                Interlocked.Decrement(ref _outstanding);
                throw;
            }
        }

        return new Lease(this);
    }

    private bool TryAdmit()
    {
        while (true)
        {
            var current = Volatile.Read(ref _outstanding);
            if (_maxOutstanding != Unbounded && current >= _maxOutstanding)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _outstanding, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    private void Leave()
    {
        _running?.Release();
        Interlocked.Decrement(ref _outstanding);
    }

    /// <summary>One admitted, running request; disposing it (once) lets the next one run.</summary>
    public sealed class Lease : IDisposable
    {
        private HttpThrottle? _owner;

        internal Lease(HttpThrottle owner) => _owner = owner;

        public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Leave();
    }
}
