namespace AlipayHK.Simulator.Webhooks;

/// <summary>Where the simulator sends AlipayHK's webhooks, and how fast it retries.</summary>
public sealed class WebhookOptions
{
    /// <summary>The merchant's public base URL (scheme, host and any path prefix registered with AlipayHK).</summary>
    public Uri? TargetBaseUrl { get; set; }

    /// <summary>The <c>{merchantTag}</c> path segment registered with AlipayHK.</summary>
    public string MerchantTag { get; set; } = "merchant";

    /// <summary>
    /// Divides AlipayHK's retry schedule (2 m, 10 m, 10 m, 1 h, 2 h, 6 h, 15 h): 1 is real time, 1000 turns 2 m into
    /// 120 ms. Must be at least 1.
    /// </summary>
    public double TimeFactor { get; set; } = 1;

    /// <summary>How long one attempt waits for the merchant's answer (AlipayHK's senders allow 10-15 s).</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>(assumed) The field of membercard/create's answer that carries the merchant's member id.</summary>
    public string MemberIdField { get; set; } = "memberId";
}
