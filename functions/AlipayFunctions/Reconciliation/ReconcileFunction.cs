using AlipayFunctions.Passes;
using Microsoft.Azure.Functions.Worker;

namespace AlipayFunctions.Reconciliation;

/// <summary>Timer function <c>Reconcile</c>: the sweep (see <see cref="ReconcileSweep"/>) every five minutes.</summary>
internal sealed class ReconcileFunction(ReconcileSweep sweep, TemplateCache templates)
{
    [Function("Reconcile")]
    public Task RunAsync([TimerTrigger("0 */5 * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        sweep.RunAsync(dryRun: false, async ct => string.Equals((await templates.GetAsync(ct).ConfigureAwait(false)).Status, "valid", StringComparison.OrdinalIgnoreCase), cancellationToken);
}
