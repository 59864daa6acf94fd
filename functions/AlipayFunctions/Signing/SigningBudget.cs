namespace AlipayFunctions.Signing;

/// <summary>Who a signature is for, which decides whether it may be refused when the budget is short.</summary>
public enum SigningClass
{
    /// <summary>Webhook answers and card calls: AlipayHK or our own queue drives them; never refused here.</summary>
    Priority,
    /// <summary>Mini-app calls (applyToken, bill/query): anyone on the internet drives them; capped.</summary>
    MiniApp,
}

/// <summary>
/// The merchant key's signing budget per instance (design.md §5: a Key Vault allows 2,000-4,000 RSA operations per
/// 10 s per vault). Priority signatures always go ahead and take from the budget; mini-app signatures need a token
/// from their own cap AND from what the priority class has left, so a mini-app flood spends at most its cap and
/// webhook answers keep at least <c>perSecond - miniAppPerSecond</c> whatever the mini-app channel does.
/// Tokens are refilled once a second from the injected clock.
/// </summary>
public sealed class SigningBudget : IDisposable
{
    // What is left of this second's budget, in all and for the mini-app class. A fixed one-second window refilled by
    // the clock's timer (System.Threading.RateLimiting's buckets cannot be driven by a TimeProvider); Key Vault counts
    // over 10 s, so a window boundary's double burst stays far inside its limit.
    private int _totalLeft;
    private int _miniAppLeft;
    private readonly ITimer _refill;
    private long _refused;
    private long _overBudget;

    /// <param name="perSecond">Signatures per second this instance may spend in all.</param>
    /// <param name="miniAppPerSecond">Of those, at most this many for the mini-app class.</param>
    /// <param name="clock">Drives the refill.</param>
    public SigningBudget(int perSecond, int miniAppPerSecond, TimeProvider clock)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perSecond, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(miniAppPerSecond);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(miniAppPerSecond, perSecond);
        ArgumentNullException.ThrowIfNull(clock);
        PerSecond = perSecond;
        MiniAppPerSecond = miniAppPerSecond;
        Refill();
        _refill = clock.CreateTimer(_ => Refill(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>Signatures per second in all.</summary>
    public int PerSecond { get; }

    /// <summary>The mini-app class's cap per second.</summary>
    public int MiniAppPerSecond { get; }

    /// <summary>How long a refused caller should wait: the next refill.</summary>
    public static TimeSpan RetryAfter => TimeSpan.FromSeconds(1);

    /// <summary>Mini-app signatures refused so far.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Priority signatures made when the budget was already spent (the vault may then throttle).</summary>
    public long OverBudget => Interlocked.Read(ref _overBudget);

    /// <summary>Takes one signature from the budget for <paramref name="signingClass"/>.</summary>
    /// <exception cref="SigningBudgetExceededException">A mini-app signature when its cap or the budget is spent.</exception>
    public void Take(SigningClass signingClass)
    {
        if (signingClass == SigningClass.Priority)
        {
            if (Interlocked.Decrement(ref _totalLeft) < 0)
            {
                // Never refused: AlipayHK would retry a webhook we fail, and the vault's own 429s are retried.
                Interlocked.Increment(ref _overBudget);
            }
            return;
        }
        // The cap first, then what the priority class has left; a refusal leaves both spent for this second, which
        // only makes the mini-app class yield sooner.
        if (Interlocked.Decrement(ref _miniAppLeft) >= 0 && Interlocked.Decrement(ref _totalLeft) >= 0)
        {
            return;
        }
        Interlocked.Increment(ref _refused);
        throw new SigningBudgetExceededException(RetryAfter);
    }

    /// <summary>Starts a new second: the whole budget and the whole cap are available again.</summary>
    internal void Refill()
    {
        Volatile.Write(ref _totalLeft, PerSecond);
        Volatile.Write(ref _miniAppLeft, MiniAppPerSecond);
    }

    /// <inheritdoc />
    public void Dispose() => _refill.Dispose();
}

/// <summary>A mini-app signature was refused: the mini-app class has spent its share of the signing budget.</summary>
public sealed class SigningBudgetExceededException : Exception
{
    /// <summary>Creates the exception with the wait before a retry can succeed.</summary>
    public SigningBudgetExceededException(TimeSpan retryAfter)
        : base("The mini-app's share of the signing budget is spent; retry later.") => RetryAfter = retryAfter;

    /// <summary>Creates the exception.</summary>
    public SigningBudgetExceededException() : this(SigningBudget.RetryAfter) { }

    /// <summary>Creates the exception.</summary>
    public SigningBudgetExceededException(string message) : base(message) => RetryAfter = SigningBudget.RetryAfter;

    /// <summary>Creates the exception.</summary>
    public SigningBudgetExceededException(string message, Exception innerException) : base(message, innerException) => RetryAfter = SigningBudget.RetryAfter;

    /// <summary>How long to wait before retrying.</summary>
    public TimeSpan RetryAfter { get; }
}
