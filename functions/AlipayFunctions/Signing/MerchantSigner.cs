using AlipayFunctions.KeyVault;
using AlipayFunctions.Settings;
using AlipayHK.OpenApi.Signing;
using Azure.Identity;

namespace AlipayFunctions.Signing;

/// <summary>
/// Chooses where the merchant key lives: Azure Key Vault in production (the key never leaves the vault), a PEM
/// key for local runs. Counts the signatures made, since in production each one is a metered Key Vault operation,
/// and spends them by priority (<see cref="SigningBudget"/>): a signature made inside <see cref="MiniAppScope"/> is
/// of the mini-app class and may be refused; every other one (webhook answers, card calls) goes ahead.
/// </summary>
public sealed class MerchantSigner : IAlipaySigner, IDisposable
{
    // The class of the signatures made by the current request's flow (async-local, so it follows the awaits of one
    // mini-app request into the AlipayHK client and ends with it).
    private static readonly AsyncLocal<SigningClass> Current = new();

    private readonly IAlipaySigner _inner;
    private long _signatures;
    private long _miniAppSignatures;

    /// <summary>Wraps <paramref name="inner"/>, spending from <paramref name="budget"/>.</summary>
    public MerchantSigner(IAlipaySigner inner, SigningBudget budget)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(budget);
        _inner = inner;
        Budget = budget;
    }

    /// <summary>Creates the signer the settings name.</summary>
    public static MerchantSigner Create(SigningSettings settings, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var budget = new SigningBudget(settings.SignaturesPerSecond, settings.MiniAppSignaturesPerSecond, clock ?? TimeProvider.System);
        return settings.Mode switch
        {
            // DefaultAzureCredential picks the managed identity in Azure (AZURE_CLIENT_ID names a user-assigned one).
            SigningMode.KeyVault => new MerchantSigner(new KeyVaultSigner(settings.KeyVaultKeyId!, new DefaultAzureCredential()), budget),
            _ => new MerchantSigner(new PemAlipaySigner(settings.PrivateKeyPem!), budget),
        };
    }

    /// <summary>
    /// Marks the signatures made until the scope is disposed (in this async flow) as <see cref="SigningClass.MiniApp"/>.
    /// </summary>
    public static IDisposable MiniAppScope() => new ClassScope(SigningClass.MiniApp);

    /// <summary>The class a signature made now would be charged to.</summary>
    public static SigningClass CurrentClass => Current.Value;

    /// <summary>The budget the signatures are spent from.</summary>
    public SigningBudget Budget { get; }

    /// <summary>How many signatures this process has made.</summary>
    public long SignaturesMade => Interlocked.Read(ref _signatures);

    /// <summary>Of <see cref="SignaturesMade"/>, how many were of the mini-app class.</summary>
    public long MiniAppSignaturesMade => Interlocked.Read(ref _miniAppSignatures);

    /// <inheritdoc />
    /// <exception cref="SigningBudgetExceededException">A mini-app signature when that class's share is spent.</exception>
    public ValueTask<byte[]> SignAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var signingClass = Current.Value;
        Budget.Take(signingClass);
        Interlocked.Increment(ref _signatures);
        if (signingClass == SigningClass.MiniApp)
        {
            Interlocked.Increment(ref _miniAppSignatures);
        }
        return _inner.SignAsync(data, cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        (_inner as IDisposable)?.Dispose();
        Budget.Dispose();
    }

    private sealed class ClassScope : IDisposable
    {
        private readonly SigningClass _previous;

        public ClassScope(SigningClass signingClass)
        {
            _previous = Current.Value;
            Current.Value = signingClass;
        }

        public void Dispose() => Current.Value = _previous;
    }
}
