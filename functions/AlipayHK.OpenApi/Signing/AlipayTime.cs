using System.Globalization;

namespace AlipayHK.OpenApi.Signing;

/// <summary>The ISO-8601 times of the <c>Request-Time</c> and <c>Response-Time</c> headers.</summary>
public static class AlipayTime
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:sszzz";

    /// <summary>Hong Kong time, the offset AlipayHK's own samples use.</summary>
    public static readonly TimeSpan HongKongOffset = TimeSpan.FromHours(8);

    /// <summary>Formats a time to the second, e.g. <c>2026-11-22T10:15:30+08:00</c>.</summary>
    public static string ToHeaderValue(DateTimeOffset time) =>
        time.ToOffset(HongKongOffset).ToString(Format, CultureInfo.InvariantCulture);

    /// <summary>Parses any ISO-8601 time with an offset or <c>Z</c>.</summary>
    public static bool TryParse(string? value, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out time);
}
