namespace AlipayHK.OpenApi.Client;

/// <summary>Settings for <see cref="AlipayHKClient"/> (configuration section <c>AlipayHK</c>).</summary>
public sealed class AlipayHKClientOptions
{
    /// <summary>AlipayHK's production host.</summary>
    public static readonly Uri ProductionBaseUrl = new("https://open.alipay.hk");

    /// <summary>The host to call: production, a sandbox or the simulator. Paths are appended to it.</summary>
    public Uri BaseUrl { get; set; } = ProductionBaseUrl;

    /// <summary>The client id AlipayHK assigned (required).</summary>
    public string ClientId { get; set; } = "";

    /// <summary>The merchant id AlipayHK assigned; filled into requests that leave <c>merchantId</c> empty.</summary>
    public string? MerchantId { get; set; }

    /// <summary>The version of the merchant key registered with AlipayHK (docs show 1 and 2; merchant code used 0).</summary>
    public string KeyVersion { get; set; } = "1";

    /// <summary>AlipayHK's platform public key, PEM or base64 SubjectPublicKeyInfo (required): verifies every answer.</summary>
    public string PlatformPublicKey { get; set; } = "";

    /// <summary>How long one call may take, signing included; the caller's token can end it sooner.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The API paths; override one only if AlipayHK issues a different path.</summary>
    public AlipayHKPaths Paths { get; set; } = new();

    /// <summary>Checks the settings, naming the first one that is wrong.</summary>
    /// <exception cref="ArgumentException">A required setting is missing or malformed.</exception>
    public void Validate()
    {
        if (BaseUrl is null || !BaseUrl.IsAbsoluteUri || (BaseUrl.Scheme != Uri.UriSchemeHttps && BaseUrl.Scheme != Uri.UriSchemeHttp))
        {
            throw new ArgumentException("AlipayHK:BaseUrl must be an absolute http(s) URL.", nameof(BaseUrl));
        }
        if (string.IsNullOrWhiteSpace(ClientId))
        {
            throw new ArgumentException("AlipayHK:ClientId is required.", nameof(ClientId));
        }
        if (string.IsNullOrWhiteSpace(KeyVersion))
        {
            throw new ArgumentException("AlipayHK:KeyVersion is required.", nameof(KeyVersion));
        }
        if (string.IsNullOrWhiteSpace(PlatformPublicKey))
        {
            throw new ArgumentException("AlipayHK:PlatformPublicKey is required.", nameof(PlatformPublicKey));
        }
        if (Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("AlipayHK:Timeout must be positive.", nameof(Timeout));
        }
        ArgumentNullException.ThrowIfNull(Paths);
        Paths.Validate();
    }
}

/// <summary>The paths of the APIs the merchant calls (protocol §1).</summary>
public sealed class AlipayHKPaths
{
    /// <summary>createPass.</summary>
    public string CreatePass { get; set; } = "/api/open/alipay/v1/ipass/pass/manage/createPass";

    /// <summary>updatePass.</summary>
    public string UpdatePass { get; set; } = "/api/open/alipay/v1/ipass/pass/manage/updatePass";

    /// <summary>Template detail.</summary>
    public string TemplateDetail { get; set; } = "/api/open/alipay/v1/ipass/template/manage/detail";

    /// <summary>applyToken.</summary>
    public string ApplyToken { get; set; } = "/api/open/v2/authorizations/applyToken";

    /// <summary>bill/query.</summary>
    public string BillQuery { get; set; } = "/api/open/alipayhk/businessdistrict/bill/query";

    /// <summary>circleStore/save.</summary>
    public string CircleStoreSave { get; set; } = "/api/open/alipayhk/businessdistrict/circleStore/save";

    /// <summary>circleStore/queryPage.</summary>
    public string CircleStoreQueryPage { get; set; } = "/api/open/alipayhk/businessdistrict/circleStore/queryPage";

    internal void Validate()
    {
        foreach (var (name, path) in new[]
        {
            (nameof(CreatePass), CreatePass), (nameof(UpdatePass), UpdatePass), (nameof(TemplateDetail), TemplateDetail),
            (nameof(ApplyToken), ApplyToken), (nameof(BillQuery), BillQuery), (nameof(CircleStoreSave), CircleStoreSave),
            (nameof(CircleStoreQueryPage), CircleStoreQueryPage),
        })
        {
            if (string.IsNullOrWhiteSpace(path) || path[0] != '/' || path.Contains('?', StringComparison.Ordinal))
            {
                throw new ArgumentException($"AlipayHK:Paths:{name} must be a path starting with '/' and without a query.", name);
            }
        }
    }
}
