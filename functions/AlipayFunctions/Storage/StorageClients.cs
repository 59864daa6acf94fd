using AlipayFunctions.Settings;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Queues;

namespace AlipayFunctions.Storage;

/// <summary>
/// The SDK storage clients for the connection the queue triggers use (<c>AzureWebJobsStorage</c>), read the way the
/// Functions host reads it: a connection string (<c>UseDevelopmentStorage=true</c> included), or an identity-based
/// connection under <c>AzureWebJobsStorage__accountName</c> / <c>__queueServiceUri</c> / <c>__tableServiceUri</c> with
/// <c>__credential</c> (<c>managedidentity</c>) and <c>__clientId</c> (a user-assigned identity). The app's DI
/// registration and the operator tools both call these, so there is one storage configuration, not two.
/// </summary>
public static class StorageClients
{
    /// <summary>The connection name: the trigger's <c>Connection</c> and the configuration key.</summary>
    public const string ConnectionName = "AzureWebJobsStorage";

    /// <summary>
    /// A queue service client whose messages are base64-encoded, as the queue trigger (<c>messageEncoding</c>
    /// <c>base64</c> in host.json) expects.
    /// </summary>
    /// <param name="configuration">The app configuration.</param>
    /// <param name="options">Client options (retries, diagnostics); <see cref="QueueClientOptions.MessageEncoding"/> is set to base64 regardless.</param>
    /// <param name="credential">A credential for an identity-based connection, overriding <c>__credential</c>/<c>__clientId</c>.</param>
    /// <exception cref="SettingsException">The connection is missing or malformed; the message names the key.</exception>
    public static QueueServiceClient CreateQueueServiceClient(IConfiguration configuration, QueueClientOptions? options = null, TokenCredential? credential = null)
    {
        options ??= new QueueClientOptions();
        options.MessageEncoding = QueueMessageEncoding.Base64;
        var connection = Read(configuration);
        if (connection.ConnectionString is { } connectionString)
        {
            return Parse(() => new QueueServiceClient(connectionString, options));
        }
        var endpoint = connection.Endpoint("queueServiceUri", "queue");
        return new QueueServiceClient(endpoint, credential ?? connection.Credential(), options);
    }

    /// <summary>A table service client for the same connection.</summary>
    /// <param name="configuration">The app configuration.</param>
    /// <param name="options">Client options; defaults when null.</param>
    /// <param name="credential">A credential for an identity-based connection, overriding <c>__credential</c>/<c>__clientId</c>.</param>
    /// <exception cref="SettingsException">The connection is missing or malformed; the message names the key.</exception>
    public static TableServiceClient CreateTableServiceClient(IConfiguration configuration, TableClientOptions? options = null, TokenCredential? credential = null)
    {
        options ??= new TableClientOptions();
        var connection = Read(configuration);
        if (connection.ConnectionString is { } connectionString)
        {
            return Parse(() => new TableServiceClient(WithoutTrailingSlash(connectionString, "TableEndpoint"), options));
        }
        var endpoint = connection.Endpoint("tableServiceUri", "table");
        return new TableServiceClient(endpoint, credential ?? connection.Credential(), options);
    }

    // The Tables SDK appends "/Tables" to an explicit TableEndpoint as given, so ".../devstoreaccount1/" (how Azurite's
    // endpoints are usually written) would address ".../devstoreaccount1//Tables", which the service refuses (400).
    private static string WithoutTrailingSlash(string connectionString, string key)
    {
        var parts = connectionString.Split(';');
        for (var i = 0; i < parts.Length; i++)
        {
            var equals = parts[i].IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && parts[i][..equals].Trim().Equals(key, StringComparison.OrdinalIgnoreCase))
            {
                parts[i] = parts[i].TrimEnd().TrimEnd('/');
            }
        }
        return string.Join(';', parts);
    }

    private static T Parse<T>(Func<T> create)
    {
        try
        {
            return create();
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException or UriFormatException)
        {
            // The SDK's message never repeats the key, but it does not name the setting either.
            throw new SettingsException(ConnectionName, $"is not a valid storage connection string ({e.Message.TrimEnd('.')})");
        }
    }

    private static Connection Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(ConnectionName);
        var connectionString = section.Value ?? configuration.GetConnectionString(ConnectionName);
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return new Connection(connectionString.Trim(), section);
        }
        if (string.IsNullOrWhiteSpace(section["accountName"]) && string.IsNullOrWhiteSpace(section["queueServiceUri"]) && string.IsNullOrWhiteSpace(section["tableServiceUri"]))
        {
            throw new SettingsException(ConnectionName,
                $"is missing: set a storage connection string (UseDevelopmentStorage=true for Azurite), or {ConnectionName}__accountName for an identity-based connection");
        }
        return new Connection(null, section);
    }

    private sealed record Connection(string? ConnectionString, IConfigurationSection Section)
    {
        private string? Setting(string name) => Section[name] is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

        public Uri Endpoint(string uriSetting, string service)
        {
            if (Setting(uriSetting) is { } text)
            {
                // Tokens go over https only.
                return Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps
                    ? uri
                    : throw new SettingsException($"{ConnectionName}:{uriSetting}", "is not an absolute https URL");
            }
            var account = Setting("accountName")
                ?? throw new SettingsException($"{ConnectionName}:accountName", $"is missing (or set {ConnectionName}__{uriSetting})");
            if (account.Length is < 3 or > 24 || !account.All(c => char.IsAsciiDigit(c) || char.IsAsciiLetterLower(c)))
            {
                throw new SettingsException($"{ConnectionName}:accountName", "is not a storage account name (3-24 lowercase letters and digits)");
            }
            return new Uri($"https://{account}.{service}.core.windows.net/");
        }

        public TokenCredential Credential()
        {
            var kind = Setting("credential");
            if (kind is not null && !kind.Equals("managedidentity", StringComparison.OrdinalIgnoreCase))
            {
                throw new SettingsException($"{ConnectionName}:credential", "must be managedidentity when set");
            }
            if (Setting("clientId") is { } clientId)
            {
                return new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
            }
            // As in Functions: credential=managedidentity alone is the system-assigned identity.
            return kind is not null ? new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned) : new DefaultAzureCredential();
        }
    }
}
