using System.Security.Cryptography;

namespace AlipayHK.OpenApi.Signing;

/// <summary>
/// Signs with a merchant private key held in process (PKCS#8 or PKCS#1 PEM). For local runs and tests;
/// production keeps the key in Azure Key Vault.
/// </summary>
public sealed class PemAlipaySigner : IAlipaySigner, IDisposable
{
    private readonly RSA _key;

    /// <summary>Creates a signer from PEM text.</summary>
    /// <exception cref="FormatException">The PEM holds no RSA private key.</exception>
    public PemAlipaySigner(string privateKeyPem) => _key = RsaKeys.ImportPrivateKey(privateKeyPem);

    /// <summary>Creates a signer from a PEM file.</summary>
    public static PemAlipaySigner FromFile(string path) => new(File.ReadAllText(path));

    /// <summary>The matching public key, as base64 SubjectPublicKeyInfo.</summary>
    public string PublicKeyBase64 => RsaKeys.ExportPublicKeyBase64(_key);

    /// <inheritdoc />
    public ValueTask<byte[]> SignAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_key.SignData(data.Span, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();
}
