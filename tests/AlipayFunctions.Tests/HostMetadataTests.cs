using System.Text.Json.Nodes;
using AlipayFunctions.Storage;
using AlipayFunctions.Tests.Infrastructure;

namespace AlipayFunctions.Tests;

/// <summary>
/// The built script root is what the Functions host runs: host.json (isolated-worker shape, no custom handler, the
/// queue settings the app relies on) and the generated functions.metadata agree with the app's queues and routes.
/// </summary>
public sealed class HostMetadataTests
{
    private static JsonNode Read(string file) => JsonNode.Parse(File.ReadAllText(Path.Combine(WorkerBuild.ScriptRoot, file)))!;

    [Fact]
    public void The_script_root_has_the_root_host_json_the_worker_config_and_the_function_metadata()
    {
        Assert.Equal(File.ReadAllText(Path.Combine(WorkerBuild.RepoRoot, "host.json")), File.ReadAllText(Path.Combine(WorkerBuild.ScriptRoot, "host.json")));
        Assert.Equal("dotnet-isolated", Read("worker.config.json")["description"]!["language"]!.GetValue<string>());
        Assert.Equal("AlipayFunctions.dll", Read("worker.config.json")["description"]!["defaultWorkerPath"]!.GetValue<string>());
    }

    [Fact]
    public void Host_json_is_an_isolated_worker_host_json_with_the_queue_settings_the_app_relies_on()
    {
        var host = Read("host.json").AsObject();
        Assert.Equal("2.0", host["version"]!.GetValue<string>());
        Assert.False(host.ContainsKey("customHandler"));
        Assert.False(host.ContainsKey("extensionBundle"));
        Assert.Equal("", host["extensions"]!["http"]!["routePrefix"]!.GetValue<string>());
        // A burst waits in the host, bounded, instead of piling up in the worker's memory (docs/benchmarks.md).
        var http = host["extensions"]!["http"]!;
        Assert.InRange(http["maxConcurrentRequests"]!.GetValue<int>(), 1, 1000);
        // No cap on waiting requests: a 429 at once would make AlipayHK give up on bills during a storage backlog.
        Assert.Null(http["maxOutstandingRequests"]);
        var queues = host["extensions"]!["queues"]!;
        Assert.Equal("base64", queues["messageEncoding"]!.GetValue<string>());
        // The app releases a sync claim on the last delivery: its default must be the host's poison threshold.
        Assert.Equal(5, queues["maxDequeueCount"]!.GetValue<int>());
        Assert.NotNull(queues["visibilityTimeout"]);
        Assert.NotNull(queues["batchSize"]);
        Assert.NotNull(queues["maxPollingInterval"]);
    }

    [Fact]
    public void The_metadata_lists_every_function_with_its_queue_or_route()
    {
        var functions = Read("functions.metadata").AsArray().Select(f => f!.AsObject()).ToDictionary(f => f["name"]!.GetValue<string>());
        JsonObject Trigger(string name) => functions[name]["bindings"]!.AsArray().Select(b => b!.AsObject()).Single(b => b["type"]!.GetValue<string>().EndsWith("Trigger", StringComparison.Ordinal));

        Assert.Equal(
            ["ApplyBill", "BillNotify", "CreatePass", "DiagnosticCounters", "MemberCardCreate", "MiniAppAuthorize", "MiniAppBills", "Reconcile", "SyncPass"],
            functions.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, queue) in new[] { ("ApplyBill", AppStorage.BillsQueue), ("CreatePass", AppStorage.PassCreateQueue), ("SyncPass", AppStorage.PassSyncQueue) })
        {
            var trigger = Trigger(name);
            Assert.Equal("queueTrigger", trigger["type"]!.GetValue<string>());
            Assert.Equal(queue, trigger["queueName"]!.GetValue<string>());
            Assert.Equal(StorageClients.ConnectionName, trigger["connection"]!.GetValue<string>());
        }
        Assert.Equal(AppStorage.Queues.Order(StringComparer.Ordinal), functions.Values.Select(f => Trigger(f["name"]!.GetValue<string>())["queueName"]?.GetValue<string>()).OfType<string>().Order(StringComparer.Ordinal));
        Assert.Equal("timerTrigger", Trigger("Reconcile")["type"]!.GetValue<string>());
        foreach (var (name, route) in new[]
                 {
                     ("MemberCardCreate", "{merchantTag}/points/membercard/create"), ("BillNotify", "{merchantTag}/points/bill/notify"),
                     ("MiniAppAuthorize", "miniapp/authorize"), ("MiniAppBills", "miniapp/bills"), ("DiagnosticCounters", "diagnostics/counters"),
                 })
        {
            var trigger = Trigger(name);
            Assert.Equal("httpTrigger", trigger["type"]!.GetValue<string>());
            Assert.Equal(route, trigger["route"]!.GetValue<string>());
            Assert.Equal("anonymous", trigger["authLevel"]!.GetValue<string>(), ignoreCase: true);
        }
    }

    // The Worker.Sdk's generated executor (DirectFunctionExecutor) takes a slow path for a function class that is not
    // public: a new DefaultFunctionExecutor per invocation, compiling an expression tree each time (~5 ms of CPU per
    // webhook). The app's function classes are internal, so the generated executor must stay off
    // (FunctionsEnableExecutorSourceGen=false in the csproj) for as long as any of them is.
    [Fact]
    public void Invocations_do_not_take_the_generated_executors_per_call_slow_path()
    {
        var app = typeof(AppStorage).Assembly;
        var functionClasses = app.GetTypes()
            .Where(t => t.GetMethods().Any(m => m.GetCustomAttributes(typeof(Microsoft.Azure.Functions.Worker.FunctionAttribute), false).Length > 0))
            .ToList();
        var notPublic = functionClasses.Where(t => !t.IsPublic).Select(t => t.Name).ToList();
        var generated = app.GetTypes().Where(t => t.Name == "DirectFunctionExecutor").Select(t => t.FullName).ToList();
        Assert.Contains(functionClasses, t => t.Name == "BillNotifyFunction");
        Assert.True(notPublic.Count == 0 || generated.Count == 0,
            $"The generated executor ({string.Join(", ", generated)}) would build a new executor per invocation for the non-public function classes {string.Join(", ", notPublic)}.");
    }
}
