using System.Text;
using System.Text.Json;
using AlipayHK.OpenApi.Authorization;
using AlipayHK.OpenApi.Client;
using AlipayHK.OpenApi.Mall;
using AlipayHK.OpenApi.Passes;
using AlipayHK.OpenApi.Results;
using AlipayHK.OpenApi.Serialization;
using AlipayHK.OpenApi.Signing;
using AlipayHK.OpenApi.Tests.Support;

namespace AlipayHK.OpenApi.Tests.Client;

[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes through IAsyncLifetime.DisposeAsync.")]
public sealed class AlipayHKClientTests : IAsyncLifetime
{
    private FakeAlipayHK _server = null!;
    private readonly HttpClient _http = new();
    private readonly PemAlipaySigner _key = new(TestKeys.MerchantPrivatePem);
    private AlipayHKClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeAlipayHK.StartAsync();
        // Generous: a first request on a loaded machine can take a second. The timeout test makes its own client.
        _client = NewClient(TimeSpan.FromSeconds(30));
    }

    private AlipayHKClient NewClient(TimeSpan timeout) => new(_http, new AlipayHKClientOptions
    {
        BaseUrl = _server.BaseUrl,
        ClientId = FakeAlipayHK.ClientId,
        MerchantId = "2160120036095023",
        KeyVersion = "2",
        PlatformPublicKey = TestKeys.PlatformPublicBase64,
        Timeout = timeout,
    }, _key);

    [Fact]
    public async Task A_signed_success_is_returned_and_the_request_was_signed_correctly()
    {
        var response = await _client.CreatePassAsync(NewPass());

        Assert.Equal("P-1", response.PassId);
        Assert.Equal("tracer-123", response.TracerId);
        var received = Assert.Single(_server.Received);
        Assert.Equal(SignatureRejection.None, received.Verdict);
        Assert.Equal("/api/open/alipay/v1/ipass/pass/manage/createPass", received.Path);
        Assert.Equal(FakeAlipayHK.ClientId, received.ClientId);
        Assert.StartsWith("algorithm=RSA256, keyVersion=2, signature=", received.Signature, StringComparison.Ordinal);
        Assert.True(AlipayTime.TryParse(received.RequestTime, out _));
        Assert.Equal("application/json; charset=UTF-8", received.ContentType);
        // The merchant id came from the options; the body is compact camelCase without nulls.
        var sent = JsonSerializer.Deserialize(received.Body, AlipayJsonContext.Default.CreatePassRequest)!;
        Assert.Equal("2160120036095023", sent.MerchantId);
        Assert.DoesNotContain("null", Encoding.UTF8.GetString(received.Body), StringComparison.Ordinal);
        Assert.DoesNotContain("\n", Encoding.UTF8.GetString(received.Body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_answer_client_id_header_may_be_spelled_clientId()
    {
        _server.Answer = FakeAnswer.SignedSuccessLowercaseClientIdHeader;

        var response = await _client.UpdatePassAsync(new UpdatePassRequest { UserId = "2160001", PassId = "P-1", Status = "CLOSED" });

        Assert.True(response.EffectiveResult!.IsSuccess);
    }

    [Fact]
    public async Task Every_api_is_sent_to_its_path_signed()
    {
        _server.SuccessBody = """{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},"accessToken":"AT","customerId":"2160001"}""";

        await _client.GetTemplateDetailAsync(new TemplateDetailRequest { TemplateCode = "T" });
        var token = await _client.ApplyTokenAsync(new ApplyTokenRequest { AppId = "A", AuthCode = "code", GrantType = ApplyTokenRequest.AuthorizationCode });
        await _client.QueryBillsAsync(new BillQueryRequest { BusinessDistrictSubject = new BusinessDistrictSubject { MallLabel = "M" }, BatchNo = "B", AccessToken = "AT" });
        await _client.SaveCircleStoreAsync(new CircleStoreSaveRequest { IpayTradeNo = "T1" });
        await _client.QueryCircleStorePageAsync(new CircleStoreQueryPageRequest { BusinessDistrictSubject = new BusinessDistrictSubject { MallLabel = "M" }, PageInfo = new PageInfo { PageIndex = "1", PageSize = "20" } });

        Assert.Equal("AT", token.AccessToken);
        Assert.Equal(
            ["/api/open/alipay/v1/ipass/template/manage/detail", "/api/open/v2/authorizations/applyToken",
             "/api/open/alipayhk/businessdistrict/bill/query", "/api/open/alipayhk/businessdistrict/circleStore/save",
             "/api/open/alipayhk/businessdistrict/circleStore/queryPage"],
            _server.Received.Select(r => r.Path));
        Assert.All(_server.Received, r => Assert.Equal(SignatureRejection.None, r.Verdict));
    }

    [Fact]
    public async Task A_tampered_success_is_an_unknown_retryable_failure()
    {
        // Retryable: AlipayHK may have created the pass; the retry (same bizSerialId) finds out, a stale key ends in poison.
        _server.Answer = FakeAnswer.TamperedSuccess;

        var e = await Assert.ThrowsAsync<AlipayHKException>(() => _client.CreatePassAsync(NewPass()));

        Assert.Equal(ResultCodes.ResponseSignatureInvalid, e.ResultCode);
        Assert.Equal(ResultStatus.Unknown, e.ResultStatus);
        Assert.True(e.IsRetryable);
        Assert.Equal("tracer-123", e.TracerId);
    }

    [Fact]
    public async Task An_unsigned_success_is_rejected_as_unknown_and_retryable()
    {
        _server.Answer = FakeAnswer.UnsignedSuccess;

        var e = await Assert.ThrowsAsync<AlipayHKException>(() => _client.CreatePassAsync(NewPass()));

        Assert.Equal(ResultCodes.ResponseUnsigned, e.ResultCode);
        Assert.Equal(ResultStatus.Unknown, e.ResultStatus);
        Assert.True(e.IsRetryable);
    }

    [Fact]
    public async Task An_unsigned_failure_is_accepted_as_a_final_failure()
    {
        _server.Answer = FakeAnswer.UnsignedFailure;

        var e = await Assert.ThrowsAsync<AlipayHKException>(() => _client.CreatePassAsync(NewPass()));

        Assert.Equal(ResultCodes.ParamIllegal, e.ResultCode);
        Assert.Equal(ResultStatus.Failed, e.ResultStatus);
        Assert.False(e.IsRetryable);
        Assert.Equal(200, e.HttpStatus);
        Assert.Equal("illegal parameters", e.Result!.Message);
    }

    [Fact]
    public async Task A_signed_unknown_is_retryable()
    {
        _server.Answer = FakeAnswer.SignedUnknown;

        var e = await Assert.ThrowsAsync<AlipayHKException>(() => _client.CreatePassAsync(NewPass()));

        Assert.Equal(ResultCodes.UnknownException, e.ResultCode);
        Assert.True(e.IsRetryable);
    }

    [Fact]
    public async Task No_answer_within_the_timeout_is_a_retryable_timeout()
    {
        _server.Answer = FakeAnswer.Slow;
        var client = NewClient(TimeSpan.FromMilliseconds(800));

        var e = await Assert.ThrowsAsync<AlipayHKException>(() => client.CreatePassAsync(NewPass()));

        Assert.Equal(ResultCodes.Timeout, e.ResultCode);
        Assert.True(e.IsRetryable);
    }

    [Fact]
    public async Task The_callers_token_cancels_and_is_not_a_timeout()
    {
        _server.Answer = FakeAnswer.Slow;
        using var cancel = new CancellationTokenSource();
        // A timeout far beyond the test, so only the caller's token can end the call. With an 800 ms timeout, a
        // first request on a loaded machine could time out before the server recorded it, and the wait below
        // (then without its second condition) never ended: the test host hung.
        var client = NewClient(TimeSpan.FromMinutes(2));

        var call = client.CreatePassAsync(NewPass(), cancel.Token);
        while (ReceivedCount() == 0 && !call.IsCompleted)
        {
            await Task.Delay(5);
        }
        Assert.False(call.IsCompleted, "The call ended before the server received it.");
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }

    private int ReceivedCount()
    {
        lock (_server.Received)
        {
            return _server.Received.Count;
        }
    }

    [Theory]
    [InlineData(FakeAnswer.Http500, 500, ResultCodes.HttpError)]
    [InlineData(FakeAnswer.Http503, 503, ResultCodes.SystemError)]
    [InlineData(FakeAnswer.Http429, 429, ResultCodes.RequestTrafficExceedLimit)]
    public async Task Server_errors_and_rate_limits_are_retryable(FakeAnswer answer, int status, string code)
    {
        _server.Answer = answer;

        var e = await Assert.ThrowsAsync<AlipayHKException>(() => _client.CreatePassAsync(NewPass()));

        Assert.Equal(status, e.HttpStatus);
        Assert.Equal(code, e.ResultCode);
        Assert.True(e.IsRetryable);
        Assert.Equal(answer == FakeAnswer.Http429 ? TimeSpan.FromSeconds(7) : null, e.RetryAfter);
    }

    [Fact]
    public async Task An_answer_without_a_result_is_an_invalid_response()
    {
        _server.Answer = FakeAnswer.HtmlPage;

        var e = await Assert.ThrowsAsync<AlipayHKException>(() => _client.CreatePassAsync(NewPass()));

        Assert.Equal(ResultCodes.InvalidResponse, e.ResultCode);
        Assert.True(e.IsRetryable);
    }

    [Fact]
    public async Task A_refused_connection_is_a_retryable_http_error()
    {
        var closedPort = _server.BaseUrl;
        await _server.DisposeAsync();
        _server = await FakeAlipayHK.StartAsync();
        using var client = new AlipayHKClient(_http, new AlipayHKClientOptions
        {
            BaseUrl = closedPort, ClientId = FakeAlipayHK.ClientId, MerchantId = "2160120036095023", PlatformPublicKey = TestKeys.PlatformPublicBase64,
        }, _key);

        var e = await Assert.ThrowsAsync<AlipayHKException>(() => client.CreatePassAsync(NewPass()));

        Assert.Equal(ResultCodes.HttpError, e.ResultCode);
        Assert.True(e.IsRetryable);
    }

    [Theory]
    [InlineData("ClientId")]
    [InlineData("PlatformPublicKey")]
    [InlineData("Timeout")]
    [InlineData("Paths")]
    public void Bad_options_are_named(string setting)
    {
        var options = new AlipayHKClientOptions { ClientId = "C", PlatformPublicKey = TestKeys.PlatformPublicBase64 };
        switch (setting)
        {
            case "ClientId": options.ClientId = " "; break;
            case "PlatformPublicKey": options.PlatformPublicKey = ""; break;
            case "Timeout": options.Timeout = TimeSpan.Zero; break;
            case "Paths": options.Paths.UpdatePass = "updatePass"; break;
        }

        var e = Assert.Throws<ArgumentException>(() => new AlipayHKClient(_http, options, _key));

        Assert.Contains(setting == "Paths" ? "AlipayHK:Paths:UpdatePass" : "AlipayHK:" + setting, e.Message, StringComparison.Ordinal);
    }

    internal static CreatePassRequest NewPass() => new()
    {
        UserId = "2160220037090534",
        TemplateCode = "T1",
        BizSerialId = "member-42",
        BizCreate = AlipayTimestamp.FromUnixMilliseconds(DateTimeOffset.FromUnixTimeMilliseconds(1788192061000)),
        StartDate = AlipayTimestamp.FromUnixMilliseconds(DateTimeOffset.FromUnixTimeMilliseconds(1767225600000)),
        EndDate = AlipayTimestamp.FromUnixMilliseconds(DateTimeOffset.FromUnixTimeMilliseconds(1798761600000)),
        Type = "CARD",
        Product = "MEMBER_CARD",
        CodeInfo = new() { ["$codemsg$"] = "M42", ["$codevalue$"] = "M42" },
        DataInfo = new() { ["en_US"] = new() { ["$points$"] = "0" } },
    };

    public async Task DisposeAsync()
    {
        _client.Dispose();
        _http.Dispose();
        _key.Dispose();
        await _server.DisposeAsync();
    }
}
