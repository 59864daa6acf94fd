using AlipayHK.OpenApi.Results;

namespace AlipayFunctions.Passes;

/// <summary>
/// Which F results of createPass/updatePass can go away without the request changing, from the result codes of the
/// createPass page (seeds/002, §2.2.4) and the template detail API: those about the card template, which the
/// merchant fixes on AlipayHK's side (publishes it again, corrects its content or its type). They are retried by the
/// sweep at a growing interval. The others are permanent for the same request and wait for an operator:
/// <c>PARAM_ILLEGAL</c> (our request: the same data fails again), <c>USER_NOT_EXIST</c> (the account),
/// <c>PASS_HAS_EXIST</c> (a lost pass id), a pass that no longer exists or is not active, a request the client
/// refused to build, and any code the pages do not list.
/// </summary>
internal static class CardFailures
{
    public static bool CanGoAway(string? code) =>
        ResultCodes.IsTemplateNotExist(code)
        || ResultCodes.Is(code, ResultCodes.PassTemplateJsonContentIsNull)
        || ResultCodes.Is(code, ResultCodes.PassTemplateJsonContentIllegal)
        || ResultCodes.Is(code, ResultCodes.PassTypeNotMatch)
        || ResultCodes.Is(code, ResultCodes.PassProductTypeNotMatch);
}
