using System.Text;
using System.Text.Json;
using AlipayHK.OpenApi.Authorization;
using AlipayHK.OpenApi.Mall;
using AlipayHK.OpenApi.Passes;
using AlipayHK.OpenApi.Results;
using AlipayHK.OpenApi.Serialization;
using AlipayHK.OpenApi.Webhooks;

namespace AlipayHK.OpenApi.Tests.Models;

public sealed class ModelTests
{
    private static readonly AlipayJsonContext Json = AlipayJsonContext.Default;

    [Theory]
    [InlineData("""{"pageInfo":{"pageSize":"20","pageIndex":"2"}}""")]
    [InlineData("""{"pageInfo":{"pageSize":20,"pageIndex":2}}""")]
    public void QueryPage_page_numbers_are_read_as_strings_or_numbers(string json)
    {
        var response = JsonSerializer.Deserialize(json, Json.CircleStoreQueryPageResponse)!;

        Assert.Equal("20", response.PageInfo!.PageSize);
        Assert.Equal("2", response.PageInfo.PageIndex);
        Assert.Contains("\"pageSize\":\"20\"", JsonSerializer.Serialize(response, Json.CircleStoreQueryPageResponse), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("createPass-request.json")]
    [InlineData("createPass-request-epoch.json")]
    public void CreatePass_requests_round_trip_with_unknown_fields(string file)
    {
        var original = File.ReadAllBytes(Path.Combine("testdata", file));

        var model = JsonSerializer.Deserialize(original, Json.CreatePassRequest)!;
        var written = JsonSerializer.SerializeToUtf8Bytes(model, Json.CreatePassRequest);

        AssertSameJson(original, written);
    }

    [Fact]
    public void CreatePass_fields_are_typed()
    {
        var model = JsonSerializer.Deserialize(File.ReadAllBytes("testdata/createPass-request-epoch.json"), Json.CreatePassRequest)!;

        Assert.True(model.BizCreate!.Value.TryGetTime(out var created));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1788192061000), created);
        Assert.Equal("9123912839123712893", model.CodeInfo!["$codevalue$"]);
        var ext = model.GetExtInfo()!;
        Assert.Equal(10000, ext.TradeAmountCent);
        Assert.Equal("SALES_CARD", ext.CardType);
        Assert.True(model.ExtensionData!.ContainsKey("futureField"));

        var textDates = JsonSerializer.Deserialize(File.ReadAllBytes("testdata/createPass-request.json"), Json.CreatePassRequest)!;
        Assert.True(textDates.StartDate!.Value.TryGetTime(out var start));
        Assert.Equal(new DateTimeOffset(2026, 9, 1, 0, 0, 0, TimeSpan.FromHours(8)), start);
        Assert.Equal("海港商場", textDates.DataInfo!["zh_HK"]["$shopname$"]);
    }

    [Fact]
    public void ExtInfo_is_written_as_a_json_string()
    {
        var request = new CreatePassRequest { MerchantId = "M", TemplateCode = "T", BizSerialId = "S", BizCreate = AlipayTimestamp.FromUnixMilliseconds(DateTimeOffset.FromUnixTimeMilliseconds(1700000000000)) };
        request.SetExtInfo(new PassExtInfo { CardType = "MEMBER_CARD" });

        var json = JsonSerializer.Serialize(request, Json.CreatePassRequest);

        Assert.Equal("""{"merchantId":"M","templateCode":"T","bizSerialId":"S","bizSerialType":"OUT_PLAT_FORM","bizCreate":1700000000000,"extInfo":"{\u0022cardType\u0022:\u0022MEMBER_CARD\u0022}"}""", json);
    }

    [Fact]
    public void CreatePass_response_round_trips_and_reads_the_pass_id()
    {
        var original = File.ReadAllBytes("testdata/createPass-response.json");

        var model = JsonSerializer.Deserialize(original, Json.CreatePassResponse)!;

        Assert.Equal("2026091119027102160530200000039", model.PassId);
        Assert.True(model.EffectiveResult!.IsSuccess);
        AssertSameJson(original, JsonSerializer.SerializeToUtf8Bytes(model, Json.CreatePassResponse));
    }

    [Fact]
    public void Template_detail_round_trips_and_reads_the_misspelled_code_standard()
    {
        var original = File.ReadAllBytes("testdata/template-detail-response.json");

        var model = JsonSerializer.Deserialize(original, Json.TemplateDetailResponse)!;

        Assert.Equal("CODE128", model.EffectiveCodeStandard);
        Assert.Equal(1000, model.CurrentAmount!.Value);
        Assert.Equal("海港商場會員", model.LocaleInfo!["zh_HK"].Name);
        Assert.Equal(4870, model.AvailableStock);
        Assert.True(model.ExtensionData!.ContainsKey("notInTheDocs"));
        AssertSameJson(original, JsonSerializer.SerializeToUtf8Bytes(model, Json.TemplateDetailResponse));

        var correct = JsonSerializer.Deserialize("""{"codeStandard":"QRCODE"}""", Json.TemplateDetailResponse)!;
        Assert.Equal("QRCODE", correct.EffectiveCodeStandard);
    }

    [Theory]
    [InlineData("""{"currency":"HKD","value":1250}""", 1250)]
    [InlineData("""{"currency":"HKD","value":"1250"}""", 1250)]
    [InlineData("""{"currency":"HKD","value":"-5"}""", -5)]
    [InlineData("""{"currency":"HKD","value":0}""", 0)]
    public void Amounts_read_numbers_and_strings_and_write_numbers(string amount, long expected)
    {
        var bill = JsonSerializer.Deserialize("{\"orderAmount\":" + amount + "}", Json.BillNotifyRequest)!;

        Assert.Equal(expected, bill.OrderAmount!.Value);
        Assert.Contains($"\"value\":{expected}", JsonSerializer.Serialize(bill, Json.BillNotifyRequest), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("12.50")]
    [InlineData("\"12.50\"")]
    [InlineData("\"1e3\"")]
    [InlineData("\"\"")]
    [InlineData("true")]
    public void Amounts_that_are_not_whole_minor_units_are_rejected(string value)
    {
        var result = BillNotifyRequest.Parse(Encoding.UTF8.GetBytes("{\"orderAmount\":{\"currency\":\"HKD\",\"value\":" + value + "}}"));

        Assert.False(result.IsValid);
        Assert.Equal("orderAmount.value", Assert.Single(result.Errors).Field);
    }

    [Theory]
    [InlineData("result", "resultMessage")]
    [InlineData("resultInfo", "resultMessage")]
    [InlineData("resultInfo", "resultMsg")]
    public void The_result_is_read_under_either_name(string objectName, string messageName)
    {
        var json = $$$"""{"{{{objectName}}}":{"resultCode":"PASS_HAS_EXIT","resultStatus":"F","{{{messageName}}}":"pass exists"}}""";

        var model = JsonSerializer.Deserialize(json, Json.UpdatePassResponse)!;

        Assert.Equal(ResultStatus.Failed, model.EffectiveResult!.ResultStatus);
        Assert.Equal("pass exists", model.EffectiveResult.Message);
        Assert.True(ResultCodes.IsPassAlreadyExists(model.EffectiveResult.ResultCode));
        AssertSameJson(Encoding.UTF8.GetBytes(json), JsonSerializer.SerializeToUtf8Bytes(model, Json.UpdatePassResponse));
    }

    [Theory]
    [InlineData("\"S\"", ResultStatus.Success)]
    [InlineData("\"s\"", ResultStatus.Success)]
    [InlineData("\"F\"", ResultStatus.Failed)]
    [InlineData("\"U\"", ResultStatus.Unknown)]
    [InlineData("\"X\"", ResultStatus.Unknown)]
    public void Result_status_reads_S_F_U(string status, ResultStatus expected)
    {
        var model = JsonSerializer.Deserialize("{\"result\":{\"resultStatus\":" + status + "}}", Json.AlipayResultResponse)!;

        Assert.Equal(expected, model.Result!.ResultStatus);
    }

    [Theory]
    [InlineData("PASS_HAS_EXIST"), InlineData("PASS_HAS_EXIT"), InlineData("pass_has_exist"), InlineData(" Pass_Has_Exit ")]
    public void Both_spellings_of_pass_exists_match(string code) => Assert.True(ResultCodes.IsPassAlreadyExists(code));

    [Theory]
    [InlineData("USER_NOT_EXIST"), InlineData("USER_NOT_EXSITS"), InlineData("user_not_exsits")]
    public void Both_spellings_of_user_not_exist_match(string code) => Assert.True(ResultCodes.IsUserNotExist(code));

    [Fact]
    public void Codes_do_not_match_each_other()
    {
        Assert.False(ResultCodes.IsPassAlreadyExists("PASS_HAS_NOT_EXIST"));
        Assert.False(ResultCodes.IsUserNotExist("USER_STATUS_ABNORMAL"));
        Assert.True(ResultCodes.IsTemplateNotExist("pass_template_has_not_exit"));
    }

    [Theory]
    [InlineData(ResultStatus.Unknown, "ANYTHING", true)]
    [InlineData(ResultStatus.Failed, "SYSTEM_ERROR", true)]
    [InlineData(ResultStatus.Failed, "unknown_exception", true)]
    [InlineData(ResultStatus.Unknown, "REQUEST_TRAFFIC_EXCEED_LIMIT", true)]
    [InlineData(ResultStatus.Failed, "REQUEST_TRAFFIC_EXCEED_LIMIT", true)]
    [InlineData(ResultStatus.Failed, "PARAM_ILLEGAL", false)]
    [InlineData(ResultStatus.Failed, "INVALID_SIGNATURE", false)]
    [InlineData(ResultStatus.Failed, "PASS_HAS_EXIT", false)]
    public void Transient_results_are_retryable(ResultStatus status, string code, bool retryable) =>
        Assert.Equal(retryable, ResultCodes.IsRetryable(status, code));

    [Theory]
    [InlineData(500, true), InlineData(503, true), InlineData(429, true), InlineData(408, true), InlineData(400, false), InlineData(404, false)]
    public void Retryable_http_statuses(int status, bool retryable) => Assert.Equal(retryable, ResultCodes.IsRetryableHttpStatus(status));

    [Fact]
    public void Tokens_never_print()
    {
        var response = JsonSerializer.Deserialize("""{"accessToken":"AT-secret-1","refreshToken":"RT-secret-2","customerId":"2160001"}""", Json.ApplyTokenResponse)!;
        var request = new ApplyTokenRequest { AuthCode = "AC-secret-3", RefreshToken = "RT-secret-4", GrantType = ApplyTokenRequest.AuthorizationCode };
        var query = new BillQueryRequest { AccessToken = "AT-secret-5", BatchNo = "B1" };

        var printed = $"{response} {request} {query}";

        Assert.DoesNotContain("secret", printed, StringComparison.Ordinal);
        Assert.Contains("2160001", printed, StringComparison.Ordinal);
        Assert.Equal("AT-secret-1", response.AccessToken);
    }

    [Fact]
    public void Member_card_requests_never_print_personal_data()
    {
        var parsed = MemberCardCreateRequest.Parse("""{"userId":"2160001","mobileNo":"85291234567","userEmail":"a@example.com","createCardChannel":"BRAND","birthday":"0101"}"""u8);

        Assert.True(parsed.IsValid, parsed.Describe());
        var printed = parsed.Value!.ToString();
        Assert.DoesNotContain("9123", printed, StringComparison.Ordinal);
        Assert.DoesNotContain("example.com", printed, StringComparison.Ordinal);
        Assert.Equal("85291234567", parsed.Value.MobileNo);
        Assert.True(parsed.Value.ExtensionData!.ContainsKey("birthday"));
    }

    [Fact]
    public void A_member_card_request_without_user_is_named()
    {
        var parsed = MemberCardCreateRequest.Parse("""{"mobileNo":"85291234567"}"""u8);

        Assert.Equal("userId", Assert.Single(parsed.Errors).Field);
    }

    [Fact]
    public void A_complete_bill_is_valid_and_keeps_unknown_fields()
    {
        var json = """{"userId":"2160001","billNo":"B1","cnBillNo":"C1","merchantId":"M1","merchantName":"Shop","orderAmount":{"currency":"HKD","value":"1250"},"payTime":"2026-11-22T10:15:30+08:00","pointsProvider":"ALIPAYHK","outBillNo":"O1","pmsLabel":"L1","storeCode":"S9"}"""u8;

        var parsed = BillNotifyRequest.Parse(json);

        Assert.True(parsed.IsValid, parsed.Describe());
        Assert.True(parsed.Value!.TryGetPayTime(out var paid));
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 2, 15, 30, TimeSpan.Zero), paid);
        Assert.True(parsed.Value.ExtensionData!.ContainsKey("storeCode"));
    }

    [Theory]
    [InlineData("1795313730000")]
    [InlineData("\"1795313730000\"")]
    [InlineData("\"2026-11-22T02:15:30Z\"")]
    public void Pay_time_reads_iso_and_epoch_milliseconds(string payTime)
    {
        var bill = JsonSerializer.Deserialize($$"""{"payTime":{{payTime}}}""", Json.BillNotifyRequest)!;

        Assert.True(bill.TryGetPayTime(out var paid));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1795313730000), paid);
        Assert.Equal(payTime, JsonSerializer.Serialize(bill, Json.BillNotifyRequest)[11..^1]);
    }

    [Fact]
    public void Missing_and_bad_bill_fields_are_all_named()
    {
        var parsed = BillNotifyRequest.Parse("""{"billNo":"","orderAmount":{"value":-1},"payTime":"yesterday","pointsProvider":"WECHAT"}"""u8);

        Assert.False(parsed.IsValid);
        Assert.Equal(
            ["userId", "billNo", "orderAmount.currency", "orderAmount.value", "payTime", "pointsProvider"],
            parsed.Errors.Select(e => e.Field));
        Assert.Contains("pointsProvider: must be ALIPAYHK or ALIPAYCN", parsed.Describe(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"userId":{"a":1}}""", "userId")]
    [InlineData("""{"orderAmount":"12"}""", "orderAmount")]
    [InlineData("""{"payTime":[1]}""", "payTime")]
    [InlineData("""not json""", "(body)")]
    [InlineData("""[]""", "(body)")]
    [InlineData("""null""", "(body)")]
    public void Ill_typed_fields_are_named(string json, string field)
    {
        var parsed = BillNotifyRequest.Parse(Encoding.UTF8.GetBytes(json));

        Assert.False(parsed.IsValid);
        Assert.Equal(field, Assert.Single(parsed.Errors).Field);
    }

    [Fact]
    public void Mall_models_keep_string_paging_and_unknown_fields()
    {
        var json = """{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},"pageInfo":{"pageSize":"20","pageIndex":"1","total":"42"},"stores":[{"storeId":"S1"}]}"""u8.ToArray();

        var model = JsonSerializer.Deserialize(json, Json.CircleStoreQueryPageResponse)!;

        Assert.Equal("20", model.PageInfo!.PageSize);
        AssertSameJson(json, JsonSerializer.SerializeToUtf8Bytes(model, Json.CircleStoreQueryPageResponse));
        var request = new CircleStoreQueryPageRequest { BusinessDistrictSubject = new() { MallGroupLabel = "G", MallLabel = "M" }, PageInfo = new() { PageSize = "20", PageIndex = "1" } };
        Assert.Equal("""{"businessDistrictSubject":{"mallGroupLabel":"G","mallLabel":"M"},"pageInfo":{"pageSize":"20","pageIndex":"1"}}""", JsonSerializer.Serialize(request, Json.CircleStoreQueryPageRequest));
    }

    [Fact]
    public void Bill_query_answers_hold_bills_shaped_like_bill_notify()
    {
        var model = JsonSerializer.Deserialize("""{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"businessDistrictSubject":{"mallLabel":"M"},"bills":[{"userId":"2160001","billNo":"B1","orderAmount":{"currency":"HKD","value":"990"},"payTime":1795313730000,"pointsProvider":"ALIPAYHK"}]}""", Json.BillQueryResponse)!;

        var bill = Assert.Single(model.Bills!);
        Assert.Empty(bill.Validate());
        Assert.Equal(990, bill.OrderAmount!.Value);
    }

    internal static void AssertSameJson(byte[] expected, byte[] actual)
    {
        using var a = JsonDocument.Parse(expected);
        using var b = JsonDocument.Parse(actual);
        Assert.True(JsonElement.DeepEquals(a.RootElement, b.RootElement),
            $"Expected {Encoding.UTF8.GetString(expected)}{Environment.NewLine}Actual   {Encoding.UTF8.GetString(actual)}");
    }
}
