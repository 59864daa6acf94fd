namespace AlipayFunctions.KeyVault.Tests;

public sealed class KeyIdTests
{
    private readonly FakeCredential _credential = new();

    [Theory]
    [InlineData("http://myvault.vault.azure.net/keys/alipay")]
    [InlineData("https://myvault.vault.azure.net/secrets/alipay")]
    [InlineData("https://myvault.vault.azure.net/keys")]
    [InlineData("https://myvault.vault.azure.net/keys/")]
    [InlineData("https://myvault.vault.azure.net/keys/alipay/")]
    [InlineData("https://myvault.vault.azure.net/keys/alipay/not-a-version")]
    [InlineData("https://myvault.vault.azure.net/keys/alipay/9885aa558e8d448789683188f8c194b0/sign")]
    [InlineData("https://myvault.vault.azure.net/keys/ali_pay")]
    [InlineData("https://myvault.vault.azure.net/keys/alipay?api-version=7.4")]
    [InlineData("https://myvault.vault.azure.net/keys/alipay#fragment")]
    [InlineData("https://user:pass@myvault.vault.azure.net/keys/alipay")]
    [InlineData("https://example.com/keys/alipay")]
    [InlineData("https://vault.azure.net/keys/alipay")]
    [InlineData("https://a.b.vault.azure.net/keys/alipay")]
    [InlineData("https://myvault.vault.azure.net.evil.example/keys/alipay")]
    public void Malformed_key_ids_are_rejected(string keyId)
    {
        var error = Assert.Throws<ArgumentException>(() => new KeyVaultSigner(new Uri(keyId), _credential));

        Assert.Equal("keyId", error.ParamName);
        Assert.Contains("is not a Key Vault key id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_relative_key_id_is_rejected() =>
        Assert.Throws<ArgumentException>(() => new KeyVaultSigner(new Uri("/keys/alipay", UriKind.Relative), _credential));

    [Theory]
    [InlineData("https://myvault.vault.azure.net/keys/alipay", null)]
    [InlineData("https://MyVault.vault.azure.net/keys/alipay-2/9885aa558e8d448789683188f8c194b0", "9885aa558e8d448789683188f8c194b0")]
    [InlineData("https://myvault.vault.azure.cn/keys/alipay", null)]
    [InlineData("https://myhsm.managedhsm.azure.net/keys/alipay", null)]
    public void Key_ids_in_every_cloud_are_accepted(string keyId, string? version)
    {
        var signer = new KeyVaultSigner(new Uri(keyId), _credential);

        Assert.Equal(version, signer.KeyVersion);
        Assert.Equal(keyId.ToLowerInvariant(), signer.KeyId.AbsoluteUri.ToLowerInvariant());
    }

    [Theory]
    [InlineData("https://myvault.vault.azure.net/keys/alipay", "https://vault.azure.net/.default")]
    [InlineData("https://myvault.vault.azure.cn/keys/alipay", "https://vault.azure.cn/.default")]
    [InlineData("https://myvault.vault.usgovcloudapi.net/keys/alipay", "https://vault.usgovcloudapi.net/.default")]
    [InlineData("https://myhsm.managedhsm.azure.net/keys/alipay", "https://managedhsm.azure.net/.default")]
    public void The_token_scope_follows_the_cloud(string keyId, string scope) =>
        Assert.Equal(scope, KeyVaultKeyId.Parse(new Uri(keyId), nameof(keyId)).Scope);

    [Fact]
    public void Options_out_of_range_are_rejected()
    {
        var keyId = new Uri("https://myvault.vault.azure.net/keys/alipay");
        Assert.Throws<ArgumentOutOfRangeException>(() => new KeyVaultSigner(keyId, _credential, new KeyVaultSignerOptions { MaxConcurrency = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KeyVaultSigner(keyId, _credential, new KeyVaultSignerOptions { NetworkTimeout = TimeSpan.Zero }));
        Assert.Throws<ArgumentNullException>(() => new KeyVaultSigner(keyId, null!));
    }
}
