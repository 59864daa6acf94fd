using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace AlipayFunctions.MiniApp;

/// <summary>HTTP function <c>MiniAppBills</c> (<c>POST /miniapp/bills</c>, see <see cref="MiniAppService"/>).</summary>
internal sealed class MiniAppBillsFunction(MiniAppService miniApp)
{
    [Function("MiniAppBills")]
    public Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "miniapp/bills")] HttpRequest request,
        CancellationToken cancellationToken) =>
        miniApp.UploadBillsAsync(request, cancellationToken);
}
