using AlipayHK.OpenApi.Signing;

namespace AlipayHK.OpenApi.Webhooks;

/// <summary>
/// Signs webhook answers (protocol §2.3), reusing a signature whenever the string-to-sign is identical: same path,
/// client id, <c>Response-Time</c> second and body bytes. RSA PKCS#1 v1.5 is deterministic, so the reused signature
/// is exactly the one a new signing would make; with Key Vault signing scarce, bill/notify's SUCCESS answers then
/// cost at most one signature per second and path. Concurrent identical answers share ONE signer call
/// (single-flight); keys are compared byte for byte, never by hash alone; the cache is bounded and keeps only the
/// current second's answers once full. Thread-safe; hold one per merchant key.
/// </summary>
public sealed class WebhookAnswerSigner
{
    /// <summary>The default number of distinct answers kept.</summary>
    public const int DefaultCapacity = 256;

    private readonly AlipayMessageSigner _signer;
    private readonly int _capacity;
    private readonly Lock _gate = new();
    private readonly Dictionary<AnswerKey, Entry> _cache = [];
    private long _signaturesMade;
    private long _signaturesReused;

    /// <summary>Creates an answer signer.</summary>
    /// <param name="signer">Signs with the merchant key, client id, key version and clock.</param>
    /// <param name="capacity">How many distinct answers to keep (at least 1).</param>
    public WebhookAnswerSigner(AlipayMessageSigner signer, int capacity = DefaultCapacity)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _signer = signer;
        _capacity = capacity;
    }

    /// <summary>How many signatures were actually made (signer calls that succeeded): a metric.</summary>
    public long SignaturesMade => Interlocked.Read(ref _signaturesMade);

    /// <summary>How many answers reused an earlier or in-flight signature: a metric.</summary>
    public long SignaturesReused => Interlocked.Read(ref _signaturesReused);

    /// <summary>Signs <paramref name="body"/> as the answer to <c>POST <paramref name="path"/></c>, stamped now.</summary>
    /// <param name="path">The public webhook path AlipayHK called (the one it signed).</param>
    /// <param name="body">The exact answer bytes, e.g. from <see cref="WebhookAnswers"/>.</param>
    /// <param name="cancellationToken">Stops this caller's wait; a signing shared with other callers still completes.</param>
    public Task<SignedMessage> SignAsync(string path, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default) =>
        SignAsync(path, body, AlipayTime.ToHeaderValue(_signer.Clock.GetUtcNow()), cancellationToken);

    /// <summary>Signs an answer with a given <c>Response-Time</c> value.</summary>
    public async Task<SignedMessage> SignAsync(string path, ReadOnlyMemory<byte> body, string responseTime, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentException.ThrowIfNullOrWhiteSpace(responseTime);
        var key = new AnswerKey(StringToSign.Build("POST", path, _signer.ClientId, responseTime, body.Span));

        TaskCompletionSource<SignedMessage> owner;
        Task<SignedMessage> shared;
        lock (_gate)
        {
            if (_cache.TryGetValue(key, out var existing))
            {
                shared = existing.Signing;
                owner = null!;
            }
            else
            {
                owner = new TaskCompletionSource<SignedMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
                shared = owner.Task;
                MakeRoom(responseTime);
                _cache[key] = new Entry(responseTime, shared);
            }
        }

        if (owner is null)
        {
            Interlocked.Increment(ref _signaturesReused);
        }
        else
        {
            // Not the caller's token: other callers may be waiting on this signature.
            try
            {
                var signed = await _signer.SignAsync(path, body, responseTime, CancellationToken.None).ConfigureAwait(false);
                Interlocked.Increment(ref _signaturesMade);
                owner.SetResult(signed);
            }
            catch (Exception e)
            {
                lock (_gate)
                {
                    _cache.Remove(key);
                }
                owner.SetException(e);
            }
        }

        var result = await shared.WaitAsync(cancellationToken).ConfigureAwait(false);
        // The cached message may point at another caller's buffer; hand back this caller's (identical) bytes.
        return result with { Body = body };
    }

    // Called under the lock: drops answers from earlier seconds once full; if the current second alone fills the
    // cache, drops one completed entry. In-flight signings are never dropped, so the bound is capacity + in-flight.
    private void MakeRoom(string currentTime)
    {
        if (_cache.Count < _capacity)
        {
            return;
        }
        List<AnswerKey>? stale = null;
        foreach (var (key, entry) in _cache)
        {
            if (!string.Equals(entry.Time, currentTime, StringComparison.Ordinal) && entry.Signing.IsCompleted)
            {
                (stale ??= []).Add(key);
            }
        }
        if (stale is null)
        {
            foreach (var (key, entry) in _cache)
            {
                if (entry.Signing.IsCompleted)
                {
                    (stale ??= []).Add(key);
                    break;
                }
            }
        }
        foreach (var key in stale ?? [])
        {
            _cache.Remove(key);
        }
    }

    private readonly record struct Entry(string Time, Task<SignedMessage> Signing);

    // The whole string-to-sign: equal keys are equal byte for byte.
    private sealed class AnswerKey : IEquatable<AnswerKey>
    {
        private readonly byte[] _bytes;
        private readonly int _hash;

        public AnswerKey(byte[] bytes)
        {
            _bytes = bytes;
            var hash = new HashCode();
            hash.AddBytes(bytes);
            _hash = hash.ToHashCode();
        }

        public bool Equals(AnswerKey? other) => other is not null && _hash == other._hash && _bytes.AsSpan().SequenceEqual(other._bytes);

        public override bool Equals(object? obj) => Equals(obj as AnswerKey);

        public override int GetHashCode() => _hash;
    }
}
