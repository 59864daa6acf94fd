using System.Globalization;
using System.Text.Json.Nodes;
using AlipayHK.Simulator.Protocol;

namespace AlipayHK.Simulator.Passes;

/// <summary>The state of a pass (what AlipayHK shows in the wallet).</summary>
public static class PassStatus
{
    /// <summary>In the wallet; the only state that can be updated.</summary>
    public const string Active = "ACTIVE";

    /// <summary>Closed by the merchant.</summary>
    public const string Closed = "CLOSED";

    /// <summary>Used up.</summary>
    public const string Used = "USED";

    /// <summary>Refunded.</summary>
    public const string Refund = "REFUND";
}

/// <summary>A pass as the user sees it in the wallet; a copy, safe to keep.</summary>
/// <param name="PassId">AlipayHK's id for the pass.</param>
/// <param name="MerchantId">The merchant that issued it.</param>
/// <param name="TemplateCode">Its template.</param>
/// <param name="BizSerialId">The merchant's idempotency key (its member id).</param>
/// <param name="UserId">The AlipayHK user (raw: mask it before showing it anywhere).</param>
/// <param name="OpenId">The user's open id, when that was sent instead.</param>
/// <param name="Status">One of <see cref="PassStatus"/>.</param>
/// <param name="DataInfo">The template variables per locale, as currently displayed.</param>
/// <param name="CodeInfo">The code variables.</param>
/// <param name="StartDate">Validity start (epoch ms), if sent.</param>
/// <param name="EndDate">Validity end (epoch ms), if sent.</param>
/// <param name="CreatedAt">When createPass succeeded.</param>
/// <param name="UpdatedAt">When the last updatePass succeeded (or <paramref name="CreatedAt"/>).</param>
/// <param name="UpdateCount">How many updatePass calls succeeded.</param>
public sealed record PassSnapshot(
    string PassId,
    string MerchantId,
    string TemplateCode,
    string BizSerialId,
    string? UserId,
    string? OpenId,
    string Status,
    JsonObject DataInfo,
    JsonObject? CodeInfo,
    long? StartDate,
    long? EndDate,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    int UpdateCount)
{
    /// <summary>A displayed variable, e.g. <c>Variable("en_US", "$points$")</c>; null when not set.</summary>
    public string? Variable(string locale, string name) =>
        DataInfo[locale] is JsonObject values && values[name] is JsonValue value ? value.ToString() : null;
}

/// <summary>The passes AlipayHK holds, keyed by passId and by merchantId + templateCode + bizSerialId; thread-safe.</summary>
public sealed class PassStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, PassRecord> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<(string MerchantId, string TemplateCode, string BizSerialId), string> _byKey = [];
    private readonly TimeProvider _clock;
    private long _sequence;

    internal PassStore(TimeProvider clock) => _clock = clock;

    /// <summary>How many passes exist.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _byId.Count;
            }
        }
    }

    /// <summary>Every pass, oldest first.</summary>
    public IReadOnlyList<PassSnapshot> List()
    {
        lock (_lock)
        {
            return _byId.Values.OrderBy(p => p.Sequence).Select(p => p.ToSnapshot()).ToList();
        }
    }

    /// <summary>One pass, or null.</summary>
    public PassSnapshot? Find(string passId)
    {
        lock (_lock)
        {
            return _byId.TryGetValue(passId, out var pass) ? pass.ToSnapshot() : null;
        }
    }

    /// <summary>The pass issued for a merchant's member, or null.</summary>
    public PassSnapshot? FindByBizSerialId(string merchantId, string templateCode, string bizSerialId)
    {
        lock (_lock)
        {
            return _byKey.TryGetValue((merchantId, templateCode, bizSerialId), out var id) ? _byId[id].ToSnapshot() : null;
        }
    }

    /// <summary>Creates a pass; <c>PASS_HAS_EXIST</c> when the idempotency key is taken.</summary>
    internal PassSnapshot Create(PassRecord draft)
    {
        var key = (draft.MerchantId, draft.TemplateCode, draft.BizSerialId);
        lock (_lock)
        {
            if (_byKey.ContainsKey(key))
            {
                throw new SimulatedFailureException(ResultCodes.PassHasExist,
                    "A pass already exists for this merchantId, templateCode and bizSerialId.");
            }
            var now = _clock.GetUtcNow();
            draft.Sequence = ++_sequence;
            draft.PassId = string.Create(CultureInfo.InvariantCulture, $"{now:yyyyMMdd}{_sequence:D12}");
            draft.CreatedAt = now;
            draft.UpdatedAt = now;
            _byId.Add(draft.PassId, draft);
            _byKey.Add(key, draft.PassId);
            return draft.ToSnapshot();
        }
    }

    /// <summary>
    /// Applies <paramref name="change"/> to an active pass of this merchant (and user, when one is named).
    /// The change validates before it mutates: it may throw, and then nothing changed.
    /// </summary>
    internal PassSnapshot Update(string merchantId, string passId, string? userId, string? openId, Action<PassRecord> change)
    {
        lock (_lock)
        {
            if (!_byId.TryGetValue(passId, out var pass)
                || pass.MerchantId != merchantId
                || (userId is not null && pass.UserId is not null && pass.UserId != userId)
                || (openId is not null && pass.OpenId is not null && pass.OpenId != openId))
            {
                throw new SimulatedFailureException(ResultCodes.PassHasNotExist, "No pass with this passId for this merchant and user.");
            }
            if (pass.Status != PassStatus.Active)
            {
                throw new SimulatedFailureException(ResultCodes.PassUpdateFail, $"Only active passes can be updated; this pass is {pass.Status}.");
            }
            change(pass);
            pass.UpdateCount++;
            pass.UpdatedAt = _clock.GetUtcNow();
            return pass.ToSnapshot();
        }
    }
}

/// <summary>The mutable pass inside the store; only touched under the store's lock.</summary>
internal sealed class PassRecord
{
    public long Sequence { get; set; }
    public string PassId { get; set; } = "";
    public required string MerchantId { get; init; }
    public required string TemplateCode { get; set; }
    public required string BizSerialId { get; init; }
    public string? UserId { get; init; }
    public string? OpenId { get; init; }
    public string Status { get; set; } = PassStatus.Active;
    public JsonObject DataInfo { get; init; } = [];
    public JsonObject? CodeInfo { get; init; }
    public long? StartDate { get; set; }
    public long? EndDate { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public int UpdateCount { get; set; }

    public PassSnapshot ToSnapshot() => new(
        PassId, MerchantId, TemplateCode, BizSerialId, UserId, OpenId, Status,
        (JsonObject)DataInfo.DeepClone(), (JsonObject?)CodeInfo?.DeepClone(),
        StartDate, EndDate, CreatedAt, UpdatedAt, UpdateCount);
}
