using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using AlipayHK.OpenApi.Signing;
using Azure.Core;
using Azure.Core.Pipeline;

namespace AlipayFunctions.KeyVault;

/// <summary>
/// Makes AlipayHK's RSA PKCS#1 v1.5 SHA-256 signatures with a key that never leaves Azure Key Vault: hashes the
/// string-to-sign locally and calls Key Vault's <c>sign</c> operation (<c>RS256</c>, api-version 7.4) on Azure.Core's
/// HTTP pipeline (retries honouring <c>Retry-After</c>, bearer tokens, logging and tracing as the Azure SDKs do).
/// Thread-safe; hold one per key for the life of the app.
/// </summary>
/// <remarks>
/// Every call is a network round trip against a per-vault budget of 2,000-4,000 RSA-2048 operations per 10 s, so
/// concurrent calls are bounded by <see cref="KeyVaultSignerOptions.MaxConcurrency"/>. The caller's identity needs the
/// <c>keys/sign/action</c> data action (role Key Vault Crypto User), and <c>keys/read</c> for
/// <see cref="GetPublicKeyAsync"/>. Failures throw <see cref="KeyVaultException"/>.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Like the Azure SDK clients, a singleton that is not disposable; its SemaphoreSlim holds nothing to free (see _slots).")]
public sealed class KeyVaultSigner : IAlipaySigner
{
    /// <summary>The Key Vault REST API version this signer speaks.</summary>
    public const string ApiVersion = "7.4";

    private readonly KeyVaultKeyId _key;
    private readonly HttpPipeline _pipeline;
    // Never disposed: a SemaphoreSlim whose AvailableWaitHandle is unused holds nothing to free, and disposing it at
    // shutdown would make calls still in flight throw on Release.
    private readonly SemaphoreSlim _slots;
    private readonly Uri _signUri;
    private readonly Uri _getUri;
    private long _signaturesMade;
    private string? _lastKeyVersion;

    /// <summary>Creates a signer for one key.</summary>
    /// <param name="keyId"><c>https://&lt;vault&gt;.vault.azure.net/keys/&lt;name&gt;[/&lt;version&gt;]</c>; without a version,
    /// Key Vault signs with the key's current version (see <see cref="LastKeyVersion"/>).</param>
    /// <param name="credential">The app's identity, e.g. <c>ManagedIdentityCredential</c> or <c>DefaultAzureCredential</c>.</param>
    /// <param name="options">Pipeline and concurrency options; defaults when null.</param>
    /// <exception cref="ArgumentException"><paramref name="keyId"/> is not a Key Vault key id over HTTPS.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public KeyVaultSigner(Uri keyId, TokenCredential credential, KeyVaultSignerOptions? options = null)
    {
        _key = KeyVaultKeyId.Parse(keyId, nameof(keyId));
        ArgumentNullException.ThrowIfNull(credential);
        options ??= new KeyVaultSignerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConcurrency, 1, $"{nameof(options)}.{nameof(options.MaxConcurrency)}");
        if (options.NetworkTimeout is { } timeout)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero, $"{nameof(options)}.{nameof(options.NetworkTimeout)}");
            options.Retry.NetworkTimeout = timeout;
        }

        _pipeline = HttpPipelineBuilder.Build(new HttpPipelineOptions(options)
        {
            // Per retry, so that every attempt carries a fresh token.
            PerRetryPolicies = { new KeyVaultChallengePolicy(new CredentialGuard(credential), _key) },
        });
        _slots = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
        _signUri = new Uri($"{_key.KeyUri.AbsoluteUri}/sign?api-version={ApiVersion}");
        _getUri = new Uri($"{_key.KeyUri.AbsoluteUri}?api-version={ApiVersion}");
        MaxConcurrency = options.MaxConcurrency;
    }

    /// <summary>The key, normalised: <c>https://&lt;vault&gt;.vault.azure.net/keys/&lt;name&gt;[/&lt;version&gt;]</c>.</summary>
    public Uri KeyId => _key.KeyUri;

    /// <summary>The key's name in the vault.</summary>
    public string KeyName => _key.Name;

    /// <summary>The key version pinned by the key id, or null when Key Vault picks the current version.</summary>
    public string? KeyVersion => _key.Version;

    /// <summary>
    /// The key version Key Vault reported for the latest successful signature (from the answer's <c>kid</c>), for
    /// logs; null before the first signature.
    /// </summary>
    public string? LastKeyVersion => Volatile.Read(ref _lastKeyVersion);

    /// <summary>Signatures made so far by this instance, for metrics.</summary>
    public long SignaturesMade => Interlocked.Read(ref _signaturesMade);

    /// <summary>The concurrency bound in effect.</summary>
    public int MaxConcurrency { get; }

    /// <inheritdoc />
    /// <exception cref="KeyVaultException">Key Vault refused or failed (after retries), or no token could be had.</exception>
    public async ValueTask<byte[]> SignAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var digest = SHA256.HashData(data.Span);
        var result = await SignAsync(SignatureAlgorithm.RS256, digest, cancellationToken).ConfigureAwait(false);
        return result.Signature;
    }

    /// <summary>
    /// Signs a digest with the key (Key Vault's <c>sign</c> operation), shaped like the official client's
    /// <c>Azure.Security.KeyVault.Keys.Cryptography.CryptographyClient.SignAsync(SignatureAlgorithm, byte[], CancellationToken)</c>:
    /// the same argument order and a result with <see cref="SignResult.Signature"/> and <see cref="SignResult.KeyId"/>.
    /// Azure.Security.KeyVault.Keys is not on this project's package feed; where it is, replacing this signer's sign
    /// call with <c>new CryptographyClient(keyId, credential).SignAsync(SignatureAlgorithm.RS256, digest, ct)</c> is a
    /// one-line change (the <c>KeyId</c> check and the counters stay here).
    /// </summary>
    /// <param name="algorithm">Only <see cref="SignatureAlgorithm.RS256"/> (RSA PKCS#1 v1.5 with SHA-256, AlipayHK's scheme).</param>
    /// <param name="digest">The SHA-256 digest of the data (32 bytes): Key Vault signs a digest, not the data.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The signature and the full key id (with the version) Key Vault signed with.</returns>
    /// <exception cref="ArgumentException">Another algorithm, or a digest that is not 32 bytes.</exception>
    /// <exception cref="KeyVaultException">Key Vault refused or failed (after retries), or no token could be had.</exception>
    public async Task<SignResult> SignAsync(SignatureAlgorithm algorithm, byte[] digest, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(digest);
        if (algorithm != SignatureAlgorithm.RS256)
        {
            throw new ArgumentException($"Only {SignatureAlgorithm.RS256} is supported, not {algorithm}.", nameof(algorithm));
        }
        if (digest.Length != SHA256.HashSizeInBytes)
        {
            throw new ArgumentException($"An RS256 digest is {SHA256.HashSizeInBytes} bytes, not {digest.Length}.", nameof(digest));
        }
        using var message = CreateMessage(RequestMethod.Post, _signUri, BuildSignRequest(algorithm, digest));
        await SendAsync(message, "sign", cancellationToken).ConfigureAwait(false);

        var response = message.Response;
        string? kid;
        byte[] signature;
        try
        {
            using var json = JsonDocument.Parse(response.Content);
            kid = GetString(json.RootElement, "kid");
            signature = Base64Url.DecodeFromChars(GetString(json.RootElement, "value"));
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            throw new KeyVaultException(response, $"Key Vault's answer to sign with key '{KeyName}' is not a sign result.");
        }
        if (!_key.TryMatch(kid, out var version))
        {
            throw new KeyVaultException(response, $"Key Vault signed with '{kid}', which is not the configured key {_key}.");
        }
        if (signature.Length is 0 or > 1024)
        {
            throw new KeyVaultException(response, $"Key Vault's signature with key '{KeyName}' has an impossible length ({signature.Length} bytes).");
        }

        Volatile.Write(ref _lastKeyVersion, version);
        Interlocked.Increment(ref _signaturesMade);
        return new SignResult(kid, signature, algorithm);
    }

    /// <summary>
    /// Gets the key's public half from Key Vault (<c>GET {keyId}</c>), to register with AlipayHK or to verify with.
    /// The caller disposes the returned key.
    /// </summary>
    /// <exception cref="KeyVaultException">Key Vault refused or failed, or the key is not an RSA key.</exception>
    public async Task<RSA> GetPublicKeyAsync(CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Get, _getUri, content: null);
        await SendAsync(message, "get key", cancellationToken).ConfigureAwait(false);

        var response = message.Response;
        RSAParameters parameters;
        string? kid, keyType;
        try
        {
            using var json = JsonDocument.Parse(response.Content);
            var key = json.RootElement.GetProperty("key");
            kid = GetString(key, "kid");
            keyType = GetString(key, "kty");
            parameters = new RSAParameters
            {
                Modulus = keyType is "RSA" or "RSA-HSM" ? Base64Url.DecodeFromChars(GetString(key, "n")) : null,
                Exponent = keyType is "RSA" or "RSA-HSM" ? Base64Url.DecodeFromChars(GetString(key, "e")) : null,
            };
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            throw new KeyVaultException(response, $"Key Vault's answer for key '{KeyName}' is not a key bundle.");
        }
        if (!_key.TryMatch(kid, out _))
        {
            throw new KeyVaultException(response, $"Key Vault returned '{kid}', which is not the configured key {_key}.");
        }
        if (parameters.Modulus is null)
        {
            throw new KeyVaultException(response, $"Key '{KeyName}' is a {keyType} key; AlipayHK signatures need an RSA key.");
        }

        var rsa = RSA.Create();
        try
        {
            rsa.ImportParameters(parameters);
            return rsa;
        }
        catch (CryptographicException e)
        {
            rsa.Dispose();
            throw new KeyVaultException($"Key Vault's public key for '{KeyName}' cannot be imported: {e.Message}", e);
        }
    }

    /// <summary>The key's public half as the base64 SubjectPublicKeyInfo that AlipayHK's portal takes.</summary>
    /// <exception cref="KeyVaultException">As for <see cref="GetPublicKeyAsync"/>.</exception>
    public async Task<string> GetPublicKeyBase64Async(CancellationToken cancellationToken = default)
    {
        using var rsa = await GetPublicKeyAsync(cancellationToken).ConfigureAwait(false);
        return RsaKeys.ExportPublicKeyBase64(rsa);
    }

    private HttpMessage CreateMessage(RequestMethod method, Uri uri, byte[]? content)
    {
        var message = _pipeline.CreateMessage();
        var request = message.Request;
        request.Method = method;
        request.Uri.Reset(uri);
        request.Headers.Add(HttpHeader.Names.Accept, "application/json");
        if (content is not null)
        {
            request.Headers.Add(HttpHeader.Names.ContentType, "application/json");
            request.Content = RequestContent.Create(content);
        }
        return message;
    }

    /// <summary>Sends within the concurrency bound; turns every failure other than the caller's cancellation into <see cref="KeyVaultException"/>.</summary>
    private async Task SendAsync(HttpMessage message, string operation, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (CredentialFailedException e)
        {
            throw new KeyVaultException($"Key Vault {operation} with key '{KeyName}' was not sent: {e.Message}", e.InnerException);
        }
        catch (Exception e) when (e is not KeyVaultException)
        {
            // Network failures and timeouts after the last retry (Azure.Core throws them as they come, or aggregated).
            throw new KeyVaultException($"Key Vault {operation} with key '{KeyName}' got no answer from {_key.VaultUri.Host}: {e.Message}", e);
        }
        finally
        {
            _slots.Release();
        }

        if (message.Response.IsError)
        {
            throw new KeyVaultException(message.Response);
        }
    }

    /// <summary><c>{"alg":"RS256","value":"&lt;base64url digest&gt;"}</c>.</summary>
    private static byte[] BuildSignRequest(SignatureAlgorithm algorithm, ReadOnlySpan<byte> digest)
    {
        using var buffer = new MemoryStream(80);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("alg", algorithm.ToString());
            writer.WriteString("value", Base64Url.EncodeToString(digest));
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static string GetString(JsonElement element, string name) =>
        element.GetProperty(name).GetString() ?? throw new FormatException($"'{name}' is null.");
}
