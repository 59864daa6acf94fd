using System.Security.Cryptography;
using AlipayHK.OpenApi.Signing;

namespace AlipayHK.Simulator.Protocol;

/// <summary>
/// The two keys of the simulated relationship: the merchant's public key (verifies the merchant's requests and
/// webhook answers) and the platform's private key (signs the simulator's answers and webhooks).
/// </summary>
public sealed class SimulatorKeys : IDisposable
{
    private readonly PemAlipaySigner _platformKey;

    private SimulatorKeys(AlipaySignatureVerifier merchant, PemAlipaySigner platform, bool generated, SimulatorOptions options, TimeProvider clock)
    {
        MerchantVerifier = merchant;
        _platformKey = platform;
        PlatformKeyGenerated = generated;
        PlatformPublicKey = platform.PublicKeyBase64;
        PlatformSigner = new AlipayMessageSigner(platform, options.ClientId, options.KeyVersion, clock);
    }

    /// <summary>Verifies signatures made with the merchant's private key.</summary>
    public AlipaySignatureVerifier MerchantVerifier { get; }

    /// <summary>Signs the simulator's answers and webhooks with the platform key.</summary>
    public AlipayMessageSigner PlatformSigner { get; }

    /// <summary>The platform public key as base64 SubjectPublicKeyInfo: what the merchant configures as AlipayHK's key.</summary>
    public string PlatformPublicKey { get; }

    /// <summary>Whether the platform key was generated at start (no key configured).</summary>
    public bool PlatformKeyGenerated { get; }

    /// <summary>Loads (or generates) the keys; a missing or unreadable key stops start-up naming the setting.</summary>
    /// <exception cref="InvalidOperationException">A key setting is missing or malformed.</exception>
    public static SimulatorKeys Load(SimulatorOptions options, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(options);
        var merchantKey = options.MerchantPublicKey
            ?? (options.MerchantPublicKeyPath is { } path ? File.ReadAllText(path) : null);
        if (string.IsNullOrWhiteSpace(merchantKey))
        {
            throw new InvalidOperationException(
                $"{SimulatorOptions.SectionName}:MerchantPublicKey (or :MerchantPublicKeyPath) is required: the simulator verifies every request with the merchant's public key.");
        }
        AlipaySignatureVerifier merchant;
        try
        {
            merchant = new AlipaySignatureVerifier(merchantKey);
        }
        catch (FormatException e)
        {
            throw new InvalidOperationException($"{SimulatorOptions.SectionName}:MerchantPublicKey is not a PEM or base64 SubjectPublicKeyInfo RSA public key.", e);
        }

        var platformPem = options.PlatformPrivateKey
            ?? (options.PlatformPrivateKeyPath is { } keyPath ? File.ReadAllText(keyPath) : null);
        var generated = string.IsNullOrWhiteSpace(platformPem);
        if (generated)
        {
            using var rsa = RSA.Create(2048);
            platformPem = rsa.ExportPkcs8PrivateKeyPem();
        }
        try
        {
            return new SimulatorKeys(merchant, new PemAlipaySigner(platformPem!), generated, options, clock);
        }
        catch (FormatException e)
        {
            merchant.Dispose();
            throw new InvalidOperationException($"{SimulatorOptions.SectionName}:PlatformPrivateKey is not an unencrypted PKCS#8 or PKCS#1 RSA private key PEM.", e);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        MerchantVerifier.Dispose();
        _platformKey.Dispose();
    }
}
