using System.Globalization;
using System.Threading.RateLimiting;
using AlipayFunctions.Settings;

namespace AlipayFunctions.MiniApp;

/// <summary>
/// Limits the mini-app endpoints per client address and per instance, before anything is read, signed or sent:
/// each authorisation costs a merchant signature and an AlipayHK call, and anyone can send one.
/// </summary>
internal sealed class MiniAppRateLimiter : IDisposable
{
    private const string Everyone = "";
    private readonly PartitionedRateLimiter<string> _perClient;
    private readonly PartitionedRateLimiter<string> _perInstance;
    private readonly PartitionedRateLimiter<string> _limiter;

    public MiniAppRateLimiter(MiniAppSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var perMinute = settings.RequestsPerMinutePerClient;
        // Idle clients' buckets are dropped by the partitioned limiter, so a spread of addresses does not pile up.
        _perClient = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetTokenBucketLimiter(address, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = perMinute,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1) / perMinute,
            QueueLimit = 0,
        }));
        var perSecond = settings.RequestsPerSecond;
        _perInstance = PartitionedRateLimiter.Create<string, string>(_ => RateLimitPartition.GetTokenBucketLimiter(Everyone, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = perSecond,
            TokensPerPeriod = perSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
        }));
        _limiter = PartitionedRateLimiter.CreateChained(_perClient, _perInstance);
    }

    /// <summary>Null when the request may go ahead; otherwise how long the client should wait.</summary>
    public TimeSpan? Refuse(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var lease = _limiter.AttemptAcquire(ClientAddress(request));
        if (lease.IsAcquired)
        {
            return null;
        }
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) && wait > TimeSpan.Zero ? wait : TimeSpan.FromSeconds(1);
    }

    /// <summary>
    /// The client's address: the connection's remote address once the worker's ASP.NET Core integration has applied
    /// forwarded headers. The Functions host forwards each request with YARP's default transforms, which SET
    /// <c>X-Forwarded-For</c> to the one address the host accepted the connection from (whatever the client sent in
    /// that header is dropped), and the worker's <c>UseForwardedHeaders</c> trusts only loopback proxies (the host),
    /// so that entry becomes the remote address. The header itself is never read here: a client cannot name its own
    /// bucket. A request the forwarded-headers step left alone keeps the host's loopback address: one shared bucket,
    /// the strict side. Chain and sources: docs/reliability.md "Which address is the client's".
    /// </summary>
    public static string ClientAddress(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var remote = request.HttpContext.Connection.RemoteIpAddress;
        if (remote is null)
        {
            return "unknown";
        }
        return (remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote).ToString();
    }

    /// <summary>The Retry-After header value: whole seconds, rounded up.</summary>
    public static string RetryAfterSeconds(TimeSpan wait) =>
        Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    public void Dispose()
    {
        _limiter.Dispose();
        _perClient.Dispose();
        _perInstance.Dispose();
    }
}
