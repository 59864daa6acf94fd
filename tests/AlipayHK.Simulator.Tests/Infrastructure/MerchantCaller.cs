using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using AlipayHK.OpenApi.Signing;

namespace AlipayHK.Simulator.Tests.Infrastructure;

/// <summary>
/// Calls the simulator as a merchant would, with hand-built signed requests (AlipayMessageSigner), and verifies the
/// answer's signature with the simulator's platform public key.
/// </summary>
internal sealed class MerchantCaller : IDisposable
{
    private readonly SimulatorHost _sim;
    private readonly PemAlipaySigner _key;
    private readonly AlipayMessageSigner _signer;
    private readonly AlipaySignatureVerifier _platform;

    public MerchantCaller(SimulatorHost sim, string? privateKeyPem = null, string? clientId = null, TimeSpan? timeout = null)
    {
        _sim = sim;
        _key = new PemAlipaySigner(privateKeyPem ?? TestKeys.MerchantPrivatePem);
        _signer = new AlipayMessageSigner(_key, clientId ?? sim.ClientId, "1");
        _platform = new AlipaySignatureVerifier(sim.PlatformPublicKey);
        Http = new HttpClient { BaseAddress = sim.BaseUrl, Timeout = timeout ?? TimeSpan.FromSeconds(20) };
    }

    public HttpClient Http { get; }

    public async Task<ApiCall> PostAsync(string path, JsonObject body, Action<HttpRequestMessage>? tamper = null)
    {
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        var signed = await _signer.SignAsync(path, bytes);
        using var request = new HttpRequestMessage(HttpMethod.Post, path.TrimStart('/')) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(AlipayHeaders.JsonContentType);
        request.Headers.TryAddWithoutValidation(AlipayHeaders.ClientId, signed.ClientId);
        request.Headers.TryAddWithoutValidation(AlipayHeaders.RequestTime, signed.Time);
        request.Headers.TryAddWithoutValidation(AlipayHeaders.Signature, signed.Signature);
        tamper?.Invoke(request);
        // The answer is signed over the path the request was actually sent to.
        var sentPath = "/" + request.RequestUri!.OriginalString.TrimStart('/');
        using var response = await Http.SendAsync(request, TestContext.Token);
        var raw = await response.Content.ReadAsByteArrayAsync();
        string? Header(string name) => response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
        var signature = Header(AlipayHeaders.Signature);
        var time = Header(AlipayHeaders.ResponseTime);
        var verification = signature is null || time is null
            ? SignatureRejection.MissingSignature
            : _platform.Verify("POST", sentPath, Header(AlipayHeaders.ClientId) ?? _sim.ClientId, time, raw, signature);
        JsonObject? json = null;
        try
        {
            json = JsonNode.Parse(raw) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
        }
        return new ApiCall(response.StatusCode, json, Encoding.UTF8.GetString(raw), verification, Header(AlipayHeaders.TracerId), Header(AlipayHeaders.ClientId),
            response.Headers.RetryAfter?.Delta);
    }

    public void Dispose()
    {
        Http.Dispose();
        _platform.Dispose();
        _key.Dispose();
    }
}

internal sealed record ApiCall(HttpStatusCode Status, JsonObject? Body, string Raw, SignatureRejection Verification, string? TracerId, string? ClientId, TimeSpan? RetryAfter)
{
    public string? ResultCode => Body?["result"]?["resultCode"]?.GetValue<string>();
    public string? ResultStatus => Body?["result"]?["resultStatus"]?.GetValue<string>();
    public string? ResultMessage => Body?["result"]?["resultMessage"]?.GetValue<string>();
    public bool SignatureValid => Verification == SignatureRejection.None;

    /// <summary>A success whose signature verifies with the platform key.</summary>
    public void AssertVerifiedSuccess()
    {
        Assert.Equal(HttpStatusCode.OK, Status);
        Assert.True(ResultStatus == "S", $"Expected S, got {Raw}");
        Assert.Equal("SUCCESS", ResultCode);
        Assert.True(SignatureValid, $"Answer signature: {Verification}");
        Assert.False(string.IsNullOrEmpty(TracerId));
    }

    /// <summary>A signed failure with this code.</summary>
    public void AssertFailure(string code, string status = "F")
    {
        Assert.Equal(HttpStatusCode.OK, Status);
        Assert.True(ResultCode == code, $"Expected {code}, got {Raw}");
        Assert.Equal(status, ResultStatus);
        Assert.True(SignatureValid, $"Failure answers are signed too: {Verification}");
    }
}
