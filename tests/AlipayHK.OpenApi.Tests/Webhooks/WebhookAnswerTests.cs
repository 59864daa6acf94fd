using System.Text;
using AlipayHK.OpenApi.Results;
using AlipayHK.OpenApi.Signing;
using AlipayHK.OpenApi.Tests.Support;
using AlipayHK.OpenApi.Webhooks;

namespace AlipayHK.OpenApi.Tests.Webhooks;

public sealed class WebhookAnswerTests : IDisposable
{
    private const string Path = "/shop1/points/bill/notify";
    private const string ClientId = "2022091234567890";

    private readonly PemAlipaySigner _key = new(TestKeys.MerchantPrivatePem);
    private readonly AlipaySignatureVerifier _merchantKey = new(TestKeys.MerchantPublicPem);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 22, 2, 15, 30, 400, TimeSpan.Zero));

    [Fact]
    public void Answers_are_the_exact_documented_bytes()
    {
        Assert.Equal("""{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}""", Encoding.UTF8.GetString(WebhookAnswers.Success().Span));
        Assert.Equal("""{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},"memberId":"M-42"}""", Encoding.UTF8.GetString(WebhookAnswers.MemberCardCreated("M-42")));
        Assert.Equal("""{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},"memberNo":"M-42"}""", Encoding.UTF8.GetString(WebhookAnswers.MemberCardCreated("M-42", "memberNo")));
        Assert.Equal("""{"result":{"resultCode":"PARAM_ILLEGAL","resultStatus":"F","resultMessage":"Invalid request body: userId: is required."}}""", Encoding.UTF8.GetString(WebhookAnswers.Failure(ResultCodes.ParamIllegal, "Invalid request body: userId: is required.")));
        Assert.Equal("""{"result":{"resultCode":"SYSTEM_ERROR","resultStatus":"U","resultMessage":"try again"}}""", Encoding.UTF8.GetString(WebhookAnswers.Failure(ResultCodes.SystemError, "try again", ResultStatus.Unknown)));
    }

    [Fact]
    public async Task Fifty_concurrent_identical_answers_in_one_second_make_one_signature()
    {
        var counting = new CountingSigner(_key) { Hold = true };
        var answers = new WebhookAnswerSigner(new AlipayMessageSigner(counting, ClientId, "1", _clock));

        var tasks = Enumerable.Range(0, 50).Select(_ => Task.Run(() => answers.SignAsync(Path, WebhookAnswers.Success()))).ToArray();
        // All 50 are waiting (1 signing, 49 sharing it) before the one signature is allowed to finish.
        // Bounded, and left early if a call ends: an unbounded wait hangs the test host instead of failing.
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while (answers.SignaturesReused < 49 && !tasks.Any(t => t.IsCompleted))
            {
                await Task.Delay(5, timeout.Token);
            }
        }
        counting.Gate.SetResult();
        var signed = await Task.WhenAll(tasks);

        Assert.Equal(1, counting.Calls);
        Assert.Equal(1, answers.SignaturesMade);
        Assert.Equal(49, answers.SignaturesReused);
        Assert.Single(signed.Select(s => s.Signature).Distinct());
        Assert.All(signed, s => Assert.Equal(SignatureRejection.None,
            _merchantKey.Verify("POST", Path, ClientId, s.Time, s.Body.Span, s.Signature)));
    }

    [Fact]
    public async Task A_new_second_a_new_path_or_a_new_body_is_signed_again()
    {
        var counting = new CountingSigner(_key);
        var answers = new WebhookAnswerSigner(new AlipayMessageSigner(counting, ClientId, "1", _clock));

        var first = await answers.SignAsync(Path, WebhookAnswers.Success());
        _clock.Now = _clock.Now.AddMilliseconds(500); // same second
        var sameSecond = await answers.SignAsync(Path, WebhookAnswers.Success());
        var otherPath = await answers.SignAsync("/shop1/points/membercard/create", WebhookAnswers.Success());
        var otherBody = await answers.SignAsync(Path, WebhookAnswers.MemberCardCreated("M-1"));
        _clock.Now = _clock.Now.AddSeconds(1);
        var nextSecond = await answers.SignAsync(Path, WebhookAnswers.Success());

        Assert.Equal(first.Signature, sameSecond.Signature);
        Assert.Equal(4, counting.Calls);
        Assert.Equal(4, answers.SignaturesMade);
        Assert.NotEqual(first.Time, nextSecond.Time);
        Assert.Equal(SignatureRejection.None, _merchantKey.Verify("POST", Path, ClientId, nextSecond.Time, nextSecond.Body.Span, nextSecond.Signature));
        Assert.Equal(SignatureRejection.None, _merchantKey.Verify("POST", "/shop1/points/membercard/create", ClientId, otherPath.Time, otherPath.Body.Span, otherPath.Signature));
    }

    [Fact]
    public async Task Bodies_that_differ_in_one_byte_never_share_a_signature()
    {
        var counting = new CountingSigner(_key);
        var answers = new WebhookAnswerSigner(new AlipayMessageSigner(counting, ClientId, "1", _clock));
        var a = WebhookAnswers.MemberCardCreated("M-10");
        var b = WebhookAnswers.MemberCardCreated("M-11");

        var signedA = await answers.SignAsync(Path, a);
        var signedB = await answers.SignAsync(Path, b);

        Assert.Equal(2, counting.Calls);
        Assert.Equal(SignatureRejection.None, _merchantKey.Verify("POST", Path, ClientId, signedB.Time, b, signedB.Signature));
        Assert.Equal(SignatureRejection.InvalidSignature, _merchantKey.Verify("POST", Path, ClientId, signedA.Time, b, signedA.Signature));
    }

    [Fact]
    public async Task A_failed_signing_is_not_cached()
    {
        var counting = new CountingSigner(_key) { FailWith = new InvalidOperationException("vault down") };
        var answers = new WebhookAnswerSigner(new AlipayMessageSigner(counting, ClientId, "1", _clock));

        await Assert.ThrowsAsync<InvalidOperationException>(() => answers.SignAsync(Path, WebhookAnswers.Success()));
        counting.FailWith = null;
        var signed = await answers.SignAsync(Path, WebhookAnswers.Success());

        Assert.Equal(2, counting.Calls);
        Assert.Equal(1, answers.SignaturesMade);
        Assert.Equal(SignatureRejection.None, _merchantKey.Verify("POST", Path, ClientId, signed.Time, signed.Body.Span, signed.Signature));
    }

    [Fact]
    public async Task The_cache_stays_bounded()
    {
        var counting = new CountingSigner(_key);
        var answers = new WebhookAnswerSigner(new AlipayMessageSigner(counting, ClientId, "1", _clock), capacity: 2);

        for (var i = 0; i < 5; i++)
        {
            await answers.SignAsync(Path, WebhookAnswers.MemberCardCreated($"M-{i}"));
        }
        // M-0 was evicted to keep at most two entries: signing it again costs a signature.
        await answers.SignAsync(Path, WebhookAnswers.MemberCardCreated("M-0"));

        Assert.Equal(6, counting.Calls);
    }

    public void Dispose()
    {
        _key.Dispose();
        _merchantKey.Dispose();
    }
}
