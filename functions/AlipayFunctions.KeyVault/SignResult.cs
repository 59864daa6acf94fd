namespace AlipayFunctions.KeyVault;

/// <summary>
/// A Key Vault signature algorithm, shaped like <c>Azure.Security.KeyVault.Keys.Cryptography.SignatureAlgorithm</c>
/// (a string-valued struct). <see cref="KeyVaultSigner"/> supports <see cref="RS256"/> only.
/// </summary>
public readonly struct SignatureAlgorithm : IEquatable<SignatureAlgorithm>
{
    private readonly string? _value;

    /// <summary>Creates an algorithm from its Key Vault name.</summary>
    public SignatureAlgorithm(string value) => _value = value ?? throw new ArgumentNullException(nameof(value));

    /// <summary>RSASSA-PKCS1-v1_5 with SHA-256: AlipayHK's signature scheme.</summary>
    public static SignatureAlgorithm RS256 { get; } = new("RS256");

    /// <summary>Whether two algorithms are the same.</summary>
    public static bool operator ==(SignatureAlgorithm left, SignatureAlgorithm right) => left.Equals(right);

    /// <summary>Whether two algorithms differ.</summary>
    public static bool operator !=(SignatureAlgorithm left, SignatureAlgorithm right) => !left.Equals(right);

    /// <inheritdoc />
    public bool Equals(SignatureAlgorithm other) => string.Equals(_value, other._value, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is SignatureAlgorithm other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _value is null ? 0 : StringComparer.Ordinal.GetHashCode(_value);

    /// <inheritdoc />
    public override string ToString() => _value ?? "";
}

/// <summary>
/// The result of <see cref="KeyVaultSigner.SignAsync(SignatureAlgorithm, byte[], CancellationToken)"/>, shaped like
/// <c>Azure.Security.KeyVault.Keys.Cryptography.SignResult</c>.
/// </summary>
public sealed class SignResult
{
    internal SignResult(string keyId, byte[] signature, SignatureAlgorithm algorithm)
    {
        KeyId = keyId;
        Signature = signature;
        Algorithm = algorithm;
    }

    /// <summary>The full key id Key Vault signed with, including the key version.</summary>
    public string KeyId { get; }

    /// <summary>The signature bytes.</summary>
#pragma warning disable CA1819 // The official SignResult exposes the signature as a byte array; the shape is kept for the swap.
    public byte[] Signature { get; }
#pragma warning restore CA1819

    /// <summary>The algorithm used.</summary>
    public SignatureAlgorithm Algorithm { get; }
}
