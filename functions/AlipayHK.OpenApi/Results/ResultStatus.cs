using System.Text.Json.Serialization;
using AlipayHK.OpenApi.Serialization;

namespace AlipayHK.OpenApi.Results;

/// <summary>The <c>resultStatus</c> of every AlipayHK answer (protocol §3). Written as <c>S</c>, <c>F</c> or <c>U</c>.</summary>
[JsonConverter(typeof(ResultStatusConverter))]
public enum ResultStatus
{
    /// <summary><c>U</c>: the outcome is unknown; retry with the same idempotency key. Also any unrecognised status.</summary>
    Unknown = 0,

    /// <summary><c>S</c>: done.</summary>
    Success,

    /// <summary><c>F</c>: failed for good; do not retry.</summary>
    Failed,
}
