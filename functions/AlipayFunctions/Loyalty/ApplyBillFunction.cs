using AlipayFunctions.Storage;
using Microsoft.Azure.Functions.Worker;

namespace AlipayFunctions.Loyalty;

/// <summary>Queue function <c>ApplyBill</c>: one bill from <c>bills</c> into the ledger (see <see cref="BillWork"/>).</summary>
internal sealed class ApplyBillFunction(BillWork work)
{
    [Function("ApplyBill")]
    public Task RunAsync(
        [QueueTrigger(AppStorage.BillsQueue, Connection = StorageClients.ConnectionName)] string message,
        FunctionContext context,
        CancellationToken cancellationToken) =>
        work.ApplyAsync(QueueDelivery.From(message, context), cancellationToken);
}
