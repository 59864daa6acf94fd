using System.Text.Json.Serialization;

namespace AlipayHK.Simulator.Webhooks;

/// <summary>Which webhook.</summary>
public enum WebhookKind
{
    /// <summary><c>/{merchantTag}/points/membercard/create</c>.</summary>
    MemberCardCreate,

    /// <summary><c>/{merchantTag}/points/bill/notify</c>.</summary>
    BillNotify,
}

/// <summary>Where a delivery stands.</summary>
public enum WebhookState
{
    /// <summary>Attempts remain.</summary>
    Pending,

    /// <summary>The merchant answered a verified, signed S.</summary>
    Delivered,

    /// <summary>Every attempt of the schedule failed.</summary>
    GaveUp,

    /// <summary>The simulator stopped first.</summary>
    Cancelled,
}

/// <summary>One attempt to deliver a webhook and what the merchant answered.</summary>
/// <param name="Number">1 for the first send, 2 for the first retry, ...</param>
/// <param name="DelayBefore">The wait before this attempt: AlipayHK's schedule divided by the time factor.</param>
/// <param name="At">When it was sent.</param>
/// <param name="HttpStatus">The HTTP status answered (0 when there was no answer).</param>
/// <param name="ResultCode">The answer's <c>resultCode</c>, if it had one.</param>
/// <param name="ResultStatus">The answer's <c>resultStatus</c>, if it had one.</param>
/// <param name="Verified">Whether the answer's signature verified with the merchant's public key.</param>
/// <param name="Outcome"><c>delivered</c>, or why the attempt does not count.</param>
public sealed record WebhookAttempt(int Number, TimeSpan DelayBefore, DateTimeOffset At, int HttpStatus, string? ResultCode, string? ResultStatus, bool Verified, string Outcome)
{
    /// <summary>Whether this attempt delivered the webhook.</summary>
    public bool Delivered => Outcome == WebhookDelivery.DeliveredOutcome;
}

/// <summary>A webhook the simulator sends, with its attempts so far; await <see cref="Completion"/> for the end.</summary>
public sealed class WebhookDelivery
{
    internal const string DeliveredOutcome = "delivered";

    private readonly Lock _lock = new();
    private readonly List<WebhookAttempt> _attempts = [];
    private readonly TaskCompletionSource<WebhookDelivery> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal WebhookDelivery(string id, WebhookKind kind, Uri target, string body, string userId)
    {
        Id = id;
        Kind = kind;
        Target = target;
        Body = body;
        UserId = userId;
    }

    /// <summary>The simulator's id for the delivery.</summary>
    public string Id { get; }

    /// <summary>Which webhook.</summary>
    public WebhookKind Kind { get; }

    /// <summary>The URL it is sent to; its path is what is signed.</summary>
    public Uri Target { get; }

    /// <summary>The exact body sent on every attempt.</summary>
    [JsonIgnore]
    public string Body { get; }

    /// <summary>The user it concerns (raw: mask it before showing it).</summary>
    [JsonIgnore]
    public string UserId { get; }

    /// <summary>Where it stands.</summary>
    public WebhookState State { get; private set; } = WebhookState.Pending;

    /// <summary>The merchant's member id from a delivered membercard/create answer, if it carried one.</summary>
    public string? MemberId { get; private set; }

    /// <summary>The attempts so far.</summary>
    public IReadOnlyList<WebhookAttempt> Attempts
    {
        get
        {
            lock (_lock)
            {
                return [.. _attempts];
            }
        }
    }

    /// <summary>Completes when the webhook is delivered, given up or cancelled.</summary>
    [JsonIgnore]
    public Task<WebhookDelivery> Completion => _completion.Task;

    /// <summary>Waits for the final outcome.</summary>
    public Task<WebhookDelivery> WaitAsync(CancellationToken cancellationToken = default) => Completion.WaitAsync(cancellationToken);

    internal void Add(WebhookAttempt attempt)
    {
        lock (_lock)
        {
            _attempts.Add(attempt);
        }
    }

    internal void Finish(WebhookState state, string? memberId = null)
    {
        State = state;
        MemberId = memberId;
        _completion.TrySetResult(this);
    }
}

/// <summary>Every webhook sent since start; thread-safe.</summary>
public sealed class WebhookLog
{
    private readonly Lock _lock = new();
    private readonly List<WebhookDelivery> _deliveries = [];

    /// <summary>The deliveries, oldest first.</summary>
    public IReadOnlyList<WebhookDelivery> List()
    {
        lock (_lock)
        {
            return [.. _deliveries];
        }
    }

    /// <summary>One delivery, or null.</summary>
    public WebhookDelivery? Find(string id)
    {
        lock (_lock)
        {
            return _deliveries.FirstOrDefault(d => d.Id == id);
        }
    }

    internal void Add(WebhookDelivery delivery)
    {
        lock (_lock)
        {
            _deliveries.Add(delivery);
        }
    }
}
