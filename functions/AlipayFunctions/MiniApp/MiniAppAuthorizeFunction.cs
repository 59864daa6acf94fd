using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace AlipayFunctions.MiniApp;

/// <summary>HTTP function <c>MiniAppAuthorize</c> (<c>POST /miniapp/authorize</c>, see <see cref="MiniAppService"/>).</summary>
internal sealed class MiniAppAuthorizeFunction(MiniAppService miniApp)
{
    [Function("MiniAppAuthorize")]
    public Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "miniapp/authorize")] HttpRequest request,
        CancellationToken cancellationToken) =>
        miniApp.AuthorizeAsync(request, cancellationToken);
}
