using System.Net;
using System.Net.Sockets;
using AlipayFunctions.Testing;

namespace LocalFunctionsHost.Tests;

/// <summary>Storage going away under a running host: its own Azurite, persisted, stopped and started again.</summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class StorageOutageTests
{
    [Fact]
    public async Task Queue_polling_survives_storage_being_unreachable_for_every_retry_and_resumes_when_it_is_back()
    {
        var folder = Directory.CreateTempSubdirectory("outage-azurite-");
        var options = new AzuriteStartOptions { Location = folder.FullName, BlobPort = FreePort(), QueuePort = FreePort(), TablePort = FreePort() };
        var azurite = await AzuriteProcess.StartAsync(options);
        try
        {
            await using var sample = await SampleHost.StartAsync(azurite);
            await azurite.StopGracefullyAsync(TimeSpan.FromSeconds(20));
            await azurite.DisposeAsync();

            // Azure.Core ends a poll whose every try was refused with an AggregateException, not a
            // RequestFailedException: the listener must log it and keep polling.
            await sample.EventuallyAsync(
                () => Task.FromResult(sample.Lines.FirstOrDefault(l => l.StartsWith($"Queue '{sample.WorkQueue}'", StringComparison.Ordinal) && l.Contains("Retry failed", StringComparison.Ordinal))),
                TimeSpan.FromSeconds(120),
                "the poll that failed every retry");

            azurite = await AzuriteProcess.StartAsync(options);
            var text = $"after-outage-{Guid.NewGuid():N}";
            await sample.Queue(sample.WorkQueue).SendMessageAsync(text);
            await sample.EventuallyAsync(
                async () => (await sample.PeekAllAsync(sample.DoneQueue)).FirstOrDefault(m => m.StartsWith($"done:{text}:", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(60),
                "the message sent after the outage to be processed");
        }
        finally
        {
            await azurite.DisposeAsync();
            folder.Delete(recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
