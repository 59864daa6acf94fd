using System.Text.Json;
using System.Text.Json.Nodes;
using AlipayHK.Simulator.Protocol;

namespace AlipayHK.Simulator.Passes;

/// <summary>createPass, updatePass and template detail (protocol §4), read independently of any client's models.</summary>
internal sealed class PassApis(SimulatorOptions options, TemplateStore templates, PassStore passes)
{
    public IEnumerable<ApiEndpoint> Endpoints =>
    [
        new("createPass", ApiPaths.CreatePass, CreatePass),
        new("updatePass", ApiPaths.UpdatePass, UpdatePass),
        new("templateDetail", ApiPaths.TemplateDetail, TemplateDetail),
    ];

    private ApiAnswer CreatePass(JsonObject body)
    {
        // Every field of AlipayHK's createPass page: M fields present, lengths, types and enumerations (seed 002).
        var merchantId = RequireOwnMerchant(body, maxLength: 32);
        var (userId, openId) = RequireUser(body);
        var templateCode = JsonFields.RequiredString(body, "templateCode", maxLength: 32);
        var bizSerialId = JsonFields.RequiredString(body, "bizSerialId", maxLength: 128);
        JsonFields.RequiredEnum(body, "bizSerialType", 32, "OUT_PLAT_FORM");
        var startDate = JsonFields.RequiredEpochMilliseconds(body, "startDate");
        var endDate = JsonFields.RequiredEpochMilliseconds(body, "endDate");
        if (endDate < startDate)
        {
            throw SimulatedFailureException.ParamIllegal("endDate", "is before startDate.");
        }
        JsonFields.RequiredEpochMilliseconds(body, "bizCreate");
        OptionalOneOf(body, "type", "CARD", "COUPON");
        var product = OptionalOneOf(body, "product", "MEMBER_CARD", "GIFT_CARD");
        var codeInfo = ReadCodeInfo(body);
        var dataInfo = ReadDataInfo(body, required: false) ?? [];
        ValidateExtInfo(body);
        OptionalOneOf(body, "publishScene", "FREE_GIVE");

        var template = templates.Find(templateCode)
            ?? throw new SimulatedFailureException(ResultCodes.PassTemplateHasNotExit, "No template with this templateCode.");
        // (assumed) A card's validity lies within its template's: the pages say createPass's dates are the
        // "Template start/end date time", and no code is named for a mismatch, so PARAM_ILLEGAL names the date.
        if (startDate < template.StartDate.ToUnixTimeMilliseconds())
        {
            throw SimulatedFailureException.ParamIllegal("startDate", $"is before the template's startDate ({template.StartDate.ToUnixTimeMilliseconds()}).");
        }
        if (endDate > template.EndDate.ToUnixTimeMilliseconds())
        {
            throw SimulatedFailureException.ParamIllegal("endDate", $"is after the template's endDate ({template.EndDate.ToUnixTimeMilliseconds()}).");
        }
        if (!string.Equals(template.Status, "valid", StringComparison.OrdinalIgnoreCase))
        {
            // (assumed) AlipayHK issues passes only from valid templates; the public pages name no code for it.
            throw new SimulatedFailureException(ResultCodes.PassTemplateHasNotExit, $"The template is {template.Status}: it issues no new passes.");
        }
        if (product is not null && !string.Equals(product, template.Product, StringComparison.OrdinalIgnoreCase))
        {
            throw new SimulatedFailureException("PASS_PRODUCT_TYPE_NOT_MATCH", $"The template is a {template.Product}, not a {product}.");
        }

        var pass = passes.Create(new PassRecord
        {
            MerchantId = merchantId,
            TemplateCode = templateCode,
            BizSerialId = bizSerialId,
            UserId = userId,
            OpenId = openId,
            DataInfo = (JsonObject)dataInfo.DeepClone(),
            CodeInfo = (JsonObject)codeInfo.DeepClone(),
            StartDate = startDate,
            EndDate = endDate,
        });
        return ApiAnswer.Success(new JsonObject { ["passId"] = pass.PassId });
    }

    private ApiAnswer UpdatePass(JsonObject body)
    {
        // Lengths assumed equal to createPass's (the updatePass page is not among the seed pages).
        var merchantId = RequireOwnMerchant(body, maxLength: 32);
        var (userId, openId) = RequireUser(body);
        var passId = JsonFields.RequiredString(body, "passId", maxLength: 32);
        var status = JsonFields.RequiredEnum(body, "status", 32, "UPDATE", "CLOSED", "USED", "REFUND");
        var templateCode = JsonFields.OptionalString(body, "templateCode", maxLength: 32);
        JsonFields.OptionalString(body, "passVerifyCode");
        var dataInfoGiven = ReadDataInfo(body, required: false);
        var startDate = JsonFields.OptionalEpochMilliseconds(body, "startDate");
        var endDate = JsonFields.OptionalEpochMilliseconds(body, "endDate");

        Action<PassRecord> change;
        switch (status)
        {
            case "UPDATE":
                var detail = JsonFields.RequiredEnum(body, "updateDetailType", 32, "UPDATE_DATA_INFO", "UPDATE_VALIDITY", "UPDATE_TEMPLATE");
                change = detail switch
                {
                    "UPDATE_DATA_INFO" => MergeDataInfo(dataInfoGiven ?? throw SimulatedFailureException.ParamIllegal("dataInfo")),
                    "UPDATE_VALIDITY" => ChangeValidity(startDate, endDate),
                    _ => ChangeTemplate(templateCode),
                };
                break;
            case "CLOSED":
                change = pass => pass.Status = PassStatus.Closed;
                break;
            case "USED":
                change = pass => pass.Status = PassStatus.Used;
                break;
            default:
                change = pass => pass.Status = PassStatus.Refund;
                break;
        }
        passes.Update(merchantId, passId, userId, openId, change);
        return ApiAnswer.Success();
    }

    private ApiAnswer TemplateDetail(JsonObject body)
    {
        var templateCode = JsonFields.RequiredString(body, "templateCode", maxLength: 64);
        var merchantId = RequireOwnMerchant(body, maxLength: 64);
        var template = templates.Find(templateCode)
            ?? throw new SimulatedFailureException(ResultCodes.PassTemplateNotExist, "No template with this templateCode.");

        var localeInfo = new JsonObject();
        foreach (var (locale, texts) in template.LocaleInfo)
        {
            localeInfo[locale] = new JsonObject
            {
                ["name"] = texts.Name,
                ["subName"] = texts.SubName,
                ["description"] = texts.Description,
                ["brandName"] = texts.BrandName,
                ["shops"] = new JsonArray(),
                ["customTabs"] = new JsonArray(),
            };
        }
        return ApiAnswer.Success(new JsonObject
        {
            ["templateCode"] = template.TemplateCode,
            ["startDate"] = template.StartDate.ToUnixTimeMilliseconds(),
            ["endDate"] = template.EndDate.ToUnixTimeMilliseconds(),
            ["status"] = template.Status,
            ["codeType"] = template.CodeType,
            ["codeStandard"] = template.CodeStandard,
            ["imageUrl"] = template.ImageUrl?.ToString(),
            ["merchantLogo"] = template.MerchantLogo?.ToString(),
            ["localeInfo"] = localeInfo,
            ["bizMids"] = new JsonArray(merchantId),
            ["categories"] = new JsonArray(),
            ["passExtInfo"] = new JsonObject { ["product"] = template.Product },
        });
    }

    private static Action<PassRecord> MergeDataInfo(JsonObject dataInfo) => pass =>
    {
        // Per locale, per variable: what the update names changes, the rest of the card stays as it was.
        foreach (var (locale, values) in dataInfo)
        {
            if (pass.DataInfo[locale] is not JsonObject target)
            {
                target = [];
                pass.DataInfo[locale] = target;
            }
            foreach (var (name, value) in (JsonObject)values!)
            {
                target[name] = value?.DeepClone();
            }
        }
    };

    private static Action<PassRecord> ChangeValidity(long? startDate, long? endDate)
    {
        if (startDate is null && endDate is null)
        {
            throw SimulatedFailureException.ParamIllegal("startDate", "or endDate is required with UPDATE_VALIDITY.");
        }
        if (startDate is not null && endDate < startDate)
        {
            throw SimulatedFailureException.ParamIllegal("endDate", "is before startDate.");
        }
        return pass =>
        {
            pass.StartDate = startDate ?? pass.StartDate;
            pass.EndDate = endDate ?? pass.EndDate;
        };
    }

    private Action<PassRecord> ChangeTemplate(string? templateCode)
    {
        if (templateCode is null)
        {
            throw SimulatedFailureException.ParamIllegal("templateCode", "is required with UPDATE_TEMPLATE.");
        }
        if (templates.Find(templateCode) is null)
        {
            throw new SimulatedFailureException(ResultCodes.PassTemplateHasNotExit, "No template with this templateCode.");
        }
        return pass => pass.TemplateCode = templateCode;
    }

    private string RequireOwnMerchant(JsonObject body, int maxLength)
    {
        var merchantId = JsonFields.RequiredString(body, "merchantId", maxLength);
        if (!string.Equals(merchantId, options.MerchantId, StringComparison.Ordinal))
        {
            throw SimulatedFailureException.ParamIllegal("merchantId", "is not the merchant this client id belongs to.");
        }
        return merchantId;
    }

    private static (string? UserId, string? OpenId) RequireUser(JsonObject body)
    {
        var userId = JsonFields.OptionalString(body, "userId", maxLength: 32);
        var openId = JsonFields.OptionalString(body, "openId", maxLength: 32);
        if (userId is null && openId is null)
        {
            throw SimulatedFailureException.ParamIllegal("userId", "or openId is required.");
        }
        return (userId, openId);
    }

    private static JsonObject? ReadDataInfo(JsonObject body, bool required)
    {
        var dataInfo = required ? JsonFields.RequiredObject(body, "dataInfo") : JsonFields.OptionalObject(body, "dataInfo");
        if (dataInfo is null)
        {
            return null;
        }
        foreach (var (locale, values) in dataInfo)
        {
            if (values is not JsonObject)
            {
                throw SimulatedFailureException.ParamIllegal($"dataInfo.{locale}", "must be an object of template variables.");
            }
        }
        JsonFields.MaxJsonLength(dataInfo, "dataInfo", 8192);
        return dataInfo;
    }

    // codeInfo: "string, in JSON format, 512" on the page, an object in its sample: accept both, measure the JSON text.
    private static JsonObject ReadCodeInfo(JsonObject body)
    {
        JsonObject codeInfo;
        if (body["codeInfo"] is JsonValue text && text.GetValueKind() == JsonValueKind.String)
        {
            try
            {
                codeInfo = JsonNode.Parse(text.GetValue<string>()) as JsonObject
                    ?? throw SimulatedFailureException.ParamIllegal("codeInfo", "must be a JSON object (or a string holding one).");
            }
            catch (JsonException)
            {
                throw SimulatedFailureException.ParamIllegal("codeInfo", "must be a JSON object (or a string holding one).");
            }
        }
        else
        {
            codeInfo = JsonFields.RequiredObject(body, "codeInfo");
        }
        if (codeInfo.Count == 0)
        {
            throw SimulatedFailureException.ParamIllegal("codeInfo");
        }
        JsonFields.MaxJsonLength(codeInfo, "codeInfo", 512);
        return codeInfo;
    }

    private static string? OptionalOneOf(JsonObject body, string name, params string[] allowed) =>
        body[name] is null ? null : JsonFields.RequiredEnum(body, name, 32, allowed);

    private static void ValidateExtInfo(JsonObject body)
    {
        // extInfo is a JSON *string* holding an object, not an object: a client that sends an object is wrong.
        var extInfo = JsonFields.OptionalString(body, "extInfo");
        if (extInfo is null)
        {
            return;
        }
        try
        {
            if (JsonNode.Parse(extInfo) is not JsonObject)
            {
                throw SimulatedFailureException.ParamIllegal("extInfo", "must be a string holding a JSON object.");
            }
        }
        catch (JsonException)
        {
            throw SimulatedFailureException.ParamIllegal("extInfo", "must be a string holding a JSON object.");
        }
    }
}
