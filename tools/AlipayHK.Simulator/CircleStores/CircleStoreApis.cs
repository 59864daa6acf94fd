using System.Text.Json.Nodes;
using AlipayHK.Simulator.Protocol;

namespace AlipayHK.Simulator.CircleStores;

/// <summary>circleStore/save and circleStore/queryPage (protocol §4; answers are not public: modelled here).</summary>
internal sealed class CircleStoreApis(CircleStoreRegistry registry)
{
    /// <summary>(assumed) The largest page AlipayHK serves.</summary>
    public const int MaxPageSize = 100;

    public IEnumerable<ApiEndpoint> Endpoints =>
    [
        new("circleStoreSave", ApiPaths.CircleStoreSave, Save),
        new("circleStoreQueryPage", ApiPaths.CircleStoreQueryPage, QueryPage),
    ];

    private ApiAnswer Save(JsonObject body)
    {
        var saveWayType = JsonFields.OptionalString(body, "saveWayType");
        var ipayTradeNo = JsonFields.OptionalString(body, "ipayTradeNo");
        var circleStore = JsonFields.OptionalObject(body, "circleStore");
        if (ipayTradeNo is null && circleStore is null)
        {
            throw SimulatedFailureException.ParamIllegal("circleStore", "or ipayTradeNo is required.");
        }
        var subject = (circleStore is null ? null : JsonFields.OptionalObject(circleStore, "businessDistrictSubject", "circleStore.businessDistrictSubject"))
            ?? JsonFields.RequiredObject(body, "businessDistrictSubject");
        var (group, mall) = ReadSubject(subject);

        string key;
        JsonObject store;
        if (circleStore is not null)
        {
            var pms = JsonFields.RequiredObject(circleStore, "merchantPms", "circleStore.merchantPms");
            var merchantId = JsonFields.RequiredString(pms, "merchantId", path: "circleStore.merchantPms.merchantId");
            JsonFields.OptionalString(pms, "merchantName", path: "circleStore.merchantPms.merchantName");
            var storeId = JsonFields.OptionalString(pms, "storeId", path: "circleStore.merchantPms.storeId");
            key = storeId is null ? $"merchant:{merchantId}" : $"store:{merchantId}:{storeId}";
            store = (JsonObject)circleStore.DeepClone();
            store["businessDistrictSubject"] = subject.DeepClone();
        }
        else
        {
            key = $"trade:{ipayTradeNo}";
            store = new JsonObject { ["ipayTradeNo"] = ipayTradeNo, ["businessDistrictSubject"] = subject.DeepClone() };
        }
        if (saveWayType is not null)
        {
            store["saveWayType"] = saveWayType;
        }
        var saved = registry.Save(key, group, mall, store);
        return ApiAnswer.Success(new JsonObject { ["circleStoreId"] = saved.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }

    private ApiAnswer QueryPage(JsonObject body)
    {
        var (group, mall) = ReadSubject(JsonFields.RequiredObject(body, "businessDistrictSubject"));
        var pageInfo = JsonFields.RequiredObject(body, "pageInfo");
        var pageSize = JsonFields.RequiredInt64(pageInfo, "pageSize", "pageInfo.pageSize");
        var pageIndex = JsonFields.RequiredInt64(pageInfo, "pageIndex", "pageInfo.pageIndex");
        if (pageSize is < 1 or > MaxPageSize)
        {
            throw SimulatedFailureException.ParamIllegal("pageInfo.pageSize", $"must be between 1 and {MaxPageSize}.");
        }
        if (pageIndex < 1)
        {
            throw SimulatedFailureException.ParamIllegal("pageInfo.pageIndex", "starts at 1.");
        }

        var all = registry.List(group, mall);
        var page = all.Skip((int)Math.Min(int.MaxValue, (pageIndex - 1) * pageSize)).Take((int)pageSize);
        var items = new JsonArray();
        foreach (var store in page)
        {
            var item = (JsonObject)store.Store.DeepClone();
            item["status"] = "SUCCESS";
            items.Add(item);
        }
        return ApiAnswer.Success(new JsonObject
        {
            // (assumed) pageSize/pageIndex are echoed in the form they came in (the public sample sends strings).
            ["pageInfo"] = new JsonObject
            {
                ["pageSize"] = pageInfo["pageSize"]!.DeepClone(),
                ["pageIndex"] = pageInfo["pageIndex"]!.DeepClone(),
                ["totalCount"] = all.Count,
                ["totalPage"] = (all.Count + pageSize - 1) / pageSize,
            },
            ["circleStores"] = items,
        });
    }

    private static (string? Group, string? Mall) ReadSubject(JsonObject subject)
    {
        var group = JsonFields.OptionalString(subject, "mallGroupLabel", path: "businessDistrictSubject.mallGroupLabel");
        var mall = JsonFields.OptionalString(subject, "mallLabel", path: "businessDistrictSubject.mallLabel");
        if (group is null && mall is null)
        {
            throw SimulatedFailureException.ParamIllegal("businessDistrictSubject.mallLabel", "or mallGroupLabel is required.");
        }
        return (group, mall);
    }
}
