using System.Text.Json.Nodes;

namespace AlipayFunctions.Deployment.Tests;

/// <summary>Builds the handler contract once: it builds the whole app.</summary>
public sealed class HandlerContractFixture : IAsyncLifetime
{
    public HandlerContract Contract { get; private set; } = null!;

    public async Task InitializeAsync() => Contract = await HandlerContract.FromAppAsync();

    public Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>
/// The app folder that tools/publish.sh assembles: the same <see cref="AppLayout"/> code, on the real host.json and
/// function.json files, checked against what the real handler serves.
/// </summary>
public sealed class AppLayoutTests(HandlerContractFixture fixture) : IClassFixture<HandlerContractFixture>, IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void The_handler_build_output_assembles_into_a_deployable_app_folder()
    {
        // The test's output holds the handler's apphost and its Functions/ folder (copied with the project reference):
        // the same inputs a publish produces, framework-dependent instead of self-contained.
        var app = Path.Combine(_temp.Path, "app");
        AppLayout.Assemble(AppContext.BaseDirectory, Repo.HostJson, app);

        Assert.Empty(AppLayout.Check(app, fixture.Contract));
        Assert.True(File.Exists(Path.Combine(app, "host.json")));
        var functionFolders = Directory.GetDirectories(app).Select(Path.GetFileName).Order().ToArray();
        var sourceFolders = Directory.GetDirectories(Repo.FunctionsSource).Select(Path.GetFileName).Order().ToArray();
        Assert.Equal(sourceFolders, functionFolders);
        Assert.Empty(Directory.GetFiles(app, "*.xml"));
    }

    [Fact]
    public void The_handler_serves_a_function_folder_for_each_of_its_queue_functions()
    {
        // Guards the contract itself: if reading it from the app broke, every other check would pass vacuously.
        Assert.NotEmpty(fixture.Contract.QueueFunctions);
        Assert.All(fixture.Contract.QueueFunctions, f => Assert.True(File.Exists(Path.Combine(Repo.FunctionsSource, f.Key, "function.json")), f.Key));
        Assert.Contains("{merchantTag}/points/bill/notify", fixture.Contract.HttpRoutes.Keys);
        Assert.Contains("{merchantTag}/points/membercard/create", fixture.Contract.HttpRoutes.Keys);
    }

    [Fact]
    public void A_folder_without_function_json_is_reported()
    {
        var app = SmallApp();
        Directory.CreateDirectory(Path.Combine(app, "Stray"));

        Assert.Contains(AppLayout.Check(app, fixture.Contract), p => p.StartsWith("Stray/", StringComparison.Ordinal));
    }

    [Fact]
    public void A_route_the_handler_does_not_serve_is_reported()
    {
        var app = SmallApp();
        Edit(app, "BillNotify", binding => binding["route"] = "{merchantTag}/points/bills/notify");

        var problem = Assert.Single(AppLayout.Check(app, fixture.Contract));
        Assert.Contains("BillNotify/function.json", problem, StringComparison.Ordinal);
        Assert.Contains("bills/notify", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_method_the_handler_does_not_accept_is_reported()
    {
        var app = SmallApp();
        Edit(app, "MiniAppAuthorize", binding => binding["methods"] = new JsonArray("post", "delete"));

        var problem = Assert.Single(AppLayout.Check(app, fixture.Contract));
        Assert.Contains("DELETE", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_queue_the_app_does_not_use_is_reported()
    {
        var app = SmallApp();
        Edit(app, "ApplyBill", binding => binding["queueName"] = "bill");

        var problems = AppLayout.Check(app, fixture.Contract);
        Assert.Contains(problems, p => p.Contains("queue 'bill' is not one of the app's queues", StringComparison.Ordinal));
    }

    [Fact]
    public void A_queue_function_on_another_function_s_queue_is_reported()
    {
        var app = SmallApp();
        Edit(app, "CreatePass", binding => binding["queueName"] = "pass-sync");

        var problem = Assert.Single(AppLayout.Check(app, fixture.Contract));
        Assert.Contains("reads queue 'pass-create'", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_binding_name_or_connection_is_reported()
    {
        var app = SmallApp();
        Edit(app, "SyncPass", binding =>
        {
            binding["name"] = "msg";
            binding["connection"] = "OtherStorage";
        });

        var problems = AppLayout.Check(app, fixture.Contract);
        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.Contains("named 'message'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("connection 'OtherStorage'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_queue_function_without_a_folder_is_reported()
    {
        var app = SmallApp();
        Directory.Delete(Path.Combine(app, "SyncPass"), recursive: true);

        var problem = Assert.Single(AppLayout.Check(app, fixture.Contract));
        Assert.StartsWith("SyncPass/: the handler serves queue function 'SyncPass'", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_for_a_function_the_handler_lacks_is_reported()
    {
        var app = SmallApp();
        Directory.CreateDirectory(Path.Combine(app, "Refund"));
        File.Copy(Path.Combine(app, "ApplyBill", "function.json"), Path.Combine(app, "Refund", "function.json"));

        var problem = Assert.Single(AppLayout.Check(app, fixture.Contract));
        Assert.Contains("no queue function 'Refund'", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void The_executable_must_be_there_and_executable()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // no Unix file modes
        }
        var app = SmallApp();
        var executable = Path.Combine(app, "AlipayFunctions");

        File.SetUnixFileMode(executable, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Contains("is not executable", Assert.Single(AppLayout.Check(app, fixture.Contract)), StringComparison.Ordinal);

        File.Delete(executable);
        Assert.Contains("is not in the app folder", Assert.Single(AppLayout.Check(app, fixture.Contract)), StringComparison.Ordinal);
    }

    [Fact]
    public void Host_json_must_forward_requests_at_the_root()
    {
        var app = SmallApp();
        var path = Path.Combine(app, "host.json");
        var host = JsonNode.Parse(File.ReadAllText(path))!;
        host["customHandler"]!["enableForwardingHttpRequest"] = false;
        host["extensions"]!["http"]!["routePrefix"] = "api";
        File.WriteAllText(path, host.ToJsonString());

        var problems = AppLayout.Check(app, fixture.Contract);
        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.Contains("enableForwardingHttpRequest", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("routePrefix", StringComparison.Ordinal));
    }

    /// <summary>
    /// An app folder assembled from the repository's host.json and function.json files and a stand-in executable:
    /// deployable as it is, so each test breaks one thing and expects exactly that to be reported.
    /// </summary>
    private string SmallApp()
    {
        var handler = Directory.CreateDirectory(Path.Combine(_temp.Path, "handler")).FullName;
        var executable = Path.Combine(handler, "AlipayFunctions");
        File.WriteAllText(executable, "#!/bin/sh\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(executable, File.GetUnixFileMode(executable) | UnixFileMode.UserExecute);
        }
        foreach (var functionJson in Directory.GetFiles(Repo.FunctionsSource, "function.json", SearchOption.AllDirectories))
        {
            var target = Path.Combine(handler, "Functions", Path.GetRelativePath(Repo.FunctionsSource, functionJson));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(functionJson, target);
        }
        var app = Path.Combine(_temp.Path, "app");
        AppLayout.Assemble(handler, Repo.HostJson, app);
        Assert.Empty(AppLayout.Check(app, fixture.Contract));
        return app;
    }

    private static void Edit(string app, string function, Action<JsonObject> editTrigger)
    {
        var path = Path.Combine(app, function, "function.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        editTrigger(json["bindings"]!.AsArray().OfType<JsonObject>().First(b => ((string?)b["type"])!.EndsWith("Trigger", StringComparison.Ordinal)));
        File.WriteAllText(path, json.ToJsonString());
    }
}
