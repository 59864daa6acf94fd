using System.Security.Cryptography;
using AlipayHK.OpenApi.Signing;

namespace AlipayHK.OpenApi.Tests.Support;

/// <summary>Two RSA-2048 key pairs made once per test run: the merchant's and AlipayHK's platform key.</summary>
internal static class TestKeys
{
    private static readonly Lazy<RSA> MerchantKey = new(() => RSA.Create(2048));
    private static readonly Lazy<RSA> PlatformKey = new(() => RSA.Create(2048));

    public static RSA Merchant => MerchantKey.Value;

    public static RSA Platform => PlatformKey.Value;

    public static string MerchantPrivatePem => Merchant.ExportPkcs8PrivateKeyPem();

    public static string MerchantPublicPem => Merchant.ExportSubjectPublicKeyInfoPem();

    public static string PlatformPrivatePem => Platform.ExportPkcs8PrivateKeyPem();

    public static string PlatformPublicBase64 => RsaKeys.ExportPublicKeyBase64(Platform);
}

/// <summary>A clock the test sets; timers are not needed by the code it is used with.</summary>
internal sealed class FakeTimeProvider(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>Wraps a signer and counts its calls; can hold every call until released.</summary>
internal sealed class CountingSigner(IAlipaySigner inner) : IAlipaySigner
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Hold { get; set; }

    public Exception? FailWith { get; set; }

    public async ValueTask<byte[]> SignAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        if (Hold)
        {
            await Gate.Task.WaitAsync(cancellationToken);
        }
        if (FailWith is { } e)
        {
            throw e;
        }
        return await inner.SignAsync(data, cancellationToken);
    }
}
