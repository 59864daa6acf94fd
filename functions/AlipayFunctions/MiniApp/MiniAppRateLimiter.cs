using System.Globalization;
using System.Net;
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
    /// The client's address. The Functions host proxies each request to the worker and writes the address it accepted
    /// as the last <c>X-Forwarded-For</c> entry; the worker's ASP.NET Core integration applies forwarded headers from
    /// its loopback proxy, so that entry is already the connection's remote address and what is left in the header
    /// is whatever the client claimed. Where no such handling ran (the connection is still the loopback proxy), the
    /// last entry is taken here.
    /// </summary>
    public static string ClientAddress(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var remote = request.HttpContext.Connection.RemoteIpAddress;
        if (remote is not null && !IPAddress.IsLoopback(remote))
        {
            return (remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote).ToString();
        }
        var forwarded = request.Headers["X-Forwarded-For"].ToString();
        var last = forwarded.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        if (last is not null && Parse(last) is { } address)
        {
            return address;
        }
        return remote?.ToString() ?? "unknown";
    }

    // "1.2.3.4", "1.2.3.4:5678", "[::1]:5678" or "::1" → the address alone, so one client's ports share a bucket.
    private static string? Parse(string entry)
    {
        if (IPEndPoint.TryParse(entry, out var endPoint))
        {
            var address = endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address;
            return address.ToString();
        }
        return null;
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
