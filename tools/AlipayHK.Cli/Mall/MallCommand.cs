using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using AlipayHK.Cli.Settings;
using AlipayHK.OpenApi.Mall;

namespace AlipayHK.Cli.Mall;

/// <summary><c>mall save</c> (circleStore/save) and <c>mall stores</c> (circleStore/queryPage, every page).</summary>
internal static class MallCommand
{
    /// <summary>Stops a paging loop on a service that never says it is done.</summary>
    private const int MaxPages = 10_000;

    public static Command Build(CliHost host)
    {
        var mall = new Command("mall", "Register the mall's shops with AlipayHK (PMS collection) and list them.");
        mall.Add(Save(host));
        mall.Add(Stores(host));
        return mall;
    }

    private static (Option<string> Group, Option<string> Mall) SubjectOptions() => (
        new Option<string>("--mall-group-label") { Description = "businessDistrictSubject.mallGroupLabel (default MiniApp:MallGroupLabel)." },
        new Option<string>("--mall-label") { Description = "businessDistrictSubject.mallLabel (default MiniApp:MallLabel)." });

    private static BusinessDistrictSubject Subject(ParseResult parse, CliSettings settings, Option<string> group, Option<string> mall)
    {
        var subject = new BusinessDistrictSubject
        {
            MallGroupLabel = parse.GetValue(group) ?? settings.Get("MiniApp:MallGroupLabel"),
            MallLabel = parse.GetValue(mall) ?? settings.Get("MiniApp:MallLabel"),
        };
        return subject.MallGroupLabel is null && subject.MallLabel is null
            ? throw new UsageException("Name the mall: --mall-label or --mall-group-label (or MiniApp__MallLabel / MiniApp__MallGroupLabel).")
            : subject;
    }

    private static Command Save(CliHost host)
    {
        var (group, mallLabel) = SubjectOptions();
        var storeId = new Option<string>("--store-id") { Description = "merchantPms.storeId." };
        var storeName = new Option<string>("--store-name") { Description = "merchantPms.storeName." };
        var shopMerchantId = new Option<string>("--shop-merchant-id") { Description = "merchantPms.merchantId: the shop's merchant id (default AlipayHK:MerchantId)." };
        var shopMerchantName = new Option<string>("--shop-merchant-name") { Description = "merchantPms.merchantName." };
        var partnerId = new Option<string>("--partner-id") { Description = "merchantPms.partnerId." };
        var tradeNo = new Option<string>("--ipay-trade-no") { Description = "Register the shop from one of its transactions instead." };
        var saveWay = new Option<string>("--save-way-type") { Description = "saveWayType, if AlipayHK asked for one." };
        var command = new Command("save", "Register a shop (circleStore/save).") { group, mallLabel, storeId, storeName, shopMerchantId, shopMerchantName, partnerId, tradeNo, saveWay };
        ConfigOptions.AddAlipay(command);
        command.SetAction((parse, ct) => CliApp.Guard(host, async () =>
        {
            var settings = CliSettings.From(parse, host);
            var subject = Subject(parse, settings, group, mallLabel);
            var request = new CircleStoreSaveRequest { SaveWayType = parse.GetValue(saveWay) };
            if (parse.GetValue(tradeNo) is { } trade)
            {
                request.IpayTradeNo = trade;
                request.ExtensionData = new() { ["businessDistrictSubject"] = JsonSerializer.SerializeToElement(subject, OpenApi.Serialization.AlipayJsonContext.Default.BusinessDistrictSubject) };
            }
            else
            {
                if (parse.GetValue(storeId) is null && parse.GetValue(storeName) is null)
                {
                    throw new UsageException("Give --store-id and --store-name (or --ipay-trade-no).");
                }
                request.CircleStore = new CircleStore
                {
                    BusinessDistrictSubject = subject,
                    MerchantPms = new MerchantPms
                    {
                        PartnerId = parse.GetValue(partnerId),
                        MerchantId = parse.GetValue(shopMerchantId) ?? settings.MerchantId(),
                        MerchantName = parse.GetValue(shopMerchantName),
                        StoreId = parse.GetValue(storeId),
                        StoreName = parse.GetValue(storeName),
                    },
                };
            }
            using var client = settings.AlipayClient();
            var answer = await client.SaveCircleStoreAsync(request, ct).ConfigureAwait(false);
            host.Console.WriteLine($"Saved ({answer.EffectiveResult?.ResultCode}){Fields(answer.ExtensionData)}{(answer.TracerId is { Length: > 0 } tracer ? $", Tracer-Id {tracer}" : "")}.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Stores(CliHost host)
    {
        var (group, mallLabel) = SubjectOptions();
        var pageSize = new Option<int>("--page-size") { Description = "Shops per page (1-100).", DefaultValueFactory = _ => 50 };
        var command = new Command("stores", "List the registered shops (circleStore/queryPage, every page).") { group, mallLabel, pageSize };
        ConfigOptions.AddAlipay(command);
        command.SetAction((parse, ct) => CliApp.Guard(host, async () =>
        {
            var settings = CliSettings.From(parse, host);
            var subject = Subject(parse, settings, group, mallLabel);
            var size = parse.GetValue(pageSize);
            if (size is < 1 or > 100)
            {
                throw new UsageException("--page-size is 1 to 100.");
            }
            using var client = settings.AlipayClient();
            var table = new Table().AddColumns("#", "storeId", "storeName", "merchantId", "merchantName", "status");
            var count = 0;
            for (var index = 1; index <= MaxPages; index++)
            {
                var page = await client.QueryCircleStorePageAsync(new CircleStoreQueryPageRequest
                {
                    BusinessDistrictSubject = subject,
                    PageInfo = new PageInfo { PageSize = size.ToString(CultureInfo.InvariantCulture), PageIndex = index.ToString(CultureInfo.InvariantCulture) },
                }, ct).ConfigureAwait(false);
                // The answer's shape is not public: the shops are the first array in it (circleStores in the simulator).
                var items = (page.ExtensionData ?? []).Values.FirstOrDefault(v => v.ValueKind == JsonValueKind.Array);
                var onPage = 0;
                if (items.ValueKind == JsonValueKind.Array)
                {
                    foreach (var item in items.EnumerateArray())
                    {
                        onPage++;
                        count++;
                        var pms = item.TryGetProperty("merchantPms", out var p) ? p : item;
                        table.AddRow(new Text(count.ToString(CultureInfo.InvariantCulture)), new Text(Str(pms, "storeId")), new Text(Str(pms, "storeName")),
                            new Text(Str(pms, "merchantId")), new Text(Str(pms, "merchantName")), new Text(Str(item, "status")));
                    }
                }
                var totalPages = Number(page.PageInfo, "totalPage");
                if (onPage == 0 || onPage < size || (totalPages is { } total && index >= total))
                {
                    break;
                }
            }
            host.Console.Write(table);
            host.Console.WriteLine($"{count} shop(s).");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static string Str(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? (value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : value.GetRawText())
            : "";

    private static long? Number(PageInfo? info, string name) =>
        info?.ExtensionData is { } data && data.TryGetValue(name, out var value)
            && (value.ValueKind == JsonValueKind.Number ? value.TryGetInt64(out var n) : long.TryParse(value.GetString(), CultureInfo.InvariantCulture, out n))
            ? n : null;

    private static string Fields(Dictionary<string, JsonElement>? data) =>
        data is null || data.Count == 0 ? "" : ": " + string.Join(", ", data.Select(kv => $"{kv.Key}={kv.Value.GetRawText()}"));
}
