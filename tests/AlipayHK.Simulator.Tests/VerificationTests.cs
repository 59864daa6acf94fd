using System.Text.Json.Nodes;
using AlipayHK.OpenApi.Signing;
using AlipayHK.Simulator.Protocol;
using AlipayHK.Simulator.Tests.Infrastructure;

namespace AlipayHK.Simulator.Tests;

public sealed class VerificationTests
{
    [Fact]
    public async Task A_request_signed_by_another_key_is_INVALID_SIGNATURE_and_changes_nothing()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var stranger = new MerchantCaller(sim, privateKeyPem: TestKeys.StrangerPrivatePem);

        var call = await stranger.PostAsync(ApiPaths.CreatePass, Requests.CreatePass());

        call.AssertFailure("INVALID_SIGNATURE");
        Assert.Equal(0, sim.State.Passes.Count);
        Assert.Equal("INVALID_SIGNATURE: InvalidSignature", sim.State.Calls.List().Single().Verification);
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("garbage")]
    [InlineData("body")]
    [InlineData("time")]
    [InlineData("path")]
    public async Task A_request_whose_signature_does_not_match_is_INVALID_SIGNATURE(string tamper)
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);

        var call = await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass(), request =>
        {
            switch (tamper)
            {
                case "missing":
                    request.Headers.Remove(AlipayHeaders.Signature);
                    break;
                case "garbage":
                    request.Headers.Remove(AlipayHeaders.Signature);
                    request.Headers.TryAddWithoutValidation(AlipayHeaders.Signature, "algorithm=RSA256, keyVersion=1, signature=bm90IGEgc2lnbmF0dXJl");
                    break;
                case "body":
                    var bytes = request.Content!.ReadAsByteArrayAsync().Result;
                    bytes[^3] ^= 1;
                    var content = new ByteArrayContent(bytes);
                    content.Headers.ContentType = request.Content.Headers.ContentType;
                    request.Content = content;
                    break;
                case "time":
                    var sent = request.Headers.GetValues(AlipayHeaders.RequestTime).Single();
                    request.Headers.Remove(AlipayHeaders.RequestTime);
                    Assert.True(AlipayTime.TryParse(sent, out var t));
                    request.Headers.TryAddWithoutValidation(AlipayHeaders.RequestTime, AlipayTime.ToHeaderValue(t.AddSeconds(1)));
                    break;
                case "path":
                    // Signed for createPass, sent to updatePass.
                    request.RequestUri = new Uri(ApiPaths.UpdatePass.TrimStart('/'), UriKind.Relative);
                    break;
            }
        });

        call.AssertFailure("INVALID_SIGNATURE");
        Assert.Equal(0, sim.State.Passes.Count);
    }

    [Fact]
    public async Task A_request_with_another_client_id_is_INVALID_CLIENT_and_changes_nothing()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var other = new MerchantCaller(sim, clientId: "SOMEONE-ELSE");

        var call = await other.PostAsync(ApiPaths.CreatePass, Requests.CreatePass());

        call.AssertFailure("INVALID_CLIENT");
        Assert.Equal(0, sim.State.Passes.Count);
    }

    [Fact]
    public async Task The_clientId_header_spelling_is_accepted()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);

        var call = await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass(), request =>
        {
            var clientId = request.Headers.GetValues(AlipayHeaders.ClientId).Single();
            request.Headers.Remove(AlipayHeaders.ClientId);
            request.Headers.TryAddWithoutValidation(AlipayHeaders.ClientIdAlternate, clientId);
        });

        call.AssertVerifiedSuccess();
    }

    [Fact]
    public async Task A_missing_Request_Time_is_PARAM_ILLEGAL_naming_it()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);

        var call = await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass(), request => request.Headers.Remove(AlipayHeaders.RequestTime));

        call.AssertFailure("PARAM_ILLEGAL");
        Assert.Contains("Request-Time", call.ResultMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_that_is_not_a_JSON_object_is_PARAM_ILLEGAL()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);

        // Signed correctly, but the signed body is a JSON array.
        var signer = new AlipayMessageSigner(new PemAlipaySigner(TestKeys.MerchantPrivatePem), sim.ClientId, "1");
        var bytes = "[1,2]"u8.ToArray();
        var signed = await signer.SignAsync(ApiPaths.CreatePass, bytes);
        using var request = new HttpRequestMessage(HttpMethod.Post, ApiPaths.CreatePass.TrimStart('/')) { Content = new ByteArrayContent(bytes) };
        request.Headers.TryAddWithoutValidation(AlipayHeaders.ClientId, signed.ClientId);
        request.Headers.TryAddWithoutValidation(AlipayHeaders.RequestTime, signed.Time);
        request.Headers.TryAddWithoutValidation(AlipayHeaders.Signature, signed.Signature);
        using var response = await merchant.Http.SendAsync(request);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal("PARAM_ILLEGAL", body["result"]!["resultCode"]!.GetValue<string>());
        Assert.Equal("F", body["result"]!["resultStatus"]!.GetValue<string>());
    }
}
