using System.Text.Json.Nodes;

namespace AlipayHK.Simulator.Protocol;

/// <summary>Handles one API's parsed, verified request body; throws <see cref="SimulatedFailureException"/> to fail.</summary>
internal delegate ApiAnswer ApiHandler(JsonObject body);

/// <summary>One merchant → AlipayHK API the simulator serves.</summary>
/// <param name="Name">The short name used in logs and fault rules, e.g. <c>createPass</c>.</param>
/// <param name="Path">The exact path (protocol §1).</param>
/// <param name="Handler">The handler.</param>
internal sealed record ApiEndpoint(string Name, string Path, ApiHandler Handler);

/// <summary>The paths of the APIs, exactly as in protocol §1.</summary>
public static class ApiPaths
{
    /// <summary>Puts a card into the user's wallet.</summary>
    public const string CreatePass = "/api/open/alipay/v1/ipass/pass/manage/createPass";

    /// <summary>Changes a card.</summary>
    public const string UpdatePass = "/api/open/alipay/v1/ipass/pass/manage/updatePass";

    /// <summary>Reads a card template.</summary>
    public const string TemplateDetail = "/api/open/alipay/v1/ipass/template/manage/detail";

    /// <summary>Exchanges an auth code or refresh token for tokens.</summary>
    public const string ApplyToken = "/api/open/v2/authorizations/applyToken";

    /// <summary>Fetches a batch of bills a user submitted.</summary>
    public const string BillQuery = "/api/open/alipayhk/businessdistrict/bill/query";

    /// <summary>Registers a shop.</summary>
    public const string CircleStoreSave = "/api/open/alipayhk/businessdistrict/circleStore/save";

    /// <summary>Pages through registered shops.</summary>
    public const string CircleStoreQueryPage = "/api/open/alipayhk/businessdistrict/circleStore/queryPage";

    /// <summary>The webhook AlipayHK sends to create a membership, under <c>/{merchantTag}</c>.</summary>
    public const string MemberCardCreateWebhook = "/points/membercard/create";

    /// <summary>The webhook AlipayHK sends for a payment, under <c>/{merchantTag}</c>.</summary>
    public const string BillNotifyWebhook = "/points/bill/notify";
}
