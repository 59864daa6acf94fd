using System.Text.Json;
using AlipayFunctions.Hosting;
using AlipayFunctions.Testing;
using AlipayFunctions.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AlipayFunctions.Tests;

/// <summary>host.json and every function.json agree with what the handler serves.</summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class HostFilesTests(AzuriteFixture azurite)
{
    private static readonly string Root = AzuriteProcess.FindRepoRoot();

    [Fact]
    public void Host_json_configures_a_forwarding_custom_handler_without_a_route_prefix()
    {
        using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "host.json")));
        var root = host.RootElement;
        Assert.Equal("2.0", root.GetProperty("version").GetString());
        var handler = root.GetProperty("customHandler");
        Assert.Equal("AlipayFunctions", handler.GetProperty("description").GetProperty("defaultExecutablePath").GetString());
        Assert.True(handler.GetProperty("enableForwardingHttpRequest").GetBoolean());
        Assert.Equal("", root.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
        var bundle = root.GetProperty("extensionBundle");
        Assert.Equal("Microsoft.Azure.Functions.ExtensionBundle", bundle.GetProperty("id").GetString());
        Assert.Equal("[4.*, 5.0.0)", bundle.GetProperty("version").GetString());
        var queues = root.GetProperty("extensions").GetProperty("queues");
        Assert.Equal("base64", queues.GetProperty("messageEncoding").GetString());
        Assert.Equal(5, queues.GetProperty("maxDequeueCount").GetInt32());
    }

    [Fact]
    public async Task Every_function_json_names_a_queue_or_route_the_handler_serves_and_every_handler_has_one()
    {
        await using var app = await TestApp.StartAsync(azurite, new TestAppOptions { CustomHandler = true });
        var endpoints = ((IEndpointRouteBuilder)app.App).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Select(e => e.RoutePattern.RawText!.TrimStart('/')).ToHashSet(StringComparer.Ordinal);
        var queueFunctions = app.App.Services.GetServices<IQueueFunction>().ToDictionary(f => f.Name, StringComparer.Ordinal);
        var directory = Path.Combine(Root, "functions", "AlipayFunctions", "Functions");
        var files = Directory.GetDirectories(directory).Select(d => (Name: Path.GetFileName(d), File: Path.Combine(d, "function.json"))).ToList();
        Assert.NotEmpty(files);
        var httpRoutes = new HashSet<string>(StringComparer.Ordinal);

        foreach (var (name, file) in files)
        {
            Assert.True(File.Exists(file), $"{name} has no function.json");
            using var json = JsonDocument.Parse(File.ReadAllText(file));
            var bindings = json.RootElement.GetProperty("bindings").EnumerateArray().ToList();
            var trigger = bindings.Single(b => b.GetProperty("direction").GetString() == "in");
            switch (trigger.GetProperty("type").GetString())
            {
                case "queueTrigger":
                    Assert.True(queueFunctions.TryGetValue(name, out var function), $"{name}: no queue function of that name");
                    Assert.Single(bindings);
                    Assert.Equal(function!.QueueName, trigger.GetProperty("queueName").GetString());
                    Assert.Contains(function.QueueName, AppStorage.Queues);
                    Assert.Equal(CustomHandlerEndpoints.MessageBinding, trigger.GetProperty("name").GetString());
                    Assert.Equal("AzureWebJobsStorage", trigger.GetProperty("connection").GetString());
                    Assert.Contains(name, endpoints); // POST /{FunctionName}
                    break;
                case "httpTrigger":
                    // Forwarding needs exactly one httpTrigger in and one http out.
                    Assert.Equal(2, bindings.Count);
                    Assert.Single(bindings, b => b.GetProperty("type").GetString() == "http" && b.GetProperty("direction").GetString() == "out");
                    Assert.Equal("anonymous", trigger.GetProperty("authLevel").GetString());
                    var route = trigger.GetProperty("route").GetString()!;
                    Assert.True(endpoints.Contains(route), $"{name}: route {route} is not served; served: {string.Join(", ", endpoints)}");
                    httpRoutes.Add(route);
                    Assert.Equal(["post"], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
                    break;
                default:
                    Assert.Fail($"{name}: unexpected trigger {trigger.GetProperty("type")}");
                    break;
            }
        }

        // And the other way round: every queue function and every served route has its function.json.
        Assert.All(queueFunctions.Keys, f => Assert.Contains(f, files.Select(x => x.Name)));
        Assert.All(endpoints.Where(e => e.Length > 0 && !queueFunctions.ContainsKey(e)), e => Assert.Contains(e, httpRoutes));

        // The function.json files travel with the handler's build output for the publish step.
        var output = Path.GetDirectoryName(typeof(FunctionsApp).Assembly.Location)!;
        Assert.All(files, f => Assert.True(File.Exists(Path.Combine(output, "Functions", f.Name, "function.json")), $"{f.Name}/function.json is not in the build output"));
    }
}
