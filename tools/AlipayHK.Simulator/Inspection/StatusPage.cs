using System.Globalization;
using System.Net;
using System.Text;
using AlipayHK.Simulator.Faults;
using AlipayHK.Simulator.Protocol;

namespace AlipayHK.Simulator.Inspection;

/// <summary>A plain HTML summary at <c>/</c>: the same facts as the /admin endpoints, for a human.</summary>
internal static class StatusPage
{
    public static string Render(SimulatorOptions options, SimulatorKeys keys, SimulatorState state, FaultRules faults)
    {
        var html = new StringBuilder();
        html.Append("<!doctype html><html><head><meta charset=\"utf-8\"><title>AlipayHK simulator</title>")
            .Append("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}code{word-break:break-all}</style>")
            .Append("</head><body><h1>AlipayHK simulator</h1>");
        html.Append("<p>Client id <code>").Append(E(options.ClientId)).Append("</code>, merchant id <code>").Append(E(options.MerchantId))
            .Append("</code>, key version ").Append(E(options.KeyVersion)).Append(".</p><p>Platform public key: <code>")
            .Append(E(keys.PlatformPublicKey)).Append("</code></p>");

        Table(html, "Passes", ["passId", "template", "user", "status", "displayed (dataInfo)", "updates"],
            state.Passes.List().Select(p => new[]
            {
                p.PassId, p.TemplateCode, Mask.UserId(p.UserId ?? p.OpenId) ?? "", p.Status, p.DataInfo.ToJsonString(),
                p.UpdateCount.ToString(CultureInfo.InvariantCulture),
            }));
        Table(html, "Recent calls", ["#", "at", "api", "verification", "result", "HTTP", "fault", "user"],
            state.Calls.List().TakeLast(50).Reverse().Select(c => new[]
            {
                c.Sequence.ToString(CultureInfo.InvariantCulture), c.At.ToString("u", CultureInfo.InvariantCulture), c.Api, c.Verification,
                $"{c.ResultCode} {c.ResultStatus}", c.HttpStatus.ToString(CultureInfo.InvariantCulture), c.Fault ?? "", c.User ?? "",
            }));
        Table(html, "Webhooks", ["id", "kind", "user", "state", "attempts", "last outcome"],
            state.Webhooks.List().TakeLast(50).Reverse().Select(w => new[]
            {
                w.Id, w.Kind.ToString(), Mask.UserId(w.UserId) ?? "", w.State.ToString(),
                w.Attempts.Count.ToString(CultureInfo.InvariantCulture), (w.Attempts is [.., var last] ? last.Outcome : ""),
            }));
        Table(html, "Fault rules", ["id", "path", "kind", "mode", "hits"],
            faults.List().Select(f => new[] { f.Id ?? "", f.Path, f.Kind.ToString(), f.Mode.ToString(), f.Hits.ToString(CultureInfo.InvariantCulture) }));
        Table(html, "Templates", ["templateCode", "status", "codeType"],
            state.Templates.List().Select(t => new[] { t.TemplateCode, t.Status, t.CodeType }));
        html.Append("<p>JSON: <a href=\"/admin/passes\">passes</a>, <a href=\"/admin/calls\">calls</a>, <a href=\"/admin/faults\">faults</a>, <a href=\"/admin/webhooks\">webhooks</a>, <a href=\"/admin/info\">info</a>.</p>");
        return html.Append("</body></html>").ToString();
    }

    internal static void Table(StringBuilder html, string title, string[] headers, IEnumerable<string[]> rows)
    {
        html.Append("<h2>").Append(E(title)).Append("</h2><table><tr>");
        foreach (var header in headers)
        {
            html.Append("<th>").Append(E(header)).Append("</th>");
        }
        html.Append("</tr>");
        foreach (var row in rows)
        {
            html.Append("<tr>");
            foreach (var cell in row)
            {
                html.Append("<td>").Append(E(cell)).Append("</td>");
            }
            html.Append("</tr>");
        }
        html.Append("</table>");
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
