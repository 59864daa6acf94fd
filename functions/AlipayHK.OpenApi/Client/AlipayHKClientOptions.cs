namespace AlipayHK.OpenApi.Client;

/// <summary>Settings for <see cref="AlipayHKClient"/> (configuration section <c>AlipayHK</c>).</summary>
public sealed class AlipayHKClientOptions
{
    /// <summary>AlipayHK's production host.</summary>
    public static readonly Uri ProductionBaseUrl = new("https://open.alipay.hk");

    /// <summary>
    /// The host to call: production, a sandbox or the simulator. API paths are appended to it, keeping any path it
    /// has (<c>https://gw.example/sandbox</c> calls <c>https://gw.example/sandbox/api/open/...</c>), and that whole
    /// path is the one signed (protocol §2.1: the URL path of the request).
    /// </summary>
    public Uri BaseUrl { get; set; } = ProductionBaseUrl;

    /// <summary>The client id AlipayHK assigned (required).</summary>
    public string ClientId { get; set; } = "";

    /// <summary>The merchant id AlipayHK assigned; filled into requests that leave <c>merchantId</c> empty.</summary>
    public string? MerchantId { get; set; }

    /// <summary>The version of the merchant key registered with AlipayHK (docs show 1 and 2; merchant code used 0).</summary>
    public string KeyVersion { get; set; } = "1";

    /// <summary>AlipayHK's platform public key, PEM or base64 SubjectPublicKeyInfo (required): verifies every answer.</summary>
    public string PlatformPublicKey { get; set; } = "";

    /// <summary>
    /// AlipayHK's next platform public key (optional), for a key rotation: an answer verifies if either this or
    /// <see cref="PlatformPublicKey"/> verifies it, so the new key can be configured before AlipayHK switches.
    /// </summary>
    public string? NextPlatformPublicKey { get; set; }

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
        if (!string.IsNullOrEmpty(BaseUrl.Query) || !string.IsNullOrEmpty(BaseUrl.Fragment))
        {
            throw new ArgumentException("AlipayHK:BaseUrl must not have a query or fragment.", nameof(BaseUrl));
        }
        ArgumentNullException.ThrowIfNull(Paths);
        Paths.Validate();
    }

    /// <summary>The URL of an API path under <see cref="BaseUrl"/>, keeping the base URL's own path as a prefix.</summary>
    /// <param name="path">An API path starting with <c>/</c>, e.g. <see cref="AlipayHKPaths.CreatePass"/>.</param>
    public Uri ResolveUri(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        // new Uri(base, "/x") would drop the base's path; join the two paths instead.
        var builder = new UriBuilder(BaseUrl);
        builder.Path = builder.Path.TrimEnd('/') + "/" + path.TrimStart('/');
        return builder.Uri;
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
