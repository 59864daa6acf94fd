using System.Text;
using AlipayHK.Cli.Tests.Support;
using AlipayHK.OpenApi.Signing;

namespace AlipayHK.Cli.Tests;

public sealed class ExplainTests
{
    private const string ClientId = "2188000000000001";
    private const string Path = "/shop/points/bill/notify";
    private const string Body = """{"userId":"2160000000000001","billNo":"B1","orderAmount":{"currency":"HKD","value":"10000"},"merchantName":"茶餐廳","pointsProvider":"ALIPAYHK"}""";
    private const string PrettyBody = """
        {
          "userId": "2160000000000001",
          "billNo": "B1",
          "orderAmount": {
            "currency": "HKD",
            "value": "10000"
          },
          "merchantName": "茶餐廳",
          "pointsProvider": "ALIPAYHK"
        }
        """;

    private static async Task<SignedMessage> SignAsPlatformAsync(string path, string body)
    {
        using var signer = new PemAlipaySigner(TestKeys.Platform.PrivatePem);
        return await new AlipayMessageSigner(signer, ClientId, "1").SignAsync(path, Encoding.UTF8.GetBytes(body), "2026-11-22T10:15:30+08:00");
    }

    private static string Capture(string path, SignedMessage signed, string body, string timeHeader = "Request-Time") =>
        $"POST {path} HTTP/1.1\r\nHost: merchant.example\r\nContent-Type: application/json; charset=UTF-8\r\nClient-Id: {signed.ClientId}\r\n{timeHeader}: {signed.Time}\r\nSignature: {signed.Signature}\r\n\r\n{body}";

    private static async Task<CliRun> ExplainAsync(TempDir dir, string capture, params string[] extra)
    {
        var file = dir.File("capture.http");
        await File.WriteAllTextAsync(file, capture, new UTF8Encoding(false));
        return await CliRunner.RunAsync(["explain", file, "--public-key", TestKeys.Platform.PublicBase64, .. extra]);
    }

    [Fact]
    public async Task A_correctly_signed_capture_verifies_and_shows_the_exact_string_to_sign()
    {
        using var dir = new TempDir();
        var signed = await SignAsPlatformAsync(Path, Body);

        var run = await ExplainAsync(dir, Capture(Path, signed, Body));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("VERIFIES", run.Output, StringComparison.Ordinal);
        Assert.Contains($"POST {Path}\\n\n{ClientId}.{signed.Time}.{Body}", run.Output, StringComparison.Ordinal);
        Assert.Contains("algorithm=RSA256 (supported), keyVersion=1", run.Output, StringComparison.Ordinal);
        Assert.Contains("decodes to 256 bytes (right for RSA-2048)", run.Output, StringComparison.Ordinal);
        Assert.Contains("URL-encoded", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pretty_printed_body_does_not_verify_and_the_compacted_body_is_named()
    {
        using var dir = new TempDir();
        var signed = await SignAsPlatformAsync(Path, Body);

        var run = await ExplainAsync(dir, Capture(Path, signed, PrettyBody));

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("does NOT verify as captured", run.Output, StringComparison.Ordinal);
        Assert.Contains("1. body compacted (it was re-serialised or pretty-printed after signing)", run.Output, StringComparison.Ordinal);
        Assert.Contains($"{ClientId}.{signed.Time}.{Body}", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gateway_prefixed_path_names_the_prefix_the_signer_did_not_see()
    {
        using var dir = new TempDir();
        var signed = await SignAsPlatformAsync(Path, Body);

        var run = await ExplainAsync(dir, Capture("/gw" + Path, signed, Body));

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("1. path without the prefix '/gw'", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_path_missing_the_registered_prefix_is_found_with_gateway_prefix()
    {
        using var dir = new TempDir();
        var signed = await SignAsPlatformAsync("/api" + Path, Body);

        var run = await ExplainAsync(dir, Capture(Path, signed, Body), "--gateway-prefix", "/api");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("path with the gateway prefix '/api'", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_signature_over_the_response_time_is_found_when_the_request_time_was_used()
    {
        using var dir = new TempDir();
        var signed = await SignAsPlatformAsync(Path, Body);
        var capture = $"HTTP/1.1 200 OK\nClient-Id: {ClientId}\nRequest-Time: 2026-11-22T10:15:29+08:00\nResponse-Time: {signed.Time}\nSignature: {signed.Signature}\n\n{Body}";

        var asAnswer = await ExplainAsync(dir, capture, "--path", Path);
        var asRequest = await ExplainAsync(dir, capture.Replace("HTTP/1.1 200 OK", $"POST {Path}", StringComparison.Ordinal));

        Assert.True(asAnswer.ExitCode == 0, asAnswer.ToString());
        Assert.True(asRequest.ExitCode == 1, asRequest.ToString());
        Assert.Contains("Response-Time instead of Request-Time", asRequest.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_wrong_key_is_reported_and_another_given_key_that_verifies_is_named()
    {
        using var dir = new TempDir();
        var signed = await SignAsPlatformAsync(Path, Body);
        var file = dir.File("capture.http");
        await File.WriteAllTextAsync(file, Capture(Path, signed, Body));

        var wrongOnly = await CliRunner.RunAsync("explain", file, "--public-key", TestKeys.Other.PublicBase64);
        var wrongThenRight = await CliRunner.RunAsync("explain", file, "--public-key", TestKeys.Other.PublicBase64, "--public-key", TestKeys.Platform.PublicBase64);

        Assert.True(wrongOnly.ExitCode == 1, wrongOnly.ToString());
        Assert.Contains("No variant verifies", wrongOnly.Output, StringComparison.Ordinal);
        Assert.Contains("wrong key", wrongOnly.Output, StringComparison.Ordinal);
        Assert.True(wrongThenRight.ExitCode == 1, wrongThenRight.ToString());
        Assert.Contains("a different key: --public-key #2", wrongThenRight.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Flags_replace_the_capture_and_the_configured_client_id_mismatch_is_named()
    {
        using var dir = new TempDir();
        var signed = await SignAsPlatformAsync(Path, Body);
        var bodyFile = dir.File("body.json");
        await File.WriteAllTextAsync(bodyFile, Body, new UTF8Encoding(false));

        var run = await CliRunner.RunAsync(
            new Dictionary<string, string?> { ["AlipayHK:ClientId"] = "2188999999999999", ["AlipayHK:PlatformPublicKey"] = TestKeys.Platform.PublicBase64 },
            "explain", "--path", Path, "--client-id", ClientId, "--time", signed.Time, "--signature", signed.Signature, "--body-file", bodyFile);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("DIFFERS from the configured AlipayHK:ClientId 2188999999999999", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_inputs_are_usage_errors()
    {
        using var dir = new TempDir();
        var signed = await SignAsPlatformAsync(Path, Body);

        var noKey = await CliRunner.RunAsync("explain", "--path", Path, "--client-id", ClientId, "--time", signed.Time, "--signature", signed.Signature);
        var noSignature = await CliRunner.RunAsync("explain", "--path", Path, "--client-id", ClientId, "--time", signed.Time, "--public-key", TestKeys.Platform.PublicBase64);
        var answerWithoutPath = await ExplainAsync(dir, $"HTTP/1.1 200 OK\nClient-Id: {ClientId}\nResponse-Time: {signed.Time}\nSignature: {signed.Signature}\n\n{Body}");

        Assert.Equal(2, noKey.ExitCode);
        Assert.Equal(2, noSignature.ExitCode);
        Assert.Equal(2, answerWithoutPath.ExitCode);
        Assert.Contains("--path", answerWithoutPath.Error, StringComparison.Ordinal);
    }
}
