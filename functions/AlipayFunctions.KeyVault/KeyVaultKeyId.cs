using System.Text.RegularExpressions;

namespace AlipayFunctions.KeyVault;

/// <summary>
/// A validated Key Vault key identifier, <c>https://&lt;vault&gt;.vault.azure.net/keys/&lt;name&gt;[/&lt;version&gt;]</c>,
/// and the URLs and token scope that follow from it.
/// </summary>
internal sealed partial class KeyVaultKeyId
{
    // Key Vault and Managed HSM in each Azure cloud, with the resource a token for it is issued for. A key id on any
    // other host is a configuration mistake, and sending it a Key Vault token would hand that token to a stranger.
    private static readonly (string HostSuffix, string Resource)[] KnownHosts =
    [
        (".vault.azure.net", "https://vault.azure.net"),
        (".vault.azure.cn", "https://vault.azure.cn"),
        (".vault.usgovcloudapi.net", "https://vault.usgovcloudapi.net"),
        (".managedhsm.azure.net", "https://managedhsm.azure.net"),
        (".managedhsm.azure.cn", "https://managedhsm.azure.cn"),
        (".managedhsm.usgovcloudapi.net", "https://managedhsm.usgovcloudapi.net"),
    ];

    private const string Shape = "https://<vault>.vault.azure.net/keys/<name>[/<version>]";

    private KeyVaultKeyId(Uri vaultUri, string name, string? version, string scope)
    {
        VaultUri = vaultUri;
        Name = name;
        Version = version;
        Scope = scope;
        KeyUri = new Uri(vaultUri, version is null ? $"keys/{name}" : $"keys/{name}/{version}");
    }

    /// <summary>The vault, <c>https://&lt;vault&gt;.vault.azure.net</c> (with a port only if the key id had one).</summary>
    public Uri VaultUri { get; }

    /// <summary>The key name.</summary>
    public string Name { get; }

    /// <summary>The pinned key version, or null to use the key's current version.</summary>
    public string? Version { get; }

    /// <summary>The key URL, normalised: <c>{vault}/keys/{name}[/{version}]</c>.</summary>
    public Uri KeyUri { get; }

    /// <summary>The token scope for this cloud, e.g. <c>https://vault.azure.net/.default</c>.</summary>
    public string Scope { get; }

    /// <summary>Validates <paramref name="keyId"/>; a clear <see cref="ArgumentException"/> names what is wrong.</summary>
    public static KeyVaultKeyId Parse(Uri keyId, string paramName)
    {
        ArgumentNullException.ThrowIfNull(keyId, paramName);
        if (!keyId.IsAbsoluteUri)
        {
            throw Invalid(keyId, "it is not an absolute URL", paramName);
        }
        if (keyId.Scheme != Uri.UriSchemeHttps)
        {
            throw Invalid(keyId, "Key Vault is reached over HTTPS only", paramName);
        }
        if (keyId.UserInfo.Length > 0 || keyId.Query.Length > 0 || keyId.Fragment.Length > 0)
        {
            throw Invalid(keyId, "it may not carry user info, a query or a fragment", paramName);
        }

        var host = keyId.IdnHost;
        var resource = FindResource(host, out var vaultName);
        if (resource is null)
        {
            throw Invalid(keyId, "the host is not a Key Vault or Managed HSM host (<vault>.vault.azure.net and its sovereign-cloud equivalents)", paramName);
        }
        if (!VaultName().IsMatch(vaultName))
        {
            throw Invalid(keyId, "the vault name must be 3-24 letters, digits and dashes", paramName);
        }

        var segments = keyId.AbsolutePath.Split('/');
        // "/keys/name" splits to ["", "keys", "name"]; "/keys/name/version" to four parts.
        if (segments.Length is not (3 or 4) || segments[0].Length != 0 || segments[1] != "keys")
        {
            throw Invalid(keyId, "the path must be /keys/<name> or /keys/<name>/<version>", paramName);
        }
        var name = segments[2];
        if (!KeyName().IsMatch(name))
        {
            throw Invalid(keyId, "the key name must be 1-127 letters, digits and dashes", paramName);
        }
        string? version = null;
        if (segments.Length == 4)
        {
            version = segments[3];
            if (!KeyVersion().IsMatch(version))
            {
                throw Invalid(keyId, "the key version must be 32 hexadecimal characters (omit it to sign with the current version)", paramName);
            }
        }

        var vault = new UriBuilder(Uri.UriSchemeHttps, host, keyId.IsDefaultPort ? -1 : keyId.Port).Uri;
        return new KeyVaultKeyId(vault, name, version, resource + "/.default");
    }

    /// <summary>
    /// Whether <paramref name="kid"/>, as Key Vault returned it, is a version of this key, and if so which version.
    /// A pinned key must come back with exactly that version.
    /// </summary>
    public bool TryMatch(string? kid, out string version)
    {
        version = "";
        if (kid is null || !Uri.TryCreate(kid, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps
            || !string.Equals(uri.IdnHost, VaultUri.IdnHost, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var segments = uri.AbsolutePath.Split('/');
        if (segments.Length != 4 || segments[1] != "keys"
            // Key Vault object names are case-insensitive.
            || !string.Equals(segments[2], Name, StringComparison.OrdinalIgnoreCase)
            || !KeyVersion().IsMatch(segments[3])
            || (Version is not null && !string.Equals(segments[3], Version, StringComparison.OrdinalIgnoreCase)))
        {
            return false;
        }
        version = segments[3];
        return true;
    }

    /// <summary>Whether a challenge's resource may be given a token for requests to this vault.</summary>
    public bool IsResourceForThisVault(Uri resource) =>
        resource.Scheme == Uri.UriSchemeHttps
        && VaultUri.IdnHost.EndsWith("." + resource.IdnHost, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc />
    public override string ToString() => KeyUri.AbsoluteUri;

    private static string? FindResource(string host, out string vaultName)
    {
        foreach (var (suffix, resource) in KnownHosts)
        {
            if (host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                vaultName = host[..^suffix.Length];
                return resource;
            }
        }
        vaultName = "";
        return null;
    }

    private static ArgumentException Invalid(Uri keyId, string reason, string paramName) =>
        new($"'{keyId.OriginalString}' is not a Key Vault key id ({Shape}): {reason}.", paramName);

    [GeneratedRegex("^[a-zA-Z0-9-]{3,24}$")]
    private static partial Regex VaultName();

    [GeneratedRegex("^[a-zA-Z0-9-]{1,127}$")]
    private static partial Regex KeyName();

    [GeneratedRegex("^[0-9a-fA-F]{32}$")]
    private static partial Regex KeyVersion();
}
