using Azure.Core;
using Azure.Identity;

namespace AlipayFunctions.Observability;

/// <summary>
/// The credential the Azure Monitor exporter sends with, read from <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c> as
/// the Functions host reads it (<c>Authorization=AAD</c>, optionally <c>ClientId=&lt;user-assigned identity&gt;</c>).
/// Application Insights with local authentication off rejects telemetry sent with the connection string's key alone.
/// </summary>
internal static class TelemetryCredential
{
    /// <summary>The managed identity the string names, or null when it asks for no Entra ID authentication.</summary>
    /// <exception cref="Settings.SettingsException">The string is not of the documented form.</exception>
    public static TokenCredential? FromAuthenticationString(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        string? clientId = null;
        string? authorization = null;
        foreach (var part in value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pair = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (pair.Length != 2)
            {
                throw new Settings.SettingsException("APPLICATIONINSIGHTS_AUTHENTICATION_STRING must be 'Authorization=AAD' or 'ClientId=<id>;Authorization=AAD'.");
            }
            if (pair[0].Equals("ClientId", StringComparison.OrdinalIgnoreCase))
            {
                clientId = pair[1];
            }
            else if (pair[0].Equals("Authorization", StringComparison.OrdinalIgnoreCase))
            {
                authorization = pair[1];
            }
        }
        if (!string.Equals(authorization, "AAD", StringComparison.OrdinalIgnoreCase))
        {
            throw new Settings.SettingsException("APPLICATIONINSIGHTS_AUTHENTICATION_STRING must contain 'Authorization=AAD'.");
        }
        return new ManagedIdentityCredential(string.IsNullOrEmpty(clientId)
            ? ManagedIdentityId.SystemAssigned
            : ManagedIdentityId.FromUserAssignedClientId(clientId));
    }
}
