using AlipayFunctions.Observability;
using AlipayFunctions.Settings;
using Azure.Identity;

namespace AlipayFunctions.Tests;

public sealed class TelemetryCredentialTests
{
    [Fact]
    public void No_authentication_string_means_no_credential() =>
        Assert.Null(TelemetryCredential.FromAuthenticationString(null));

    [Theory]
    [InlineData("ClientId=00000000-0000-0000-0000-000000000001;Authorization=AAD")]
    [InlineData("Authorization=AAD")]
    [InlineData(" authorization = aad ; clientid = abc ")]
    public void Entra_id_authentication_uses_the_managed_identity(string value) =>
        Assert.IsType<ManagedIdentityCredential>(TelemetryCredential.FromAuthenticationString(value));

    [Theory]
    [InlineData("ClientId=abc")]
    [InlineData("Authorization=Key")]
    [InlineData("AAD")]
    public void Anything_else_is_refused_naming_the_setting(string value)
    {
        var e = Assert.Throws<SettingsException>(() => TelemetryCredential.FromAuthenticationString(value));
        Assert.Contains("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", e.Message, StringComparison.Ordinal);
    }
}
