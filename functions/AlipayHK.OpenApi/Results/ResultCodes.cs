namespace AlipayHK.OpenApi.Results;

/// <summary>
/// The result codes of protocol §3, including the spellings AlipayHK's docs use for the same code, matched
/// case-insensitively. Also the codes this library itself gives to failures that never reached a result
/// (<see cref="Timeout"/>, <see cref="HttpError"/> ...), so an <c>AlipayHKException</c> always carries a code.
/// </summary>
public static class ResultCodes
{
    /// <summary>Success.</summary>
    public const string Success = "SUCCESS";
    /// <summary>A request parameter is invalid.</summary>
    public const string ParamIllegal = "PARAM_ILLEGAL";
    /// <summary>Unknown outcome (U): retry.</summary>
    public const string UnknownException = "UNKNOWN_EXCEPTION";
    /// <summary>AlipayHK-side error: retry.</summary>
    public const string SystemError = "SYSTEM_ERROR";
    /// <summary>The signature did not verify on AlipayHK's side.</summary>
    public const string InvalidSignature = "INVALID_SIGNATURE";
    /// <summary>Rate limited (U): retry later.</summary>
    public const string RequestTrafficExceedLimit = "REQUEST_TRAFFIC_EXCEED_LIMIT";

    /// <summary>The user does not exist.</summary>
    public const string UserNotExist = "USER_NOT_EXIST";
    /// <summary>A documented misspelling of <see cref="UserNotExist"/>.</summary>
    public const string UserNotExsits = "USER_NOT_EXSITS";
    /// <summary>A pass with this serial id exists already: an earlier attempt succeeded.</summary>
    public const string PassHasExist = "PASS_HAS_EXIST";
    /// <summary>A documented misspelling of <see cref="PassHasExist"/>.</summary>
    public const string PassHasExit = "PASS_HAS_EXIT";
    /// <summary>The template does not exist (sic, as documented).</summary>
    public const string PassTemplateHasNotExit = "PASS_TEMPLATE_HAS_NOT_EXIT";
    /// <summary>The template does not exist (template detail).</summary>
    public const string PassTemplateNotExist = "PASS_TEMPLATE_NOT_EXIST";
    /// <summary>The pass type does not match the template.</summary>
    public const string PassTypeNotMatch = "PASS_TYPE_NOT_MATCH";
    /// <summary>The pass product does not match the template.</summary>
    public const string PassProductTypeNotMatch = "PASS_PRODUCT_TYPE_NOT_MATCH";
    /// <summary>The template has no JSON content.</summary>
    public const string PassTemplateJsonContentIsNull = "PASS_TEMPLATE_JSON_CONTENT_IS_NULL";
    /// <summary>The template's JSON content is invalid.</summary>
    public const string PassTemplateJsonContentIllegal = "PASS_TEMPLATE_JSON_CONTENT_ILLEGAL";
    /// <summary>No pass given.</summary>
    public const string PassIsNull = "PASS_IS_NULL";
    /// <summary>The pass does not exist.</summary>
    public const string PassHasNotExist = "PASS_HAS_NOT_EXIST";
    /// <summary>The pass is used or occupied.</summary>
    public const string PassUsedOccupied = "PASS_USED_OCCUPIED";
    /// <summary>The update failed: only active passes can be updated.</summary>
    public const string PassUpdateFail = "PASS_UPDATE_FAIL";

    /// <summary>applyToken: the auth code expired.</summary>
    public const string AuthCodeExpired = "AUTH_CODE_EXPIRED";
    /// <summary>applyToken: the auth code is invalid.</summary>
    public const string InvalidAuthCode = "INVALID_AUTHCODE";
    /// <summary>applyToken: processing failed.</summary>
    public const string ProcessFail = "PROCESS_FAIL";
    /// <summary>applyToken: the user's status is abnormal.</summary>
    public const string UserStatusAbnormal = "USER_STATUS_ABNORMAL";
    /// <summary>applyToken: the auth client is invalid.</summary>
    public const string InvalidAuthClient = "INVALID_AUTH_CLIENT";
    /// <summary>applyToken: the code expired.</summary>
    public const string ExpiredCode = "EXPIRED_CODE";
    /// <summary>applyToken: the refresh token was used already.</summary>
    public const string UsedRefreshToken = "USED_REFRESH_TOKEN";

    // Codes this library assigns when no AlipayHK result is available.

    /// <summary>Library code: no answer within the configured timeout (treated as U).</summary>
    public const string Timeout = "TIMEOUT";
    /// <summary>Library code: the connection failed or the HTTP status was an error without a result (5xx and 429 are retried).</summary>
    public const string HttpError = "HTTP_ERROR";
    /// <summary>Library code: the answer is not the JSON the API documents.</summary>
    public const string InvalidResponse = "INVALID_RESPONSE";
    /// <summary>Library code: the answer carries a signature that does not verify with the platform key.</summary>
    public const string ResponseSignatureInvalid = "RESPONSE_SIGNATURE_INVALID";
    /// <summary>Library code: a success answer came without a signature.</summary>
    public const string ResponseUnsigned = "RESPONSE_UNSIGNED";

    /// <summary>Compares two codes case-insensitively.</summary>
    public static bool Is(string? code, string expected) => string.Equals(code?.Trim(), expected, StringComparison.OrdinalIgnoreCase);

    /// <summary><c>SUCCESS</c>.</summary>
    public static bool IsSuccess(string? code) => Is(code, Success);

    /// <summary><c>PASS_HAS_EXIST</c> or <c>PASS_HAS_EXIT</c>: an earlier createPass with this serial id succeeded.</summary>
    public static bool IsPassAlreadyExists(string? code) => Is(code, PassHasExist) || Is(code, PassHasExit);

    /// <summary><c>USER_NOT_EXIST</c> or <c>USER_NOT_EXSITS</c>.</summary>
    public static bool IsUserNotExist(string? code) => Is(code, UserNotExist) || Is(code, UserNotExsits);

    /// <summary><c>PASS_TEMPLATE_HAS_NOT_EXIT</c> or <c>PASS_TEMPLATE_NOT_EXIST</c>.</summary>
    public static bool IsTemplateNotExist(string? code) => Is(code, PassTemplateHasNotExit) || Is(code, PassTemplateNotExist);

    /// <summary>
    /// Whether a result should be retried with the same idempotency key: status U (or unrecognised), or one of
    /// the codes protocol §3 says to treat like U (<c>SYSTEM_ERROR</c>, <c>UNKNOWN_EXCEPTION</c>,
    /// <c>REQUEST_TRAFFIC_EXCEED_LIMIT</c>), whatever status they arrive with.
    /// </summary>
    public static bool IsRetryable(ResultStatus status, string? code) =>
        status == ResultStatus.Unknown || IsTransientCode(code);

    /// <summary>Whether an HTTP status means "try again": 408, 429 and every 5xx.</summary>
    public static bool IsRetryableHttpStatus(int httpStatus) => httpStatus is 408 or 429 or >= 500;

    /// <summary>The codes that mean "try again" whatever their status.</summary>
    public static bool IsTransientCode(string? code) =>
        Is(code, SystemError) || Is(code, UnknownException) || Is(code, RequestTrafficExceedLimit) || Is(code, Timeout);
}
