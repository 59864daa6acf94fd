using Microsoft.Net.Http.Headers;

namespace AlipayFunctions.Webhooks;

/// <summary>
/// The one Content-Type check of the app's JSON endpoints (the webhooks and the mini-app channel): the media type must
/// be <c>application/json</c>, parameters such as a charset aside. Checked on the header alone, before the body is read.
/// </summary>
internal static class JsonMediaType
{
    /// <summary>What a refused request is told (the webhooks' F result message, the mini-app's error message).</summary>
    public const string Required = "Content-Type must be application/json.";

    /// <summary>Whether <paramref name="contentType"/> names JSON; false when it is missing or unparsable.</summary>
    public static bool Is(string? contentType) =>
        // The media type itself, not a prefix: "application/jsonp" or "application/json-seq" is not JSON.
        MediaTypeHeaderValue.TryParse(contentType, out var parsed)
        && string.Equals(parsed.MediaType.Value, "application/json", StringComparison.OrdinalIgnoreCase);
}
