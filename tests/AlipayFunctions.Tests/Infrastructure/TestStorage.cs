using AlipayFunctions.Storage;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;

namespace AlipayFunctions.Tests.Infrastructure;

/// <summary>The test's own storage clients, made by the app's <see cref="StorageClients"/> from an AzureWebJobsStorage value.</summary>
internal static class TestStorage
{
    public static IConfiguration Configuration(string connectionString) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [StorageClients.ConnectionName] = connectionString }).Build();

    public static TableServiceClient Tables(string connectionString) => StorageClients.CreateTableServiceClient(Configuration(connectionString));

    public static QueueServiceClient Queues(string connectionString) => StorageClients.CreateQueueServiceClient(Configuration(connectionString));
}
