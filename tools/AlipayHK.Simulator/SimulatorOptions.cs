using AlipayHK.Simulator.Faults;
using AlipayHK.Simulator.Passes;
using AlipayHK.Simulator.Webhooks;

namespace AlipayHK.Simulator;

/// <summary>
/// Settings of the simulator, bound from the <c>Simulator</c> configuration section (command line
/// <c>--Simulator:ClientId=...</c>, environment <c>Simulator__ClientId</c>, appsettings.json).
/// </summary>
public sealed class SimulatorOptions
{
    /// <summary>The configuration section the tool binds.</summary>
    public const string SectionName = "Simulator";

    /// <summary>
    /// Where the embedded host listens; loopback on a free port by default. The admin endpoints have no
    /// authentication: keep the simulator on loopback.
    /// </summary>
    public string Urls { get; set; } = "http://127.0.0.1:0";

    /// <summary>
    /// A path prefix the simulator is mounted under, e.g. <c>/sandbox</c>, like a sandbox gateway with a path: the
    /// APIs answer at <c>/sandbox/api/open/...</c> and verify the signature over that whole path. Empty by default.
    /// </summary>
    public string? PathBase { get; set; }

    /// <summary>The client id "issued" to the merchant: requests must carry it, answers and webhooks carry it.</summary>
    public string ClientId { get; set; } = "SIMULATOR-CLIENT-ID";

    /// <summary>The merchant id the merchant's requests must name in <c>merchantId</c>.</summary>
    public string MerchantId { get; set; } = "SIMULATOR-MERCHANT";

    /// <summary>The merchant's public key (PEM or base64 SubjectPublicKeyInfo). Required: every request is verified with it.</summary>
    public string? MerchantPublicKey { get; set; }

    /// <summary>A file holding <see cref="MerchantPublicKey"/>, for scripts.</summary>
    public string? MerchantPublicKeyPath { get; set; }

    /// <summary>The platform private key (PEM) the simulator signs with; generated at start when absent.</summary>
    public string? PlatformPrivateKey { get; set; }

    /// <summary>A file holding <see cref="PlatformPrivateKey"/>.</summary>
    public string? PlatformPrivateKeyPath { get; set; }

    /// <summary>The <c>keyVersion</c> written into the simulator's <c>Signature</c> headers.</summary>
    public string KeyVersion { get; set; } = "1";

    /// <summary>The card templates; when none is configured one valid template <c>TPL-MEMBER</c> is seeded.</summary>
    public IList<TemplateOptions> Templates { get; } = [];

    /// <summary>How long an auth code issued by <c>POST /admin/authcodes</c> stays usable.</summary>
    public TimeSpan AuthCodeLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long an access token from applyToken is valid.</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a refresh token from applyToken is valid.</summary>
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Where and how webhooks are sent.</summary>
    public WebhookOptions Webhooks { get; set; } = new();

    /// <summary>Fault rules active from the start (more can be added at run time).</summary>
    public IList<FaultRule> Faults { get; } = [];

    /// <summary>How many received calls the inspection log keeps (oldest dropped first).</summary>
    public int MaxRecordedCalls { get; set; } = 10_000;

    /// <summary>
    /// Whether the /admin endpoints answer callers that are not on loopback. Off by default: they have no
    /// authentication and can mint auth codes.
    /// </summary>
    public bool AllowRemoteAdmin { get; set; }
}
