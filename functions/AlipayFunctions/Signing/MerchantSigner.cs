using AlipayFunctions.KeyVault;
using AlipayFunctions.Settings;
using AlipayHK.OpenApi.Signing;
using Azure.Identity;

namespace AlipayFunctions.Signing;

/// <summary>
/// Chooses where the merchant key lives: Azure Key Vault in production (the key never leaves the vault), a PEM
/// key for local runs. Counts the signatures made, since in production each one is a metered Key Vault operation.
/// </summary>
public sealed class MerchantSigner : IAlipaySigner, IDisposable
{
    private readonly IAlipaySigner _inner;
    private long _signatures;

    private MerchantSigner(IAlipaySigner inner) => _inner = inner;

    /// <summary>Creates the signer the settings name.</summary>
    public static MerchantSigner Create(SigningSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Mode switch
        {
            // DefaultAzureCredential picks the managed identity in Azure (AZURE_CLIENT_ID names a user-assigned one).
            SigningMode.KeyVault => new MerchantSigner(new KeyVaultSigner(settings.KeyVaultKeyId!, new DefaultAzureCredential())),
            _ => new MerchantSigner(new PemAlipaySigner(settings.PrivateKeyPem!)),
        };
    }

    /// <summary>How many signatures this process has made.</summary>
    public long SignaturesMade => Interlocked.Read(ref _signatures);

    /// <inheritdoc />
    public ValueTask<byte[]> SignAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _signatures);
        return _inner.SignAsync(data, cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose() => (_inner as IDisposable)?.Dispose();
}
