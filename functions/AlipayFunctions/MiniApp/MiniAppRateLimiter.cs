using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using AlipayFunctions.Observability;
using AlipayFunctions.Settings;

namespace AlipayFunctions.MiniApp;

/// <summary>
/// Limits the mini-app endpoints per client address and per instance, before anything is read, signed or sent:
/// each authorisation costs a merchant signature and an AlipayHK call, and anyone can send one.
/// </summary>
internal sealed partial class MiniAppRateLimiter : IDisposable
{
    private const string Everyone = "";
    private readonly PartitionedRateLimiter<string> _perClient;
    private readonly PartitionedRateLimiter<string> _perInstance;
    private readonly PartitionedRateLimiter<string> _limiter;
    private readonly string? _clientAddressHeader;
    private readonly AppMetrics? _metrics;
    private readonly ILogger? _logger;
    private int _fallbackLogged;

    public MiniAppRateLimiter(MiniAppSettings settings, AppMetrics? metrics = null, ILogger<MiniAppRateLimiter>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _clientAddressHeader = settings.ClientAddressHeader;
        _metrics = metrics;
        _logger = logger;
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
        using var lease = _limiter.AttemptAcquire(ClientKey(request));
        if (lease.IsAcquired)
        {
            return null;
        }
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) && wait > TimeSpan.Zero ? wait : TimeSpan.FromSeconds(1);
    }

    /// <summary>
    /// The per-client bucket: the connection's address (<see cref="ClientAddress"/>), or with
    /// <c>MiniApp:ClientAddressHeader</c> set, the one IP address in that header, which a proxy in front of the app
    /// (Front Door's <c>X-Azure-ClientIP</c>) writes, since then every connection is the proxy's. Only safe when the
    /// app takes traffic from that proxy alone: otherwise a client names its own bucket (docs/reliability.md). A
    /// request without one usable address in the header (missing, repeated, a list, a port, not an address) falls
    /// back to the connection's address, is counted (<c>miniapp.client_address.fallbacks</c>) and logged once.
    /// </summary>
    public string ClientKey(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_clientAddressHeader is null)
        {
            return ClientAddress(request);
        }
        var values = request.Headers[_clientAddressHeader];
        if (values.Count == 1 && SingleAddress(values[0]) is { } address)
        {
            return Canonical(address);
        }
        var reason = values.Count == 0 ? "missing" : "malformed";
        _metrics?.ClientAddressFallback(reason);
        if (_logger is not null && Interlocked.Exchange(ref _fallbackLogged, 1) == 0)
        {
            // Once per instance: a flood of such requests must not write a line each. The value is the client's: not logged.
            LogFallback(_logger, _clientAddressHeader, reason);
        }
        return ClientAddress(request);
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
        return remote is null ? "unknown" : Canonical(remote);
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

    // One IPv4 or IPv6 address as written, nothing else: IPAddress.TryParse also takes "[::1]:80", "fe80::1%eth0",
    // "10.1" and "0x7f.1", each of which would let one client appear under several spellings.
    private static IPAddress? SingleAddress(string? text)
    {
        text = text?.Trim();
        if (string.IsNullOrEmpty(text) || text.Length > 45 || !text.All(c => char.IsAsciiHexDigit(c) || c is '.' or ':')
            || !IPAddress.TryParse(text, out var address))
        {
            return null;
        }
        return address.AddressFamily == AddressFamily.InterNetwork && address.ToString() != text ? null : address;
    }

    // An IPv4 client seen over IPv6 is the same client.
    private static string Canonical(IPAddress address) =>
        (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();

    [LoggerMessage(Level = LogLevel.Warning, Message = "A mini-app request had its {Header} header {Reason}: it was rate-limited by the connection's address instead (logged once; every one is counted in miniapp.client_address.fallbacks)")]
    private static partial void LogFallback(ILogger logger, string header, string reason);
}
