namespace AlipayHK.OpenApi.Serialization;

/// <summary>How secrets and personal data appear in <c>ToString</c> and logs: never, only whether they are there.</summary>
public static class Redaction
{
    /// <summary><c>(none)</c> or <c>***</c>; never any part of the value.</summary>
    public static string Mask(string? secret) => string.IsNullOrEmpty(secret) ? "(none)" : "***";
}
