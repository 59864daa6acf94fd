using AlipayFunctions.Storage;
using Microsoft.Azure.Functions.Worker;

namespace AlipayFunctions.Passes;

/// <summary>Queue function <c>SyncPass</c>: the card shows the current balance (see <see cref="PassSync"/>).</summary>
internal sealed class SyncPassFunction(PassSync work)
{
    [Function("SyncPass")]
    public Task RunAsync(
        [QueueTrigger(AppStorage.PassSyncQueue, Connection = StorageClients.ConnectionName)] string message,
        FunctionContext context,
        CancellationToken cancellationToken) =>
        work.SyncAsync(QueueDelivery.From(message, context), cancellationToken);
}
