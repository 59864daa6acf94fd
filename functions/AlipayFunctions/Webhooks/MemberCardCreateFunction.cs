using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace AlipayFunctions.Webhooks;

/// <summary>HTTP function <c>MemberCardCreate</c>: AlipayHK's membercard/create webhook (see <see cref="WebhookService"/>).</summary>
internal sealed class MemberCardCreateFunction(WebhookService webhooks)
{
    // Every method reaches the code, so that a GET gets a clear F answer rather than a bare 404/405.
    [Function("MemberCardCreate")]
    public Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "patch", "delete", Route = "{merchantTag}/points/membercard/create")] HttpRequest request,
        string merchantTag,
        CancellationToken cancellationToken) =>
        webhooks.MemberCardCreateAsync(request, merchantTag, cancellationToken);
}
