using System.Text.Json.Nodes;

namespace AlipayHK.Simulator.CircleStores;

/// <summary>A shop registered by circleStore/save (PMS collection).</summary>
/// <param name="Key">What identifies it within its district: the store id, merchant id, or the trade it was registered from.</param>
/// <param name="MallGroupLabel">The business district subject's mall group.</param>
/// <param name="MallLabel">The business district subject's mall.</param>
/// <param name="Store">The shop as saved (unknown fields kept).</param>
/// <param name="Sequence">Order of first registration.</param>
public sealed record CircleStore(string Key, string? MallGroupLabel, string? MallLabel, JsonObject Store, long Sequence);

/// <summary>The shops registered per business district; thread-safe. Saving the same shop again replaces it.</summary>
public sealed class CircleStoreRegistry
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string? Group, string? Mall, string Key), CircleStore> _stores = [];
    private long _sequence;

    /// <summary>How many shops are registered.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _stores.Count;
            }
        }
    }

    internal CircleStore Save(string key, string? group, string? mall, JsonObject store)
    {
        lock (_lock)
        {
            var id = (group, mall, key);
            var sequence = _stores.TryGetValue(id, out var existing) ? existing.Sequence : ++_sequence;
            var saved = new CircleStore(key, group, mall, (JsonObject)store.DeepClone(), sequence);
            _stores[id] = saved;
            return saved;
        }
    }

    /// <summary>The shops of a district (a null label matches any), in order of registration.</summary>
    public IReadOnlyList<CircleStore> List(string? group = null, string? mall = null)
    {
        lock (_lock)
        {
            return _stores.Values
                .Where(s => (group is null || s.MallGroupLabel == group) && (mall is null || s.MallLabel == mall))
                .OrderBy(s => s.Sequence)
                .ToList();
        }
    }
}
