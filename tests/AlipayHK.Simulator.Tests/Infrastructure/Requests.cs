using System.Text.Json.Nodes;

namespace AlipayHK.Simulator.Tests.Infrastructure;

/// <summary>Well-formed request bodies, built from the protocol document (not from any client's models).</summary>
internal static class Requests
{
    public static JsonObject CreatePass(string bizSerialId = "M0001", string userId = "2160000000000001", string templateCode = "TPL-MEMBER", long points = 0) => new()
    {
        ["merchantId"] = TestSimulator.MerchantId,
        ["userId"] = userId,
        ["templateCode"] = templateCode,
        ["bizSerialId"] = bizSerialId,
        ["bizSerialType"] = "OUT_PLAT_FORM",
        ["bizCreate"] = 1_790_000_000_000,
        ["startDate"] = 1_767_225_600_000,   // 2026-01-01, within the default template's 2025-2035
        ["endDate"] = 1_798_761_600_000,     // 2027-01-01
        ["type"] = "CARD",
        ["product"] = "MEMBER_CARD",
        ["codeInfo"] = new JsonObject { ["$codemsg$"] = bizSerialId, ["$codevalue$"] = bizSerialId },
        ["dataInfo"] = new JsonObject
        {
            ["en_US"] = new JsonObject { ["$points$"] = points.ToString(System.Globalization.CultureInfo.InvariantCulture), ["$tier$"] = "Silver" },
            ["zh_HK"] = new JsonObject { ["$points$"] = points.ToString(System.Globalization.CultureInfo.InvariantCulture), ["$tier$"] = "銀" },
        },
        ["extInfo"] = """{"cardType":"MEMBER_CARD"}""",
        ["publishScene"] = "FREE_GIVE",
    };

    public static JsonObject UpdatePoints(string passId, long points, string userId = "2160000000000001", params string[] locales)
    {
        var dataInfo = new JsonObject();
        foreach (var locale in locales.Length == 0 ? ["en_US", "zh_HK"] : locales)
        {
            dataInfo[locale] = new JsonObject { ["$points$"] = points.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        }
        return new JsonObject
        {
            ["merchantId"] = TestSimulator.MerchantId,
            ["userId"] = userId,
            ["templateCode"] = "TPL-MEMBER",
            ["passId"] = passId,
            ["status"] = "UPDATE",
            ["updateDetailType"] = "UPDATE_DATA_INFO",
            ["dataInfo"] = dataInfo,
        };
    }

    public static JsonObject Close(string passId, string userId = "2160000000000001") => new()
    {
        ["merchantId"] = TestSimulator.MerchantId,
        ["userId"] = userId,
        ["passId"] = passId,
        ["status"] = "CLOSED",
    };
}
