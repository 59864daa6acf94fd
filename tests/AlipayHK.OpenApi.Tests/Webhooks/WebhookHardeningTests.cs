using System.Security.Cryptography;
using System.Text;
using AlipayHK.OpenApi.Signing;
using AlipayHK.OpenApi.Tests.Support;
using AlipayHK.OpenApi.Webhooks;

namespace AlipayHK.OpenApi.Tests.Webhooks;

/// <summary>The webhook verifier's replay window, key rotation and encrypted-body reason; body parsing's JSON errors.</summary>
public sealed class WebhookHardeningTests : IDisposable
{
    private const string Path = "/shop1/points/bill/notify";
    private const string ClientId = "2022091234567890";
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 2, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"userId":"2160001","billNo":"B1","orderAmount":{"currency":"HKD","value":1250}}""");

    private readonly RSA _current = RSA.Create(2048);
    private readonly RSA _next = RSA.Create(2048);
    private readonly FakeTimeProvider _clock = new(Now);

    private AlipayWebhookVerifier Verifier(TimeSpan? maxAge = null, bool withNext = false) => new(new AlipayWebhookVerifierOptions
    {
        PlatformPublicKey = _current.ExportSubjectPublicKeyInfoPem(),
        NextPlatformPublicKey = withNext ? _next.ExportSubjectPublicKeyInfoPem() : null,
        ClientId = ClientId,
        MaxRequestAge = maxAge ?? AlipayWebhookVerifierOptions.DefaultMaxRequestAge,
    }, _clock);

    private static async Task<Dictionary<string, string>> SignAsync(RSA key, DateTimeOffset at, byte[]? body = null)
    {
        using var signer = new PemAlipaySigner(key.ExportPkcs8PrivateKeyPem());
        var signed = await new AlipayMessageSigner(signer, ClientId, "1").SignAsync(Path, body ?? Body, AlipayTime.ToHeaderValue(at));
        return new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            [AlipayHeaders.ClientId] = signed.ClientId,
            [AlipayHeaders.RequestTime] = signed.Time,
            [AlipayHeaders.Signature] = signed.Signature,
        };
    }

    [Fact]
    public void The_default_window_covers_alipayhks_whole_retry_schedule()
    {
        var schedule = new[] { 2, 10, 10, 60, 120, 360, 900 }.Sum(minutes => TimeSpan.FromMinutes(minutes).Ticks);
        Assert.True(AlipayWebhookVerifierOptions.DefaultMaxRequestAge > TimeSpan.FromTicks(schedule));
        Assert.Equal(TimeSpan.FromMinutes(5), AlipayWebhookVerifierOptions.DefaultMaxFutureSkew);
    }

    [Theory]
    [InlineData(0, WebhookRejection.None)]
    [InlineData(-24 * 60 - 22, WebhookRejection.None)]             // the last retry of the schedule, first stamp kept
    [InlineData(-26 * 60, WebhookRejection.RequestTimeTooOld)]      // beyond schedule + margin: a replay
    [InlineData(4, WebhookRejection.None)]                         // a clock a little ahead
    [InlineData(6, WebhookRejection.RequestTimeInFuture)]
    public async Task Request_time_is_checked_against_the_replay_window(int minutesFromNow, WebhookRejection expected)
    {
        using var verifier = Verifier();
        var headers = await SignAsync(_current, Now.AddMinutes(minutesFromNow));

        var result = verifier.Verify("POST", Path, name => headers.GetValueOrDefault(name), Body);

        Assert.Equal(expected, result.Rejection);
    }

    [Fact]
    public async Task A_configured_max_age_applies_and_the_reasons_are_distinct()
    {
        using var verifier = Verifier(maxAge: TimeSpan.FromMinutes(30));
        var headers = await SignAsync(_current, Now.AddMinutes(-31));

        var result = verifier.Verify("POST", Path, name => headers.GetValueOrDefault(name), Body);

        Assert.Equal(WebhookRejection.RequestTimeTooOld, result.Rejection);
        Assert.NotEqual(WebhookRejection.RequestTimeInFuture, result.Rejection);
        Assert.NotEqual(WebhookRejection.InvalidSignature, result.Rejection);
    }

    [Fact]
    public async Task A_webhook_signed_with_the_next_key_verifies_only_when_the_next_key_is_configured()
    {
        using var rotating = Verifier(withNext: true);
        using var currentOnly = Verifier();
        var headers = await SignAsync(_next, Now);

        Assert.True(rotating.Verify("POST", Path, name => headers.GetValueOrDefault(name), Body).IsValid);
        Assert.Equal(WebhookRejection.InvalidSignature, currentOnly.Verify("POST", Path, name => headers.GetValueOrDefault(name), Body).Rejection);
        // The current key still verifies during the rotation.
        var current = await SignAsync(_current, Now);
        Assert.True(rotating.Verify("POST", Path, name => current.GetValueOrDefault(name), Body).IsValid);
    }

    [Fact]
    public async Task An_encrypted_webhook_has_its_own_reason()
    {
        using var verifier = Verifier();
        var headers = await SignAsync(_current, Now);
        headers[AlipayHeaders.Encrypt] = "algorithm=RSA_AES, keyVersion=1, symmetricKey=abc";

        var result = verifier.Verify("POST", Path, name => headers.GetValueOrDefault(name), Body);

        Assert.Equal(WebhookRejection.EncryptedNotSupported, result.Rejection);
        Assert.Contains("encrypted", result.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("""{"userId":"2160001","billNo":"B1","orderAmount":{"currency":"HKD","val""")]
    [InlineData("""{"userId":"2160001",""")]
    [InlineData("""{"userId":""")]
    [InlineData("not json")]
    [InlineData("")]
    public void A_truncated_or_garbled_body_is_not_valid_json(string body)
    {
        var parsed = BillNotifyRequest.Parse(Encoding.UTF8.GetBytes(body));

        var error = Assert.Single(parsed.Errors);
        Assert.Equal("(body)", error.Field);
        Assert.Equal("is not valid JSON", error.Problem);
    }

    [Fact]
    public void A_well_formed_body_with_a_wrongly_typed_field_names_the_field()
    {
        var parsed = BillNotifyRequest.Parse("""{"userId":"2160001","billNo":"B1","orderAmount":{"currency":"HKD","value":true}}"""u8);

        var error = Assert.Single(parsed.Errors);
        Assert.Equal("orderAmount.value", error.Field);
        Assert.Equal("has the wrong JSON type or format", error.Problem);
    }

    [Fact]
    public void Webhook_answers_keep_a_plus_sign_as_is()
    {
        var bytes = WebhookAnswers.Failure("PARAM_ILLEGAL", "payTime 2026-11-22T10:00:00+08:00 is in the future");

        var text = Encoding.UTF8.GetString(bytes);
        Assert.Contains("2026-11-22T10:00:00+08:00", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u002B", text, StringComparison.OrdinalIgnoreCase);
    }

    public void Dispose()
    {
        _current.Dispose();
        _next.Dispose();
    }
}
