using AlipayFunctions.Testing;

namespace LocalFunctionsHost.Tests;

/// <summary>One Azurite and one host running the sample worker, shared by the HTTP and queue tests.</summary>
public sealed class SharedHostFixture : IAsyncLifetime
{
    private AzuriteProcess? _azurite;
    private SampleHost? _host;

    internal SampleHost Sample => _host ?? throw new InvalidOperationException("The host has not started.");

    internal AzuriteProcess Azurite => _azurite ?? throw new InvalidOperationException("Azurite has not started.");

    /// <summary>A message already dequeued more than maxDequeueCount times before the host starts (its worker "crashed" each time).</summary>
    internal string OverDequeuedText { get; } = $"over-dequeued-{Guid.NewGuid():N}";

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteProcess.StartAsync();
        _host = await SampleHost.StartAsync(_azurite, options => options.Settings["WorkQueue"] = SeedQueue);
    }

    /// <summary>The work queue, prepared before the host starts: holds a message dequeued 4 times (host.json maxDequeueCount is 3).</summary>
    private string SeedQueue
    {
        get
        {
            var name = AzuriteProcess.NewQueueName("work");
            var queue = new Azure.Storage.Queues.QueueClient(Azurite.ConnectionString, name, new Azure.Storage.Queues.QueueClientOptions { MessageEncoding = Azure.Storage.Queues.QueueMessageEncoding.Base64 });
            queue.CreateIfNotExists();
            queue.SendMessage(OverDequeuedText);
            for (var i = 0; i < 4; i++)
            {
                // Received and left to time out, as when a host died with it.
                while (queue.ReceiveMessage(TimeSpan.FromSeconds(1)).Value is null)
                {
                    Thread.Sleep(200);
                }
            }

            Thread.Sleep(1100);
            return name;
        }
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SharedHostTests : ICollectionFixture<SharedHostFixture>
{
    public const string Name = "Shared host";
}
