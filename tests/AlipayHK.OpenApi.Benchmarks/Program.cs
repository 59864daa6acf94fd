using System.Security.Cryptography;
using System.Text;
using AlipayHK.OpenApi.Signing;
using AlipayHK.OpenApi.Webhooks;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(AlipayHK.OpenApi.Benchmarks.ProtocolBenchmarks).Assembly).Run(args);

namespace AlipayHK.OpenApi.Benchmarks
{
/// <summary>Signing and verifying a 1 KB AlipayHK message (RSA-2048), the cost every call and webhook pays.</summary>
[MemoryDiagnoser]
public class ProtocolBenchmarks : IDisposable
{
    private const string Path = "/shop1/points/bill/notify";
    private const string ClientId = "2022091234567890";

    private RSA _key = null!;
    private PemAlipaySigner _signer = null!;
    private AlipayMessageSigner _messageSigner = null!;
    private AlipaySignatureVerifier _verifier = null!;
    private AlipayWebhookVerifier _webhookVerifier = null!;
    private byte[] _body = null!;
    private byte[] _stringToSign = null!;
    private byte[] _rawSignature = null!;
    private SignedMessage _signed = null!;
    private Dictionary<string, string> _headers = null!;
    private Func<string, string?> _lookup = null!;

    [GlobalSetup]
    public void Setup()
    {
        _key = RSA.Create(2048);
        _signer = new PemAlipaySigner(_key.ExportPkcs8PrivateKeyPem());
        _messageSigner = new AlipayMessageSigner(_signer, ClientId, "1");
        _verifier = new AlipaySignatureVerifier(_key.ExportSubjectPublicKeyInfoPem());
        _webhookVerifier = new AlipayWebhookVerifier(new AlipayWebhookVerifierOptions { PlatformPublicKey = _key.ExportSubjectPublicKeyInfoPem(), ClientId = ClientId });
        var body = new StringBuilder("""{"userId":"2160001","billNo":"B1","orderAmount":{"currency":"HKD","value":1250},"payTime":"2026-11-22T10:15:30+08:00","pointsProvider":"ALIPAYHK","pmsLabel":" """);
        while (body.Length < 1022)
        {
            body.Append('x');
        }
        _body = Encoding.UTF8.GetBytes(body.Append("\"}").ToString());
        _signed = _messageSigner.SignAsync(Path, _body).AsTask().GetAwaiter().GetResult();
        _headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            [AlipayHeaders.ClientId] = ClientId,
            [AlipayHeaders.RequestTime] = _signed.Time,
            [AlipayHeaders.Signature] = _signed.Signature,
        };
        _lookup = name => _headers.GetValueOrDefault(name);
        _stringToSign = StringToSign.Build("POST", Path, ClientId, _signed.Time, _body);
        _ = SignatureHeader.TryParse(_signed.Signature, out var header, out _);
        _rawSignature = Convert.FromBase64String(header!.SignatureBase64);
    }

    /// <summary>String-to-sign, RSA-2048 sign, Signature header.</summary>
    [Benchmark]
    public async Task<SignedMessage> SignAndFormat() => await _messageSigner.SignAsync(Path, _body);

    /// <summary>The floor: RSA-2048 verify alone over a prepared string-to-sign and signature.</summary>
    [Benchmark(Baseline = true)]
    public bool RsaVerifyOnly() => _key.VerifyData(_stringToSign, _rawSignature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    /// <summary>Header parse, string-to-sign, RSA-2048 verify.</summary>
    [Benchmark]
    public SignatureRejection ParseAndVerify() => _verifier.Verify("POST", Path, ClientId, _signed.Time, _body, _signed.Signature);

    /// <summary>The whole webhook check: headers, client id, time, signature.</summary>
    [Benchmark]
    public bool WebhookVerify() => _webhookVerifier.Verify("POST", Path, _lookup, _body).IsValid;

    public void Dispose()
    {
        _webhookVerifier?.Dispose();
        _verifier?.Dispose();
        _signer?.Dispose();
        _key?.Dispose();
        GC.SuppressFinalize(this);
    }
}
}
