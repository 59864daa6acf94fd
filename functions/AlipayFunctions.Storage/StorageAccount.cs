using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Configuration;

namespace AlipayFunctions.Storage;

/// <summary>
/// A storage account's queue and table endpoints and how to authenticate to them: an account key (Shared Key)
/// or an Entra ID <see cref="Azure.Core.TokenCredential"/>. Immutable; parse once and share.
/// </summary>
public sealed class StorageAccount
{
    /// <summary>The Azurite account name (<c>UseDevelopmentStorage=true</c>).</summary>
    public const string DevelopmentAccountName = "devstoreaccount1";

    // Azurite's well-known, public development key; not a secret.
    private const string DevelopmentAccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private StorageAccount(string accountName, Uri queueEndpoint, Uri tableEndpoint, byte[]? accountKey, TokenCredential? credential)
    {
        AccountName = accountName;
        QueueEndpoint = queueEndpoint;
        TableEndpoint = tableEndpoint;
        AccountKey = accountKey;
        TokenCredential = credential;
    }

    /// <summary>The storage account name.</summary>
    public string AccountName { get; }

    /// <summary>The Queue service endpoint, e.g. <c>https://acct.queue.core.windows.net/</c>.</summary>
    public Uri QueueEndpoint { get; }

    /// <summary>The Table service endpoint, e.g. <c>https://acct.table.core.windows.net/</c>.</summary>
    public Uri TableEndpoint { get; }

    /// <summary>The Entra ID credential when the account is identity-based; <c>null</c> when it uses an account key.</summary>
    public TokenCredential? TokenCredential { get; }

    /// <summary>The decoded account key for Shared Key; never logged or exposed publicly.</summary>
    internal byte[]? AccountKey { get; }

    /// <summary>
    /// Parses a storage connection string: <c>UseDevelopmentStorage=true</c>, or <c>AccountName</c> and
    /// <c>AccountKey</c> with optional <c>DefaultEndpointsProtocol</c>, <c>EndpointSuffix</c> and explicit
    /// <c>QueueEndpoint</c>/<c>TableEndpoint</c> (for Azurite on any port).
    /// </summary>
    /// <exception cref="FormatException">The connection string is malformed; the message never repeats the key.</exception>
    public static StorageAccount Parse(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new FormatException("The storage connection string is malformed: every part must be Name=Value.");
            }

            settings[part[..equals].Trim()] = part[(equals + 1)..].Trim();
        }

        if (settings.TryGetValue("UseDevelopmentStorage", out var development) && bool.TryParse(development, out var isDevelopment) && isDevelopment)
        {
            return new StorageAccount(
                DevelopmentAccountName,
                EndpointOrDefault(settings, "QueueEndpoint", new Uri("http://127.0.0.1:10001/devstoreaccount1/")),
                EndpointOrDefault(settings, "TableEndpoint", new Uri("http://127.0.0.1:10002/devstoreaccount1/")),
                Convert.FromBase64String(DevelopmentAccountKey),
                credential: null);
        }

        if (settings.ContainsKey("SharedAccessSignature"))
        {
            throw new FormatException("Storage connection strings with a SharedAccessSignature are not supported: use an account key or an identity-based connection.");
        }

        if (!settings.TryGetValue("AccountName", out var accountName) || accountName.Length == 0)
        {
            throw new FormatException("The storage connection string has no AccountName.");
        }

        if (!settings.TryGetValue("AccountKey", out var encodedKey) || encodedKey.Length == 0)
        {
            throw new FormatException("The storage connection string has no AccountKey.");
        }

        byte[] key;
        try
        {
            key = Convert.FromBase64String(encodedKey);
        }
        catch (FormatException)
        {
            throw new FormatException("The storage connection string's AccountKey is not valid base64.");
        }

        var protocol = settings.GetValueOrDefault("DefaultEndpointsProtocol", "https");
        if (protocol is not ("https" or "http"))
        {
            throw new FormatException("The storage connection string's DefaultEndpointsProtocol must be https or http.");
        }

        var suffix = settings.GetValueOrDefault("EndpointSuffix", "core.windows.net");
        return new StorageAccount(
            accountName,
            EndpointOrDefault(settings, "QueueEndpoint", new Uri($"{protocol}://{accountName}.queue.{suffix}/")),
            EndpointOrDefault(settings, "TableEndpoint", new Uri($"{protocol}://{accountName}.table.{suffix}/")),
            key,
            credential: null);
    }

    /// <summary>
    /// Reads a storage connection the way Azure Functions does: a connection string at
    /// <paramref name="connectionName"/>, or an identity-based connection under
    /// <c>{connectionName}__accountName</c> / <c>__queueServiceUri</c> / <c>__tableServiceUri</c>, with
    /// <c>__credential</c> (<c>managedidentity</c>) and <c>__clientId</c> (a user-assigned managed identity).
    /// </summary>
    /// <param name="configuration">The app configuration.</param>
    /// <param name="connectionName">The connection's configuration name.</param>
    /// <param name="credential">A credential to use for an identity-based connection, overriding <c>__credential</c>/<c>__clientId</c>.</param>
    /// <exception cref="InvalidOperationException">The connection is missing or malformed; the message names the key.</exception>
    public static StorageAccount FromConfiguration(IConfiguration configuration, string connectionName = "AzureWebJobsStorage", TokenCredential? credential = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionName);

        var connectionString = configuration[connectionName] ?? configuration.GetConnectionString(connectionName);
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            try
            {
                return Parse(connectionString);
            }
            catch (FormatException ex)
            {
                throw new InvalidOperationException($"Configuration '{connectionName}': {ex.Message}", ex);
            }
        }

        // Environment variables name these connectionName__setting; the configuration providers turn "__" into ":".
        string? Setting(string name) =>
            NullIfBlank(configuration[$"{connectionName}:{name}"]) ?? NullIfBlank(configuration[$"{connectionName}__{name}"]);

        var accountName = Setting("accountName");
        var queueUri = Setting("queueServiceUri");
        var tableUri = Setting("tableServiceUri");
        if (accountName is null && queueUri is null && tableUri is null)
        {
            throw new InvalidOperationException(
                $"Configuration '{connectionName}' is missing: set a storage connection string, or '{connectionName}__accountName' (or __queueServiceUri and __tableServiceUri) for an identity-based connection.");
        }

        var queueEndpoint = queueUri is null ? null : HttpsEndpoint(queueUri, $"{connectionName}__queueServiceUri");
        var tableEndpoint = tableUri is null ? null : HttpsEndpoint(tableUri, $"{connectionName}__tableServiceUri");
        accountName ??= AccountFromHost(queueEndpoint ?? tableEndpoint!);
        if (!IsValidAccountName(accountName))
        {
            throw new InvalidOperationException($"Configuration '{connectionName}__accountName' is not a valid storage account name (3-24 lowercase letters and digits).");
        }

        queueEndpoint ??= new Uri($"https://{accountName}.queue.core.windows.net/");
        tableEndpoint ??= new Uri($"https://{accountName}.table.core.windows.net/");
        credential ??= CreateCredential(Setting("credential"), Setting("clientId"), connectionName);
        return new StorageAccount(accountName, queueEndpoint, tableEndpoint, accountKey: null, credential);
    }

    /// <summary>An account using Entra ID tokens for explicit endpoints (e.g. a sovereign cloud).</summary>
    public static StorageAccount WithTokenCredential(string accountName, Uri queueEndpoint, Uri tableEndpoint, TokenCredential credential)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountName);
        ArgumentNullException.ThrowIfNull(queueEndpoint);
        ArgumentNullException.ThrowIfNull(tableEndpoint);
        ArgumentNullException.ThrowIfNull(credential);
        return new StorageAccount(accountName, WithTrailingSlash(queueEndpoint), WithTrailingSlash(tableEndpoint), accountKey: null, credential);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{AccountName} (queues {QueueEndpoint}, tables {TableEndpoint}, {(TokenCredential is null ? "shared key" : "Entra ID")})";

    private static TokenCredential CreateCredential(string? kind, string? clientId, string connectionName)
    {
        if (kind is not null && !kind.Equals("managedidentity", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"Configuration '{connectionName}__credential' must be 'managedidentity' when set.");
        }

        if (clientId is not null)
        {
            return new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
        }

        // As in Functions: credential=managedidentity alone means the system-assigned identity.
        return kind is not null
            ? new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned)
            : new DefaultAzureCredential();
    }

    private static Uri EndpointOrDefault(Dictionary<string, string> settings, string name, Uri fallback)
    {
        if (!settings.TryGetValue(name, out var value) || value.Length == 0)
        {
            return fallback;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new FormatException($"The storage connection string's {name} is not an absolute http(s) URI.");
        }

        return WithTrailingSlash(uri);
    }

    private static Uri HttpsEndpoint(string value, string key)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new InvalidOperationException($"Configuration '{key}' must be an absolute https URI (tokens are only sent over https).");
        }

        return WithTrailingSlash(uri);
    }

    private static string AccountFromHost(Uri endpoint)
    {
        var dot = endpoint.Host.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 ? endpoint.Host[..dot] : endpoint.Host;
    }

    private static bool IsValidAccountName(string name) =>
        name.Length is >= 3 and <= 24 && name.All(c => char.IsAsciiDigit(c) || char.IsAsciiLetterLower(c));

    private static Uri WithTrailingSlash(Uri uri) =>
        uri.AbsolutePath.EndsWith('/') ? uri : new Uri(uri.GetLeftPart(UriPartial.Path) + "/");

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
