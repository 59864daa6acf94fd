using AlipayFunctions.Storage;
using Microsoft.Azure.Functions.Worker;

namespace AlipayFunctions.Passes;

/// <summary>Queue function <c>CreatePass</c>: a member's card into their wallet (see <see cref="PassCreation"/>).</summary>
internal sealed class CreatePassFunction(PassCreation work)
{
    [Function("CreatePass")]
    public Task RunAsync(
        [QueueTrigger(AppStorage.PassCreateQueue, Connection = StorageClients.ConnectionName)] string message,
        FunctionContext context,
        CancellationToken cancellationToken) =>
        work.CreateAsync(QueueDelivery.From(message, context), cancellationToken);
}
