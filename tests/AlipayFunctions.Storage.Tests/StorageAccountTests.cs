using System.Diagnostics.Tracing;
using AlipayFunctions.Storage.Queues;
using AlipayFunctions.Testing;
using Azure.Core.Diagnostics;
using Azure.Identity;
using Microsoft.Extensions.Configuration;

namespace AlipayFunctions.Storage.Tests;

[Collection(AzuriteFixture.CollectionName)]
public sealed class StorageAccountTests(AzuriteFixture azurite)
{
    private const string SomeKey = "c29tZSBrZXkgdGhhdCBpcyBub3QgcmVhbCBidXQgdmFsaWQgYmFzZTY0IQ==";

    [Fact]
    public async Task Explicit_endpoints_reach_azurite_on_its_ports()
    {
        var account = StorageAccount.Parse(azurite.ConnectionString);
        Assert.Equal("devstoreaccount1", account.AccountName);
        Assert.Equal(azurite.QueueEndpoint, account.QueueEndpoint);
        Assert.Equal(azurite.TableEndpoint, account.TableEndpoint);
        Assert.Null(account.TokenCredential);

        var queue = new QueueServiceClient(account).GetQueueClient(azurite.NewQueueName());
        await queue.CreateIfNotExistsAsync();
        await queue.SendMessageAsync("hello");
        Assert.Equal(1, await queue.GetApproximateMessageCountAsync());
    }

    [Fact]
    public async Task A_wrong_account_key_is_refused_by_the_service()
    {
        var wrong = azurite.ConnectionString.Replace(AzuriteProcess.AccountKey, SomeKey, StringComparison.Ordinal);
        var queue = new QueueServiceClient(StorageAccount.Parse(wrong)).GetQueueClient(azurite.NewQueueName());
        var error = await Assert.ThrowsAsync<StorageRequestException>(() => queue.CreateIfNotExistsAsync());
        Assert.Equal(403, error.Status);
    }

    [Fact]
    public void Development_storage_means_azurite_default_ports()
    {
        var account = StorageAccount.Parse("UseDevelopmentStorage=true");
        Assert.Equal("devstoreaccount1", account.AccountName);
        Assert.Equal(new Uri("http://127.0.0.1:10001/devstoreaccount1/"), account.QueueEndpoint);
        Assert.Equal(new Uri("http://127.0.0.1:10002/devstoreaccount1/"), account.TableEndpoint);
    }

    [Fact]
    public void Account_name_and_key_build_the_public_endpoints()
    {
        var account = StorageAccount.Parse($"DefaultEndpointsProtocol=https;AccountName=alipayfn;AccountKey={SomeKey};EndpointSuffix=core.chinacloudapi.cn");
        Assert.Equal(new Uri("https://alipayfn.queue.core.chinacloudapi.cn/"), account.QueueEndpoint);
        Assert.Equal(new Uri("https://alipayfn.table.core.chinacloudapi.cn/"), account.TableEndpoint);

        var defaults = StorageAccount.Parse($"AccountName=alipayfn;AccountKey={SomeKey}");
        Assert.Equal(new Uri("https://alipayfn.queue.core.windows.net/"), defaults.QueueEndpoint);
    }

    [Theory]
    [InlineData("AccountName=a")]
    [InlineData("AccountKey=" + SomeKey)]
    [InlineData("AccountName=acct;AccountKey=not*base64")]
    [InlineData("AccountName=acct;AccountKey=" + SomeKey + ";QueueEndpoint=not-a-uri")]
    [InlineData("AccountName=acct;AccountKey=" + SomeKey + ";DefaultEndpointsProtocol=ftp")]
    [InlineData("garbage")]
    [InlineData("BlobEndpoint=https://x;SharedAccessSignature=sv=2020&sig=abc")]
    public void Malformed_connection_strings_fail_without_echoing_the_key(string connectionString)
    {
        var error = Assert.Throws<FormatException>(() => StorageAccount.Parse(connectionString));
        Assert.DoesNotContain(SomeKey, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sig=abc", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Configuration_with_a_connection_string_uses_the_account_key()
    {
        var account = StorageAccount.FromConfiguration(Config(("AzureWebJobsStorage", azurite.ConnectionString)));
        Assert.Equal(azurite.QueueEndpoint, account.QueueEndpoint);
        Assert.Null(account.TokenCredential);
    }

    [Fact]
    public void Identity_based_configuration_produces_a_bearer_token_account()
    {
        var account = StorageAccount.FromConfiguration(Config(("AzureWebJobsStorage:accountName", "alipayfn")));
        Assert.Equal("alipayfn", account.AccountName);
        Assert.Equal(new Uri("https://alipayfn.queue.core.windows.net/"), account.QueueEndpoint);
        Assert.Equal(new Uri("https://alipayfn.table.core.windows.net/"), account.TableEndpoint);
        Assert.IsType<DefaultAzureCredential>(account.TokenCredential);
    }

    [Fact]
    public void Identity_based_configuration_honours_service_uris_and_a_user_assigned_identity()
    {
        var account = StorageAccount.FromConfiguration(
            Config(
                ("Storage__queueServiceUri", "https://alipayfn.queue.core.windows.net"),
                ("Storage__tableServiceUri", "https://alipayfn.table.core.windows.net"),
                ("Storage__credential", "managedidentity"),
                ("Storage__clientId", "00000000-0000-0000-0000-000000000001")),
            "Storage");
        Assert.Equal("alipayfn", account.AccountName);
        Assert.Equal(new Uri("https://alipayfn.table.core.windows.net/"), account.TableEndpoint);
        Assert.IsType<ManagedIdentityCredential>(account.TokenCredential);
    }

    [Fact]
    public void An_explicit_credential_wins()
    {
        var credential = new DefaultAzureCredential();
        var account = StorageAccount.FromConfiguration(Config(("AzureWebJobsStorage:accountName", "alipayfn")), credential: credential);
        Assert.Same(credential, account.TokenCredential);
    }

    [Theory]
    [InlineData("AzureWebJobsStorage", null, "AzureWebJobsStorage")]
    [InlineData("AzureWebJobsStorage", "AccountName=acct", "AzureWebJobsStorage")]
    [InlineData("AzureWebJobsStorage:queueServiceUri", "http://alipayfn.queue.core.windows.net", "AzureWebJobsStorage__queueServiceUri")]
    [InlineData("AzureWebJobsStorage:accountName", "Not_Valid", "AzureWebJobsStorage__accountName")]
    [InlineData("AzureWebJobsStorage:credential", "clientsecret", "AzureWebJobsStorage")]
    public void Missing_or_malformed_configuration_names_the_key(string key, string? value, string named)
    {
        var configuration = value is null ? Config()
            : key.EndsWith("credential", StringComparison.Ordinal) ? Config((key, value), ("AzureWebJobsStorage:accountName", "alipayfn"))
            : Config((key, value));
        var error = Assert.Throws<InvalidOperationException>(() => StorageAccount.FromConfiguration(configuration));
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_never_carry_the_authorization_header()
    {
        var lines = new List<string>();
        using (new AzureEventSourceListener((_, line) => { lock (lines) { lines.Add(line); } }, EventLevel.Verbose))
        {
            var queue = new QueueServiceClient(StorageAccount.Parse(azurite.ConnectionString)).GetQueueClient(azurite.NewQueueName());
            await queue.CreateIfNotExistsAsync();
            await queue.SendMessageAsync("logged?");
        }

        var all = string.Join('\n', lines);
        Assert.Contains("Authorization:REDACTED", all, StringComparison.Ordinal);
        Assert.DoesNotContain("SharedKey ", all, StringComparison.Ordinal);
        Assert.DoesNotContain(AzuriteProcess.AccountKey, all, StringComparison.Ordinal);
        Assert.Contains("x-ms-version:2025-05-05", all, StringComparison.Ordinal);
    }

    private static IConfiguration Config(params (string Key, string? Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();
}
