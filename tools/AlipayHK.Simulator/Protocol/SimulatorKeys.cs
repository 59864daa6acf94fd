using System.Security.Cryptography;
using AlipayHK.OpenApi.Signing;

namespace AlipayHK.Simulator.Protocol;

/// <summary>
/// The two keys of the simulated relationship: the merchant's public key (verifies the merchant's requests and
/// webhook answers) and the platform's private key (signs the simulator's answers and webhooks).
/// </summary>
public sealed class SimulatorKeys : IDisposable
{
    private readonly SimulatorOptions _options;
    private readonly TimeProvider _clock;
    private readonly Lock _rotation = new();
    // Every platform key ever used: a signature in flight may still use a rotated-out one, so all are disposed at the end.
    private readonly List<PemAlipaySigner> _platformKeys = [];
    private volatile PlatformKey _platform;

    private SimulatorKeys(AlipaySignatureVerifier merchant, PemAlipaySigner platform, bool generated, SimulatorOptions options, TimeProvider clock)
    {
        MerchantVerifier = merchant;
        _options = options;
        _clock = clock;
        _platformKeys.Add(platform);
        PlatformKeyGenerated = generated;
        _platform = new PlatformKey(platform.PublicKeyBase64, new AlipayMessageSigner(platform, options.ClientId, options.KeyVersion, clock));
    }

    /// <summary>Verifies signatures made with the merchant's private key.</summary>
    public AlipaySignatureVerifier MerchantVerifier { get; }

    /// <summary>Signs the simulator's answers and webhooks with the current platform key.</summary>
    public AlipayMessageSigner PlatformSigner => _platform.Signer;

    /// <summary>
    /// The current platform public key as base64 SubjectPublicKeyInfo: what the merchant configures as AlipayHK's key.
    /// Changes when the key is rotated.
    /// </summary>
    public string PlatformPublicKey => _platform.PublicKey;

    /// <summary>
    /// Rotates the platform key as AlipayHK would: from now on every answer and webhook is signed with the new key
    /// (and <paramref name="keyVersion"/>, when given). Thread-safe; a call already signing finishes with the old key.
    /// </summary>
    /// <param name="privateKeyPem">The new key (PKCS#8/PKCS#1 PEM); a fresh RSA-2048 key when null.</param>
    /// <param name="keyVersion">The new <c>keyVersion</c> of the <c>Signature</c> header; unchanged when null.</param>
    /// <returns>The new platform public key (base64 SubjectPublicKeyInfo).</returns>
    /// <exception cref="ArgumentException">The PEM is not an unencrypted RSA private key.</exception>
    public string RotatePlatformKey(string? privateKeyPem = null, string? keyVersion = null)
    {
        if (string.IsNullOrWhiteSpace(privateKeyPem))
        {
            using var rsa = RSA.Create(2048);
            privateKeyPem = rsa.ExportPkcs8PrivateKeyPem();
        }
        PemAlipaySigner key;
        try
        {
            key = new PemAlipaySigner(privateKeyPem);
        }
        catch (FormatException e)
        {
            throw new ArgumentException("The platform key is not an unencrypted PKCS#8 or PKCS#1 RSA private key PEM.", nameof(privateKeyPem), e);
        }
        lock (_rotation)
        {
            _platformKeys.Add(key);
            var version = string.IsNullOrWhiteSpace(keyVersion) ? _platform.Signer.KeyVersion : keyVersion;
            _platform = new PlatformKey(key.PublicKeyBase64, new AlipayMessageSigner(key, _options.ClientId, version, _clock));
        }
        return key.PublicKeyBase64;
    }

    /// <summary>Whether the platform key was generated at start (no key configured).</summary>
    public bool PlatformKeyGenerated { get; }

    /// <summary>Loads (or generates) the keys; a missing or unreadable key stops start-up naming the setting.</summary>
    /// <exception cref="InvalidOperationException">A key setting is missing or malformed.</exception>
    public static SimulatorKeys Load(SimulatorOptions options, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(options);
        var merchantKey = options.MerchantPublicKey
            ?? (options.MerchantPublicKeyPath is { } path ? ReadKeyFile(path, "MerchantPublicKeyPath") : null);
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
            ?? (options.PlatformPrivateKeyPath is { } keyPath ? ReadKeyFile(keyPath, "PlatformPrivateKeyPath") : null);
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

    // As the app finds its key files: a relative path in the working directory or the nearest parent that has it
    // (dotnet run starts the simulator in its project folder, below the repository's .local/).
    private static string ReadKeyFile(string path, string setting)
    {
        var workingDirectory = Directory.GetCurrentDirectory();
        var found = KeyFiles.Find(path, workingDirectory)
            ?? throw new InvalidOperationException($"{SimulatorOptions.SectionName}:{setting} {KeyFiles.NotFound(path, workingDirectory)}.");
        return File.ReadAllText(found);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        MerchantVerifier.Dispose();
        lock (_rotation)
        {
            foreach (var key in _platformKeys)
            {
                key.Dispose();
            }
        }
    }

    private sealed record PlatformKey(string PublicKey, AlipayMessageSigner Signer);
}
