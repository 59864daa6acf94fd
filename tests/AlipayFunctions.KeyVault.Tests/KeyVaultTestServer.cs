using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Azure.Core.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AlipayFunctions.KeyVault.Tests;

/// <summary>
/// A Key Vault stand-in on real Kestrel with TLS: speaks the sign and get-key REST operations (api-version 7.4) with
/// a real RSA-2048 key, checks the bearer token, api-version, algorithm and digest, and can be told to throttle, fail,
/// challenge or stall. Clients reach it under a real vault host name: their transport connects that name to
/// 127.0.0.1 and trusts exactly the server's self-signed certificate.
/// </summary>
internal sealed class KeyVaultTestServer : IAsyncDisposable
{
    public const string VaultHost = "kv-alipay-test.vault.azure.net";
    public const string KeyName = "alipay-merchant";
    public const string VaultScope = "https://vault.azure.net/.default";

    private readonly WebApplication _app;
    private readonly X509Certificate2 _certificate;
    private int _requests;
    private int _unauthorized;
    private int _inFlight;
    private int _maxInFlight;

    private KeyVaultTestServer(WebApplication app, X509Certificate2 certificate)
    {
        _app = app;
        _certificate = certificate;
    }

    // RSA-2048 key generation is slow on a busy machine; one key serves every test vault in the run.
    private static readonly RSA VaultKey = RSA.Create(2048);

    /// <summary>The vault's key.</summary>
    public RSA Key { get; } = VaultKey;

    public string CurrentVersion { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>The only bearer token accepted; anything else gets 401 with <see cref="Challenge"/>.</summary>
    public string RequiredToken { get; set; } = FakeCredential.TokenFor(VaultScope, null);

    public string Challenge { get; set; } =
        """Bearer authorization="https://login.microsoftonline.com/tenant-1", resource="https://vault.azure.net" """;

    /// <summary>Answers to give instead of serving, one per request, in order.</summary>
    public ConcurrentQueue<(int Status, string Code, string? RetryAfter)> Faults { get; } = new();

    /// <summary>When set, sign answers name this kid instead of the key's.</summary>
    public string? KidOverride { get; set; }

    /// <summary>When set, each request waits for this before answering.</summary>
    public Task? Gate { get; set; }

    public TimeSpan Delay { get; set; }

    public ConcurrentQueue<(DateTimeOffset At, string Method, string Path, string RequestId)> Log { get; } = new();

    public int Requests => Volatile.Read(ref _requests);

    public int Unauthorized => Volatile.Read(ref _unauthorized);

    public int InFlight => Volatile.Read(ref _inFlight);

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public int Port { get; private set; }

    public Uri KeyId(bool versioned = false) =>
        new($"https://{VaultHost}:{Port}/keys/{KeyName}" + (versioned ? "/" + CurrentVersion : ""));

    public static async Task<KeyVaultTestServer> StartAsync()
    {
        var certificate = CreateCertificate();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate)));
        var app = builder.Build();
        var server = new KeyVaultTestServer(app, certificate);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        server.Port = new Uri(app.Urls.Single()).Port;
        return server;
    }

    /// <summary>Options whose transport reaches this server and trusts only its certificate; retries are quick.</summary>
    public KeyVaultSignerOptions Options(int maxRetries = 3, int maxConcurrency = 32)
    {
        var pinned = _certificate.GetCertHash(HashAlgorithmName.SHA256);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(IPAddress.Loopback, Port, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is not null && CryptographicOperations.FixedTimeEquals(certificate.GetCertHash(HashAlgorithmName.SHA256), pinned);

        var options = new KeyVaultSignerOptions { Transport = new HttpClientTransport(handler), MaxConcurrency = maxConcurrency };
        options.Retry.MaxRetries = maxRetries;
        options.Retry.Delay = TimeSpan.FromMilliseconds(10);
        options.Retry.MaxDelay = TimeSpan.FromMilliseconds(50);
        return options;
    }

    /// <summary>Waits until <paramref name="count"/> requests are being served (they stall on <see cref="Gate"/>).</summary>
    public async Task WaitForInFlightAsync(int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (InFlight < count)
        {
            await Task.Delay(5, timeout.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _certificate.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        var inFlight = Interlocked.Increment(ref _inFlight);
        for (var max = MaxInFlight; inFlight > max; max = MaxInFlight)
        {
            Interlocked.CompareExchange(ref _maxInFlight, inFlight, max);
        }
        try
        {
            var requestId = Guid.NewGuid().ToString();
            context.Response.Headers["x-ms-request-id"] = requestId;
            Log.Enqueue((TimeProvider.System.GetUtcNow(), context.Request.Method, context.Request.Path.Value ?? "", requestId));
            if (Gate is { } gate)
            {
                await gate.WaitAsync(context.RequestAborted);
            }
            if (Delay > TimeSpan.Zero)
            {
                await Task.Delay(Delay, context.RequestAborted);
            }
            await ServeAsync(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client gave up (timeout or cancellation): nothing to answer.
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task ServeAsync(HttpContext context)
    {
        var request = context.Request;
        var token = request.Headers.Authorization.ToString();
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes("Bearer " + RequiredToken)))
        {
            Interlocked.Increment(ref _unauthorized);
            context.Response.Headers.WWWAuthenticate = Challenge;
            await ErrorAsync(context, 401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.");
            return;
        }
        if (request.Query["api-version"] != "7.4")
        {
            await ErrorAsync(context, 400, "BadParameter", "The specified version is not supported.");
            return;
        }
        if (Faults.TryDequeue(out var fault))
        {
            if (fault.RetryAfter is not null)
            {
                context.Response.Headers.RetryAfter = fault.RetryAfter;
            }
            await ErrorAsync(context, fault.Status, fault.Code, "Injected by the test.");
            return;
        }

        // /keys/{name}[/{version}][/sign]
        var segments = (request.Path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        var sign = segments.Length > 0 && segments[^1] == "sign";
        var keyPart = sign ? segments[..^1] : segments;
        if (keyPart.Length is not (2 or 3) || keyPart[0] != "keys" || !string.Equals(keyPart[1], KeyName, StringComparison.OrdinalIgnoreCase)
            || (keyPart.Length == 3 && keyPart[2] != CurrentVersion))
        {
            await ErrorAsync(context, 404, "KeyNotFound", "A key with (name/id) was not found in this key vault.");
            return;
        }
        var kid = $"https://{request.Host}/keys/{KeyName}/{CurrentVersion}";

        if (sign && HttpMethods.IsPost(request.Method))
        {
            using var body = await JsonDocument.ParseAsync(request.Body);
            var alg = body.RootElement.GetProperty("alg").GetString();
            var digest = Base64Url.DecodeFromChars(body.RootElement.GetProperty("value").GetString());
            if (alg != "RS256" || digest.Length != SHA256.HashSizeInBytes)
            {
                await ErrorAsync(context, 400, "BadParameter", "Invalid algorithm or digest length.");
                return;
            }
            var signature = Key.SignHash(digest, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            await context.Response.WriteAsJsonAsync(new Dictionary<string, string>
            {
                ["kid"] = KidOverride ?? kid,
                ["value"] = Base64Url.EncodeToString(signature),
            });
            return;
        }
        if (!sign && HttpMethods.IsGet(request.Method))
        {
            var publicKey = Key.ExportParameters(includePrivateParameters: false);
            await context.Response.WriteAsJsonAsync(new Dictionary<string, object>
            {
                ["key"] = new Dictionary<string, object>
                {
                    ["kid"] = kid,
                    ["kty"] = "RSA",
                    ["key_ops"] = new[] { "sign", "verify" },
                    ["n"] = Base64Url.EncodeToString(publicKey.Modulus),
                    ["e"] = Base64Url.EncodeToString(publicKey.Exponent),
                },
                ["attributes"] = new Dictionary<string, object> { ["enabled"] = true },
            });
            return;
        }
        await ErrorAsync(context, 405, "MethodNotAllowed", "Not supported by the test vault.");
    }

    private static Task ErrorAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { error = new { code, message } });
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={VaultHost}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(VaultHost);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = TimeProvider.System.GetUtcNow();
        using var created = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        // A PKCS#12 round trip gives Kestrel a certificate whose private key TLS can use on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), password: null);
    }
}
