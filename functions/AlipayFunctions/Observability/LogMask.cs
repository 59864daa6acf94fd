namespace AlipayFunctions.Observability;

/// <summary>Masks identifiers before they reach a log: enough to correlate, not enough to identify.</summary>
public static class LogMask
{
    /// <summary><c>2160123456789012</c> → <c>2160********9012</c>; short ids keep only their last two characters.</summary>
    public static string UserId(string? userId)
    {
        if (string.IsNullOrEmpty(userId))
        {
            return "";
        }
        if (userId.Length <= 8)
        {
            return new string('*', Math.Max(0, userId.Length - 2)) + userId[^Math.Min(2, userId.Length)..];
        }
        return string.Concat(userId.AsSpan(0, 4), new string('*', userId.Length - 8), userId.AsSpan(userId.Length - 4));
    }

    /// <summary>AlipayHK's <c>Tracer-Id</c> for a log line: <c>none</c> when the message carried none, never <c>(null)</c>.</summary>
    public static string TracerId(string? tracerId) => string.IsNullOrEmpty(tracerId) ? "none" : tracerId;
}
