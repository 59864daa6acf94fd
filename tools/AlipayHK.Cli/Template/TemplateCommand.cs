using System.CommandLine;
using System.Text.Json;
using AlipayHK.Cli.Settings;
using AlipayHK.OpenApi.Passes;
using AlipayHK.OpenApi.Serialization;

namespace AlipayHK.Cli.Template;

/// <summary><c>template</c>: the card template as AlipayHK describes it (template detail).</summary>
internal static class TemplateCommand
{
    public static Command Build(CliHost host)
    {
        var code = new Option<string>("--template-code") { Description = "The template (default Loyalty:TemplateCode)." };
        var json = new Option<bool>("--json") { Description = "Print AlipayHK's answer as JSON." };
        var command = new Command("template", "Query the member card template (template detail) and print it. Card creation needs status 'valid'.") { code, json };
        ConfigOptions.AddAlipay(command);
        command.SetAction((parse, ct) => CliApp.Guard(host, async () =>
        {
            var settings = CliSettings.From(parse, host);
            var templateCode = parse.GetValue(code) ?? settings.Required("Loyalty:TemplateCode", "--template-code");
            using var client = settings.AlipayClient();
            var template = await client.GetTemplateDetailAsync(new TemplateDetailRequest { TemplateCode = templateCode, MerchantId = settings.MerchantId() }, ct).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                host.Output.WriteLine(JsonSerializer.Serialize(template, AlipayJsonContext.Default.TemplateDetailResponse));
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumns("Field", "Value").HideHeaders();
            void Row(string name, object? value)
            {
                if (value is not null && value.ToString() is { Length: > 0 } text)
                {
                    table.AddRow(new Text(name), new Text(text));
                }
            }
            Row("templateCode", template.TemplateCode);
            Row("status", template.Status);
            Row("startDate", Date(template.StartDate));
            Row("endDate", Date(template.EndDate));
            Row("codeType", template.CodeType);
            Row("codeStandard", template.EffectiveCodeStandard);
            Row("imageUrl", template.ImageUrl);
            Row("merchantLogo", template.MerchantLogo);
            foreach (var (locale, info) in template.LocaleInfo ?? [])
            {
                Row($"localeInfo.{locale}", $"{info.Name} | {info.SubName} | {info.BrandName} | {info.Description}");
            }
            Row("stock", template.Stock);
            Row("availableStock", template.AvailableStock);
            foreach (var (name, value) in template.ExtensionData ?? [])
            {
                Row(name, value.GetRawText());
            }
            Row("Tracer-Id", template.TracerId);
            host.Console.Write(table);
            if (!string.Equals(template.Status, "valid", StringComparison.OrdinalIgnoreCase))
            {
                host.Console.WriteLine($"Note: the status is '{template.Status}', not 'valid': the app blocks card creation (PassState Blocked) until it is.");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static string? Date(AlipayTimestamp? value) =>
        value is not { } stamp ? null
        : stamp.TryGetTime(out var time) ? $"{stamp.Raw} ({time.ToUniversalTime():u})"
        : stamp.Raw;
}
