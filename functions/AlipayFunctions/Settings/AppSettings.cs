using System.Globalization;
using AlipayFunctions.Loyalty;
using AlipayHK.OpenApi.Signing;
using AlipayHK.OpenApi.Webhooks;

namespace AlipayFunctions.Settings;

/// <summary>
/// Every setting the app reads (design.md §6), read and checked once at start-up. A missing or malformed value
/// stops start-up with one message naming the key, instead of failing on the first webhook.
/// </summary>
public sealed record AppSettings(
    AlipayHKSettings AlipayHK,
    SigningSettings Signing,
    WebhookSettings Webhooks,
    LoyaltySettings Loyalty,
    MiniAppSettings MiniApp,
    QueueSettings Queues)
{
    /// <summary>The reconciliation sweep (timer function <c>Reconcile</c>, <c>alipayhk sweep</c>).</summary>
    public SweepSettings Sweep { get; init; } = SweepSettings.Default;

    /// <summary>Reads and validates the configuration.</summary>
    /// <exception cref="SettingsException">A key is missing or malformed; the message names it.</exception>
    public static AppSettings Load(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var reader = new SettingsReader(configuration);
        var alipay = new AlipayHKSettings(
            BaseUrl: reader.AbsoluteUri("AlipayHK:BaseUrl", required: true)!,
            ClientId: reader.String("AlipayHK:ClientId")!,
            MerchantId: reader.String("AlipayHK:MerchantId")!,
            KeyVersion: reader.String("AlipayHK:KeyVersion", "1")!,
            PlatformPublicKey: reader.PlatformPublicKey(),
            Timeout: reader.Duration("AlipayHK:Timeout", TimeSpan.FromSeconds(10)))
        {
            // Set before AlipayHK rotates its key: answers and webhooks verify with either key.
            NextPlatformPublicKey = reader.OptionalPublicKey("AlipayHK:NextPlatformPublicKey"),
        };

        var mode = reader.Enum("Signing:Mode", SigningMode.KeyVault);
        var signing = new SigningSettings(
            Mode: mode,
            KeyVaultKeyId: mode == SigningMode.KeyVault ? reader.AbsoluteUri("Signing:KeyVaultKeyId", required: true) : null,
            PrivateKeyPem: mode == SigningMode.Pem ? reader.PrivateKeyPem() : null,
            // Per instance. 200/s is the smallest vault limit (2,000 RSA-2048 operations per 10 s, HSM keys); with
            // several instances on one vault, divide. The mini-app class gets at most its cap of it.
            SignaturesPerSecond: reader.Int("Signing:SignaturesPerSecond", 200, min: 1, max: 10_000),
            MiniAppSignaturesPerSecond: reader.Int("Signing:MiniAppSignaturesPerSecond", 20, min: 0, max: 10_000));
        if (signing.MiniAppSignaturesPerSecond > signing.SignaturesPerSecond)
        {
            throw new SettingsException("Signing:MiniAppSignaturesPerSecond", $"is larger than Signing:SignaturesPerSecond ({signing.SignaturesPerSecond})");
        }

        var tag = reader.String("Webhooks:MerchantTag")!;
        if (tag.IndexOfAny(['/', '?', '#', ' ']) >= 0)
        {
            throw new SettingsException("Webhooks:MerchantTag", "is a single path segment, without '/', '?', '#' or spaces.");
        }
        var webhooks = new WebhookSettings(
            MerchantTag: tag,
            PublicPathPrefix: reader.String("Webhooks:PublicPathPrefix", "")!.TrimEnd('/'),
            MaxBodyBytes: reader.Int("Webhooks:MaxBodyBytes", 64 * 1024, min: 1024, max: 1024 * 1024),
            MemberIdField: reader.String("Webhooks:MemberIdField", "memberId")!)
        {
            MaxRequestAge = reader.PositiveDuration("Webhooks:MaxRequestAge", AlipayWebhookVerifierOptions.DefaultMaxRequestAge),
            MaxFutureSkew = reader.Duration("Webhooks:MaxFutureSkew", AlipayWebhookVerifierOptions.DefaultMaxFutureSkew),
        };

        var loyalty = new LoyaltySettings(
            TemplateCode: reader.String("Loyalty:TemplateCode")!,
            EarnRules: reader.EarnRules("Loyalty:EarnRules"),
            PointsVariable: reader.String("Loyalty:PointsVariable", "$points$")!,
            MemberIdPrefix: reader.String("Loyalty:MemberIdPrefix", "M")!,
            Locales: reader.List("Loyalty:Locales", ["en_US", "zh_HK"]))
        {
            CardValidity = reader.OptionalPositiveDuration("Loyalty:CardValidity"),
        };

        var miniApp = new MiniAppSettings(
            AppId: reader.String("MiniApp:AppId", "")!,
            // applyToken's authClientId is the client id AlipayHK issued; a different one is rarely needed.
            AuthClientId: reader.String("MiniApp:AuthClientId", alipay.ClientId)!,
            SessionSecret: reader.Secret("MiniApp:SessionSecret"),
            SessionLifetime: reader.Duration("MiniApp:SessionLifetime", TimeSpan.FromHours(2)),
            MallGroupLabel: reader.String("MiniApp:MallGroupLabel", "")!,
            MallLabel: reader.String("MiniApp:MallLabel", "")!,
            RequestsPerMinutePerClient: reader.Int("MiniApp:RequestsPerMinutePerClient", 30, min: 1, max: 100_000),
            RequestsPerSecond: reader.Int("MiniApp:RequestsPerSecond", 50, min: 1, max: 100_000))
        {
            // Only behind a proxy the app takes all its traffic from (Front Door: X-Azure-ClientIP); see MiniAppRateLimiter.
            ClientAddressHeader = reader.OptionalHeaderName("MiniApp:ClientAddressHeader"),
        };
        // The channel is on when it has an AppId, and then its sessions need their key.
        if (miniApp.Enabled && miniApp.SessionSecret is null)
        {
            throw new SettingsException("MiniApp:SessionSecret", "is missing (the mini-app channel is on because MiniApp:AppId is set)");
        }

        // Delivery itself (batch size, polling, retry delay, poison) is the Functions host's, set in host.json.
        var queues = new QueueSettings(
            MaxDequeueCount: reader.Int("Queues:MaxDequeueCount", 5, min: 1, max: 100),
            VisibilityTimeout: reader.Duration("Queues:VisibilityTimeout", TimeSpan.FromMinutes(5)),
            PassSyncDelay: reader.Duration("Queues:PassSyncDelay", TimeSpan.FromSeconds(2)));

        return new AppSettings(alipay, signing, webhooks, loyalty, miniApp, queues) { Sweep = SweepSettings.Read(reader) };
    }
}

/// <summary>How the app reaches AlipayHK.</summary>
public sealed record AlipayHKSettings(Uri BaseUrl, string ClientId, string MerchantId, string KeyVersion, string PlatformPublicKey, TimeSpan Timeout)
{
    /// <summary>AlipayHK's next platform public key during a key rotation (<c>AlipayHK:NextPlatformPublicKey</c>), or null.</summary>
    public string? NextPlatformPublicKey { get; init; }
}

/// <summary>Where the merchant key lives.</summary>
public enum SigningMode
{
    /// <summary>Azure Key Vault: the key never leaves the vault (production).</summary>
    KeyVault,
    /// <summary>A PEM private key in a file or setting (local runs and tests).</summary>
    Pem,
}

/// <summary>The merchant signing key and its budget.</summary>
/// <param name="Mode">Where the key lives.</param>
/// <param name="KeyVaultKeyId">The Key Vault key (KeyVault mode).</param>
/// <param name="PrivateKeyPem">The key (Pem mode).</param>
/// <param name="SignaturesPerSecond">Signatures per second this instance may spend in all.</param>
/// <param name="MiniAppSignaturesPerSecond">Of those, the most the mini-app channel may spend; the rest is kept for webhook answers and card calls.</param>
public sealed record SigningSettings(SigningMode Mode, Uri? KeyVaultKeyId, string? PrivateKeyPem, int SignaturesPerSecond = 200, int MiniAppSignaturesPerSecond = 20);

/// <summary>The webhook endpoints AlipayHK calls.</summary>
/// <param name="MerchantTag">The <c>{merchantTag}</c> path segment registered with AlipayHK.</param>
/// <param name="PublicPathPrefix">A prefix a gateway adds in front of the app (the path AlipayHK signs is prefix + app path).</param>
/// <param name="MaxBodyBytes">The largest webhook body accepted.</param>
/// <param name="MemberIdField">The answer field that carries the member id in membercard/create answers.</param>
public sealed record WebhookSettings(string MerchantTag, string PublicPathPrefix, int MaxBodyBytes, string MemberIdField)
{
    /// <summary>Replay window: a webhook whose <c>Request-Time</c> is older is refused (<c>Webhooks:MaxRequestAge</c>).</summary>
    public TimeSpan MaxRequestAge { get; init; } = AlipayWebhookVerifierOptions.DefaultMaxRequestAge;

    /// <summary>How far ahead of our clock a <c>Request-Time</c> may be (<c>Webhooks:MaxFutureSkew</c>).</summary>
    public TimeSpan MaxFutureSkew { get; init; } = AlipayWebhookVerifierOptions.DefaultMaxFutureSkew;
}

/// <summary>The points programme.</summary>
public sealed record LoyaltySettings(string TemplateCode, EarnRules EarnRules, string PointsVariable, string MemberIdPrefix, IReadOnlyList<string> Locales)
{
    /// <summary>
    /// How long a new card is valid (<c>Loyalty:CardValidity</c>), cut to the template's end; null: the template's
    /// whole validity.
    /// </summary>
    public TimeSpan? CardValidity { get; init; }
}

/// <summary>The mall mini-app channel: on when <paramref name="AppId"/> is set.</summary>
/// <param name="AppId">The mini-app's id; empty turns the channel off.</param>
/// <param name="AuthClientId">applyToken's authClientId.</param>
/// <param name="SessionSecret">The key of the session tokens (required when the channel is on).</param>
/// <param name="SessionLifetime">How long a session token lasts.</param>
/// <param name="MallGroupLabel">bill/query's mall group.</param>
/// <param name="MallLabel">bill/query's mall.</param>
/// <param name="RequestsPerMinutePerClient">Mini-app requests one client address may make per minute (a burst of that many, then one every 60/N s).</param>
/// <param name="RequestsPerSecond">Mini-app requests this instance takes per second from everyone together.</param>
public sealed record MiniAppSettings(string AppId, string AuthClientId, byte[]? SessionSecret, TimeSpan SessionLifetime, string MallGroupLabel, string MallLabel,
    int RequestsPerMinutePerClient = 30, int RequestsPerSecond = 50)
{
    /// <summary>Whether the channel is on.</summary>
    public bool Enabled => AppId.Length > 0;

    /// <summary>
    /// The request header holding the client's address, written by a proxy that all traffic comes through
    /// (<c>MiniApp:ClientAddressHeader</c>, e.g. Front Door's <c>X-Azure-ClientIP</c>); null: the connection's address.
    /// Set only when the app accepts traffic from that proxy alone, or a client can pick its own rate-limit bucket.
    /// </summary>
    public string? ClientAddressHeader { get; init; }
}

/// <summary>What the app's queue work needs to know of queue processing.</summary>
/// <param name="MaxDequeueCount">host.json's <c>extensions.queues.maxDequeueCount</c>: the delivery after which the host poisons a message.</param>
/// <param name="VisibilityTimeout">How long a card-sync claim (and a queued-sync mark) holds if its owner dies.</param>
/// <param name="PassSyncDelay">How long a pass-sync message waits, so that a burst of bills coalesces into one.</param>
public sealed record QueueSettings(int MaxDequeueCount, TimeSpan VisibilityTimeout, TimeSpan PassSyncDelay);

/// <summary>The reconciliation sweep.</summary>
/// <param name="Grace">How long a need may stand before the sweep acts on it: the normal path's own time to finish (<c>Sweep:Grace</c>).</param>
/// <param name="MaxItems">The most index entries one run handles (<c>Sweep:MaxItems</c>); the rest wait for the next run.</param>
public sealed record SweepSettings(TimeSpan Grace, int MaxItems)
{
    /// <summary>Ten minutes' grace, 1000 entries a run.</summary>
    public static readonly SweepSettings Default = new(TimeSpan.FromMinutes(10), 1000);

    /// <summary>
    /// The wait before the sweep first retries a card that failed for a cause that can go away (a template fixed on
    /// AlipayHK's side; <c>Sweep:RetryFirst</c>); it doubles with each failure up to <see cref="RetryMax"/>.
    /// </summary>
    public TimeSpan RetryFirst { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>The longest wait between two automatic retries of a failed card (<c>Sweep:RetryMax</c>).</summary>
    public TimeSpan RetryMax { get; init; } = TimeSpan.FromDays(1);

    /// <summary>When a card that has failed <paramref name="failures"/> times (this one included) may be retried.</summary>
    public DateTimeOffset NextRetry(int failures, DateTimeOffset now)
    {
        var doublings = Math.Clamp(failures - 1, 0, 30);
        var wait = RetryFirst.Ticks > RetryMax.Ticks >> doublings ? RetryMax : TimeSpan.FromTicks(RetryFirst.Ticks << doublings);
        return now + wait;
    }

    // One reading for the timer function and the operator's `alipayhk sweep`.
    internal static SweepSettings Read(SettingsReader reader) => new(
        Grace: reader.PositiveDuration("Sweep:Grace", Default.Grace),
        MaxItems: reader.Int("Sweep:MaxItems", Default.MaxItems, min: 1, max: 100_000))
    {
        RetryFirst = reader.PositiveDuration("Sweep:RetryFirst", Default.RetryFirst),
        RetryMax = reader.PositiveDuration("Sweep:RetryMax", Default.RetryMax),
    };
}

/// <summary>A configuration key is missing or malformed.</summary>
public sealed class SettingsException : Exception
{
    public SettingsException(string key, string problem) : base($"Configuration '{key}' {problem} (environment variable {key.Replace(":", "__", StringComparison.Ordinal)}).") => Key = key;

    public SettingsException() { Key = ""; }

    public SettingsException(string message) : base(message) { Key = ""; }

    public SettingsException(string message, Exception innerException) : base(message, innerException) { Key = ""; }

    /// <summary>The configuration key at fault.</summary>
    public string Key { get; }
}

internal sealed class SettingsReader(IConfiguration configuration)
{
    public string? String(string key, string? fallback = null)
    {
        var value = configuration[key]?.Trim();
        if (!string.IsNullOrEmpty(value))
        {
            return value;
        }
        return fallback ?? throw new SettingsException(key, "is missing");
    }

    public Uri? AbsoluteUri(string key, bool required)
    {
        var text = configuration[key]?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return required ? throw new SettingsException(key, "is missing") : null;
        }
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new SettingsException(key, "is not an absolute http(s) URL");
        }
        return uri;
    }

    public int Int(string key, int fallback, int min, int max)
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new SettingsException(key, $"is not a whole number from {min} to {max}");
        }
        return value;
    }

    public bool Bool(string key, bool fallback)
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }
        return bool.TryParse(text, out var value) ? value : throw new SettingsException(key, "is not true or false");
    }

    public TimeSpan Duration(string key, TimeSpan fallback)
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value) && value >= TimeSpan.Zero
            ? value
            : throw new SettingsException(key, "is not a duration such as 00:00:10");
    }

    public TimeSpan PositiveDuration(string key, TimeSpan fallback) =>
        Duration(key, fallback) is { Ticks: > 0 } value ? value : throw new SettingsException(key, "must be longer than zero");

    public TimeSpan? OptionalPositiveDuration(string key) =>
        string.IsNullOrWhiteSpace(configuration[key]) ? null : PositiveDuration(key, TimeSpan.Zero);

    public TEnum Enum<TEnum>(string key, TEnum fallback) where TEnum : struct, Enum
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }
        return System.Enum.TryParse<TEnum>(text, ignoreCase: true, out var value) && System.Enum.IsDefined(value)
            ? value
            : throw new SettingsException(key, $"is not one of {string.Join(", ", System.Enum.GetNames<TEnum>())}");
    }

    public IReadOnlyList<string> List(string key, string[] fallback)
    {
        var text = configuration[key];
        var children = configuration.GetSection(key).GetChildren().Select(c => c.Value).OfType<string>().ToArray();
        if (children.Length > 0)
        {
            return children;
        }
        return string.IsNullOrWhiteSpace(text) ? fallback : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public string PublicKey(string key) =>
        CheckedPublicKey(String(key)!, key, "is not a PEM public key or base64 SubjectPublicKeyInfo");

    // The text, once it imports as an RSA public key; otherwise start-up stops naming the key and the problem.
    private static string CheckedPublicKey(string text, string key, string problem)
    {
        try
        {
            using var rsa = RsaKeys.ImportPublicKey(text);
        }
        catch (FormatException)
        {
            throw new SettingsException(key, problem);
        }
        return text;
    }

    /// <summary>An optional HTTP header name: a token (RFC 9110 §5.6.2), so that it names exactly one header.</summary>
    public string? OptionalHeaderName(string key)
    {
        var text = configuration[key]?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        return text.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal))
            ? text
            : throw new SettingsException(key, "is not an HTTP header name (letters, digits and !#$%&'*+-.^_`|~ only, such as X-Azure-ClientIP)");
    }

    public string? OptionalPublicKey(string key) =>
        string.IsNullOrWhiteSpace(configuration[key]) ? null : PublicKey(key);

    /// <summary>AlipayHK's public key: <c>AlipayHK:PlatformPublicKey</c> itself, or the PEM file <c>AlipayHK:PlatformPublicKeyPath</c> names; exactly one of the two.</summary>
    public string PlatformPublicKey()
    {
        const string Key = "AlipayHK:PlatformPublicKey";
        const string PathKey = "AlipayHK:PlatformPublicKeyPath";
        var inline = !string.IsNullOrWhiteSpace(configuration[Key]);
        var file = !string.IsNullOrWhiteSpace(configuration[PathKey]);
        if (inline && file)
        {
            // Two sources of one key: which one wins would be a guess, and a wrong guess fails every signature.
            throw new SettingsException(Key, $"and '{PathKey}' are both set: set only one of them");
        }
        if (!file)
        {
            return inline ? PublicKey(Key) : throw new SettingsException(Key, $"is missing (or set '{PathKey}' to a PEM file holding it)");
        }
        return CheckedPublicKey(KeyFileText(PathKey), PathKey, "names a file that holds no PEM public key or base64 SubjectPublicKeyInfo");
    }

    /// <summary>The text of the key file a setting names, found as <see cref="KeyFiles.Find"/> finds it.</summary>
    public string KeyFileText(string key)
    {
        var path = String(key)!;
        var workingDirectory = Directory.GetCurrentDirectory();
        var found = KeyFiles.Find(path, workingDirectory)
            ?? throw new SettingsException(key, KeyFiles.NotFound(path, workingDirectory));
        return File.ReadAllText(found);
    }

    public string PrivateKeyPem()
    {
        var pem = configuration["Signing:PrivateKeyPem"];
        if (string.IsNullOrWhiteSpace(pem))
        {
            pem = KeyFileText("Signing:PrivateKeyPath");
        }
        try
        {
            using var rsa = RsaKeys.ImportPrivateKey(pem);
        }
        catch (FormatException)
        {
            throw new SettingsException("Signing:PrivateKeyPem", "holds no unencrypted PKCS#8 or PKCS#1 RSA private key");
        }
        return pem;
    }

    /// <summary>An optional secret given as base64 (at least 32 bytes).</summary>
    public byte[]? Secret(string key)
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        try
        {
            var bytes = Convert.FromBase64String(text.Trim());
            return bytes.Length >= 32 ? bytes : throw new SettingsException(key, "must be at least 32 random bytes, base64-encoded");
        }
        catch (FormatException)
        {
            throw new SettingsException(key, "is not base64");
        }
    }

    public EarnRules EarnRules(string key)
    {
        var text = configuration[key];
        try
        {
            return string.IsNullOrWhiteSpace(text) ? Loyalty.EarnRules.Default : Loyalty.EarnRules.Parse(text);
        }
        catch (FormatException e)
        {
            throw new SettingsException(key, e.Message);
        }
    }
}
