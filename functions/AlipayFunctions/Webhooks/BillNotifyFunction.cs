using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace AlipayFunctions.Webhooks;

/// <summary>HTTP function <c>BillNotify</c>: AlipayHK's bill/notify webhook (see <see cref="WebhookService"/>).</summary>
internal sealed class BillNotifyFunction(WebhookService webhooks)
{
    // Every method reaches the code, so that a GET gets a clear F answer rather than a bare 404/405.
    [Function("BillNotify")]
    public Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "patch", "delete", Route = "{merchantTag}/points/bill/notify")] HttpRequest request,
        string merchantTag,
        CancellationToken cancellationToken) =>
        webhooks.BillNotifyAsync(request, merchantTag, cancellationToken);
}
