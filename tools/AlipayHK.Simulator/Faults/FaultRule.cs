namespace AlipayHK.Simulator.Faults;

/// <summary>How the simulator misbehaves on a call that a rule matches.</summary>
public enum FaultKind
{
    /// <summary>A signed answer <c>UNKNOWN_EXCEPTION</c>, status U. The request is not processed unless <see cref="FaultRule.ProcessFirst"/>.</summary>
    UnknownException,

    /// <summary>
    /// A signed answer <c>SYSTEM_ERROR</c> with status <see cref="FaultRule.ResultStatus"/> (F by default: the
    /// hard case, since a client must still treat SYSTEM_ERROR as U and retry).
    /// </summary>
    SystemError,

    /// <summary>HTTP 500 with a plain-text body, unsigned, not processed (a gateway error).</summary>
    Http500,

    /// <summary>HTTP 503 with a plain-text body, unsigned, not processed.</summary>
    Http503,

    /// <summary>HTTP 429 with <c>Retry-After</c> and an unsigned <c>REQUEST_TRAFFIC_EXCEED_LIMIT</c> (U) body, not processed.</summary>
    Http429,

    /// <summary>
    /// Waits <see cref="FaultRule.Delay"/> before handling the call. A client that gives up first gets no answer
    /// and the request is NOT processed (it never got past the gateway); one that waits gets the normal answer.
    /// </summary>
    Delay,

    /// <summary>The request IS processed, then the connection is aborted: the answer is lost.</summary>
    DropAnswerAfterProcessing,

    /// <summary>The request is processed and answered without a <c>Signature</c> header.</summary>
    UnsignedAnswer,

    /// <summary>The request is processed and answered with a well-formed signature that does not verify.</summary>
    BrokenSignature,
}

/// <summary>When a rule fires.</summary>
public enum FaultMode
{
    /// <summary>On every matching call.</summary>
    Always,

    /// <summary>On the next <see cref="FaultRule.Count"/> matching calls, then never.</summary>
    NextN,

    /// <summary>On each matching call with probability <see cref="FaultRule.Probability"/> (seedable with <see cref="FaultRule.Seed"/>).</summary>
    Probability,
}

/// <summary>One fault rule; bindable from configuration (<c>Simulator:Faults:0:Kind=Http503</c>) and the admin API.</summary>
public sealed class FaultRule
{
    /// <summary>Assigned when the rule is added; used to delete it.</summary>
    public string? Id { get; set; }

    /// <summary>
    /// An API path (<c>/api/open/alipay/v1/ipass/pass/manage/createPass</c>), its short name (<c>createPass</c>,
    /// <c>updatePass</c>, <c>templateDetail</c>, <c>applyToken</c>, <c>billQuery</c>, <c>circleStoreSave</c>,
    /// <c>circleStoreQueryPage</c>), its last path segment, or <c>*</c> for all.
    /// </summary>
    public string Path { get; set; } = "*";

    /// <summary>What happens.</summary>
    public FaultKind Kind { get; set; }

    /// <summary>When it happens.</summary>
    public FaultMode Mode { get; set; } = FaultMode.Always;

    /// <summary>For <see cref="FaultMode.NextN"/>: how many calls.</summary>
    public int Count { get; set; } = 1;

    /// <summary>For <see cref="FaultMode.Probability"/>: the chance per call, 0 to 1.</summary>
    public double Probability { get; set; }

    /// <summary>For <see cref="FaultMode.Probability"/>: a seed for a repeatable sequence.</summary>
    public int? Seed { get; set; }

    /// <summary>For <see cref="FaultKind.Delay"/>: how long to hold the call.</summary>
    public TimeSpan Delay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>For <see cref="FaultKind.Http429"/>: the <c>Retry-After</c> value.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>For <see cref="FaultKind.SystemError"/>: the <c>resultStatus</c> (F or U).</summary>
    public string ResultStatus { get; set; } = "F";

    /// <summary>
    /// For <see cref="FaultKind.UnknownException"/> and <see cref="FaultKind.SystemError"/>: process the request
    /// before answering the fault (AlipayHK did the work but says it does not know).
    /// </summary>
    public bool ProcessFirst { get; set; }

    /// <summary>How many calls the rule has fired on.</summary>
    public int Hits { get; set; }

    internal FaultRule Clone() => (FaultRule)MemberwiseClone();
}
