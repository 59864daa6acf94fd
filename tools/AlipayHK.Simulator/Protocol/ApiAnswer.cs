using System.Text.Json.Nodes;

namespace AlipayHK.Simulator.Protocol;

/// <summary>The JSON body of an answer: <c>result</c> first, then the API's own fields.</summary>
internal sealed class ApiAnswer
{
    private ApiAnswer(string code, string status, string message, JsonObject? fields)
    {
        ResultCode = code;
        ResultStatus = status;
        Body = new JsonObject
        {
            ["result"] = new JsonObject
            {
                ["resultCode"] = code,
                ["resultStatus"] = status,
                ["resultMessage"] = message,
            },
        };
        if (fields is not null)
        {
            foreach (var (name, value) in fields.ToList())
            {
                fields.Remove(name);
                Body[name] = value;
            }
        }
    }

    public string ResultCode { get; }

    public string ResultStatus { get; }

    public JsonObject Body { get; }

    public static ApiAnswer Success(JsonObject? fields = null) => new("SUCCESS", "S", "success", fields);

    public static ApiAnswer Failure(string code, string message, string status = "F") => new(code, status, message, null);
}

/// <summary>
/// Thrown by an API handler to answer a failure result (F unless stated). Handlers validate as they read, so a
/// failure leaves the state untouched: every handler changes state only after all its checks.
/// </summary>
internal sealed class SimulatedFailureException(string code, string message, string status = "F") : Exception(message)
{
    public string Code { get; } = code;

    public string Status { get; } = status;

    public static SimulatedFailureException ParamIllegal(string field, string? why = null) =>
        new(ResultCodes.ParamIllegal, why is null ? $"{field} is missing or empty." : $"{field} {why}");
}

/// <summary>The result codes the simulator answers (protocol §3), spelled as AlipayHK spells them.</summary>
internal static class ResultCodes
{
    public const string ParamIllegal = "PARAM_ILLEGAL";
    public const string InvalidSignature = "INVALID_SIGNATURE";
    public const string InvalidClient = "INVALID_CLIENT";
    public const string UnknownException = "UNKNOWN_EXCEPTION";
    public const string SystemError = "SYSTEM_ERROR";
    public const string TrafficExceedLimit = "REQUEST_TRAFFIC_EXCEED_LIMIT";
    public const string PassHasExist = "PASS_HAS_EXIST";
    public const string PassTemplateHasNotExit = "PASS_TEMPLATE_HAS_NOT_EXIT";
    public const string PassTemplateNotExist = "PASS_TEMPLATE_NOT_EXIST";
    public const string PassHasNotExist = "PASS_HAS_NOT_EXIST";
    public const string PassUpdateFail = "PASS_UPDATE_FAIL";
    public const string AuthCodeExpired = "AUTH_CODE_EXPIRED";
    public const string InvalidAuthCode = "INVALID_AUTHCODE";
    public const string InvalidAuthClient = "INVALID_AUTH_CLIENT";
    public const string ExpiredCode = "EXPIRED_CODE";
    public const string UsedRefreshToken = "USED_REFRESH_TOKEN";
    public const string InvalidAccessToken = "INVALID_ACCESS_TOKEN";
    public const string BatchNotExist = "BATCH_NOT_EXIST";
}
