using System.Security.Cryptography;
using AlipayFunctions.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AlipayFunctions.Deployment;

/// <summary>An HTTP route the handler serves, and the methods it accepts (empty: any method).</summary>
/// <param name="Route">The route template without its leading slash, e.g. <c>{merchantTag}/points/bill/notify</c>.</param>
/// <param name="Methods">The accepted methods, upper case; empty when the endpoint takes any method.</param>
public sealed record HandlerRoute(string Route, IReadOnlySet<string> Methods);

/// <summary>
/// What the handler serves, read from the handler itself: its HTTP routes, its queue functions (name and queue), and
/// the queues the app uses. The function.json files must agree with it, or the Functions host calls routes that
/// answer 404 or listens on queues nothing reads.
/// </summary>
/// <param name="HttpRoutes">The HTTP endpoints, by route template.</param>
/// <param name="QueueFunctions">The queue functions: name (the host calls <c>POST /{name}</c>) to queue name.</param>
/// <param name="Queues">Every queue the app uses (<see cref="AppStorage.Queues"/>).</param>
public sealed record HandlerContract(
    IReadOnlyDictionary<string, HandlerRoute> HttpRoutes,
    IReadOnlyDictionary<string, string> QueueFunctions,
    IReadOnlySet<string> Queues)
{
    /// <summary>The binding name the handler reads a queue message from (<c>Data.message</c>).</summary>
    public const string MessageBinding = "message";

    /// <summary>The storage connection the handler reads its queues through.</summary>
    public const string StorageConnection = "AzureWebJobsStorage";

    /// <summary>
    /// Builds the handler (not started, nothing contacted) with throwaway settings and reads its endpoints and
    /// registered <see cref="IQueueFunction"/>s.
    /// </summary>
    public static async Task<HandlerContract> FromAppAsync()
    {
        using var merchantKey = RSA.Create(2048);
        using var platformKey = RSA.Create(2048);
        var settings = new Dictionary<string, string?>
        {
            ["AlipayHK:BaseUrl"] = "https://open.alipay.hk",
            ["AlipayHK:ClientId"] = "layout-check",
            ["AlipayHK:MerchantId"] = "layout-check",
            ["AlipayHK:PlatformPublicKey"] = Convert.ToBase64String(platformKey.ExportSubjectPublicKeyInfo()),
            ["Signing:Mode"] = "Pem",
            ["Signing:PrivateKeyPem"] = merchantKey.ExportPkcs8PrivateKeyPem(),
            ["Webhooks:MerchantTag"] = "layout-check",
            ["Loyalty:TemplateCode"] = "layout-check",
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["Queues:RunListeners"] = "false",
        };
        var app = FunctionsApp.Build([], builder => builder.Configuration.AddInMemoryCollection(settings));
        await using (app.ConfigureAwait(false))
        {
            var routes = new Dictionary<string, HandlerRoute>(StringComparer.OrdinalIgnoreCase);
            foreach (var endpoint in ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>())
            {
                var route = (endpoint.RoutePattern.RawText ?? "").Trim('/');
                var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods
                    .Select(m => m.ToUpperInvariant()).ToHashSet(StringComparer.Ordinal) ?? [];
                routes[route] = new HandlerRoute(route, methods);
            }
            var queueFunctions = app.Services.GetServices<IQueueFunction>()
                .ToDictionary(f => f.Name, f => f.QueueName, StringComparer.Ordinal);
            return new HandlerContract(routes, queueFunctions, AppStorage.Queues.ToHashSet(StringComparer.Ordinal));
        }
    }
}
