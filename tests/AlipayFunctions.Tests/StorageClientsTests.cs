using System.Text;
using AlipayFunctions.Storage;
using AlipayFunctions.Testing;
using Azure.Storage.Queues;
using AlipayFunctions.Tests.Infrastructure;

namespace AlipayFunctions.Tests;

/// <summary>The clients built from AzureWebJobsStorage reach Azurite, and queue messages are base64 as the trigger expects.</summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class StorageClientsTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Messages_sent_with_the_apps_queue_client_are_base64_on_the_wire_and_tables_are_reachable()
    {
        var configuration = TestStorage.Configuration(azurite.ConnectionString);
        var name = azurite.NewQueueName("enc");
        var queue = StorageClients.CreateQueueServiceClient(configuration).GetQueueClient(name);
        await queue.CreateAsync();

        await queue.SendMessageAsync("{\"userId\":\"2160…\"}");

        // A client without an encoding sees the stored text: base64 of the UTF-8 message, as the trigger decodes it.
        var raw = new QueueClient(azurite.ConnectionString, name, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        var stored = (await raw.PeekMessageAsync()).Value.Body.ToString();
        Assert.Equal("{\"userId\":\"2160…\"}", Encoding.UTF8.GetString(Convert.FromBase64String(stored)));

        // Azurite's endpoints end in '/', which the Tables SDK would turn into ".../devstoreaccount1//Tables".
        Assert.EndsWith("/", azurite.TableEndpoint.AbsoluteUri, StringComparison.Ordinal);
        var table = StorageClients.CreateTableServiceClient(configuration).GetTableClient(azurite.NewTableName("clients"));
        await table.CreateIfNotExistsAsync();
        await table.AddEntityAsync(new Azure.Data.Tables.TableEntity("p", "r") { ["X"] = 1L });
        Assert.Equal(1L, (await table.GetEntityAsync<Azure.Data.Tables.TableEntity>("p", "r")).Value.GetInt64("X"));
    }
}
