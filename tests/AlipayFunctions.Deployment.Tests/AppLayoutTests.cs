using System.Diagnostics;
using System.Text.Json.Nodes;

namespace AlipayFunctions.Deployment.Tests;

/// <summary>
/// Publishes the app once, exactly as tools/publish.sh does (framework-dependent, linux-x64), into a temporary folder.
/// </summary>
public sealed class PublishedAppFixture : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _temp = new();

    public string Folder => Path.Combine(_temp.Path, "publish");

    public async Task InitializeAsync()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList =
            {
                "publish", Path.Combine(Repo.AppSource, "AlipayFunctions.csproj"), "-c", "Release", "-r", "linux-x64",
                "--self-contained", "false", "-o", Folder, "--nologo", "-v", "quiet",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var publish = Process.Start(start)!;
        var output = publish.StandardOutput.ReadToEndAsync();
        var error = publish.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await publish.WaitForExitAsync(timeout.Token);
        Assert.True(publish.ExitCode == 0, $"dotnet publish failed ({publish.ExitCode}):\n{await output}\n{await error}");
    }

    /// <summary>A writable copy of the publish output, to break one thing in.</summary>
    public string Copy(string target)
    {
        foreach (var file in Directory.EnumerateFiles(Folder, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(Folder, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        return target;
    }

    public Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _temp.Dispose();
}

/// <summary>
/// The check tools/publish.sh runs (<see cref="AppLayout"/>), on a real <c>dotnet publish</c> of the app: it passes,
/// and each way a publish can go wrong is reported.
/// </summary>
public sealed class AppLayoutTests(PublishedAppFixture published) : IClassFixture<PublishedAppFixture>, IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string App() => published.Copy(Path.Combine(_temp.Path, "app"));

    [Fact]
    public void The_publish_output_is_deployable()
    {
        Assert.Empty(AppLayout.Check(published.Folder, FunctionContract.Expected));
        Assert.True(File.Exists(Path.Combine(published.Folder, "AlipayFunctions.dll")));
    }

    [Fact]
    public void The_publish_output_lists_exactly_the_app_functions_with_their_triggers()
    {
        // Guards the check itself: read functions.metadata here, independently of AppLayout.
        var metadata = JsonNode.Parse(File.ReadAllText(Path.Combine(published.Folder, AppLayout.MetadataFile)))!.AsArray();
        var triggers = metadata.ToDictionary(
            f => (string)f!["name"]!,
            f => f!["bindings"]!.AsArray().Single(b => ((string)b!["type"]!).EndsWith("Trigger", StringComparison.Ordinal))!);
        Assert.Equal(
            ["ApplyBill", "BillNotify", "CreatePass", "MemberCardCreate", "MiniAppAuthorize", "MiniAppBills", "Reconcile", "SyncPass"],
            triggers.Keys.Except(FunctionContract.Optional.Keys).Order(StringComparer.Ordinal));
        Assert.All(triggers.Where(t => !FunctionContract.Optional.ContainsKey(t.Key) && (string?)t.Value["type"] == "httpTrigger").Select(t => t.Value), t => Assert.Contains("post", t["methods"]!.AsArray().Select(m => ((string?)m)?.ToLowerInvariant())));
        Assert.Equal("{merchantTag}/points/bill/notify", (string?)triggers["BillNotify"]["route"]);
        Assert.Equal("{merchantTag}/points/membercard/create", (string?)triggers["MemberCardCreate"]["route"]);
        Assert.Equal("bills", (string?)triggers["ApplyBill"]["queueName"]);
        Assert.Equal("pass-sync", (string?)triggers["SyncPass"]["queueName"]);
        Assert.Equal("0 */5 * * * *", (string?)triggers["Reconcile"]["schedule"]);
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(published.Folder, AppLayout.HostJsonFile)))!;
        Assert.Equal("", (string?)host["extensions"]!["http"]!["routePrefix"]);
    }

    [Fact]
    public void The_repository_host_json_is_the_one_published()
    {
        Assert.Equal(
            JsonNode.Parse(File.ReadAllText(Repo.HostJson))!.ToJsonString(),
            JsonNode.Parse(File.ReadAllText(Path.Combine(published.Folder, AppLayout.HostJsonFile)))!.ToJsonString());
    }

    [Fact]
    public void A_missing_function_is_reported()
    {
        var app = App();
        EditMetadata(app, functions => functions.Remove(functions.Single(f => (string?)f!["name"] == "SyncPass")));

        var problem = Assert.Single(AppLayout.Check(app, FunctionContract.Expected));
        Assert.Contains("'SyncPass' is missing", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_changed_route_method_or_auth_level_is_reported()
    {
        var app = App();
        EditTrigger(app, "BillNotify", t => t["route"] = "{merchantTag}/points/bills/notify");
        EditTrigger(app, "MiniAppAuthorize", t => t["methods"] = new JsonArray("get"));
        EditTrigger(app, "MemberCardCreate", t => t["authLevel"] = "Function");

        var problems = AppLayout.Check(app, FunctionContract.Expected);
        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.Contains("BillNotify: route '{merchantTag}/points/bills/notify'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("MiniAppAuthorize: methods [GET] do not include POST", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("MemberCardCreate: authLevel 'Function'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_wrong_queue_or_connection_is_reported()
    {
        var app = App();
        EditTrigger(app, "CreatePass", t => t["queueName"] = "pass-sync");
        EditTrigger(app, "ApplyBill", t => t["connection"] = "OtherStorage");

        var problems = AppLayout.Check(app, FunctionContract.Expected);
        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.Contains("CreatePass: reads queue 'pass-sync', not 'pass-create'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("connection 'OtherStorage'", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_function_is_reported()
    {
        var app = App();
        EditMetadata(app, functions =>
        {
            var copy = functions.Single(f => (string?)f!["name"] == "ApplyBill")!.DeepClone();
            copy["name"] = "Refund";
            functions.Add(copy);
        });

        var problem = Assert.Single(AppLayout.Check(app, FunctionContract.Expected));
        Assert.Contains("'Refund' is not one of the app's functions", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_worker_or_worker_config_is_reported()
    {
        var app = App();
        File.Delete(Path.Combine(app, "AlipayFunctions.dll"));

        var problems = AppLayout.Check(app, FunctionContract.Expected);
        Assert.Contains(problems, p => p.StartsWith("worker.config.json: the worker 'AlipayFunctions.dll' is not in the app folder", StringComparison.Ordinal));

        File.Delete(Path.Combine(app, AppLayout.WorkerConfigFile));
        Assert.Contains(AppLayout.Check(app, FunctionContract.Expected), p => p == "worker.config.json: missing from the app folder.");
    }

    [Fact]
    public void A_custom_handler_or_api_route_prefix_in_host_json_is_reported()
    {
        var app = App();
        var path = Path.Combine(app, AppLayout.HostJsonFile);
        var host = JsonNode.Parse(File.ReadAllText(path))!;
        host["customHandler"] = new JsonObject { ["description"] = new JsonObject { ["defaultExecutablePath"] = "AlipayFunctions" } };
        host["extensions"]!["http"]!["routePrefix"] = "api";
        File.WriteAllText(path, host.ToJsonString());

        var problems = AppLayout.Check(app, FunctionContract.Expected);
        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.Contains("customHandler", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("routePrefix", StringComparison.Ordinal));
    }

    [Fact]
    public void Broken_json_is_reported_not_thrown()
    {
        var app = App();
        File.WriteAllText(Path.Combine(app, AppLayout.MetadataFile), "[{\"name\": \"ApplyBill\"");

        Assert.Contains(AppLayout.Check(app, FunctionContract.Expected), p => p.StartsWith("functions.metadata: not valid JSON", StringComparison.Ordinal));
    }

    private static void EditMetadata(string app, Action<JsonArray> edit)
    {
        var path = Path.Combine(app, AppLayout.MetadataFile);
        var functions = JsonNode.Parse(File.ReadAllText(path))!.AsArray();
        edit(functions);
        File.WriteAllText(path, functions.ToJsonString());
    }

    private static void EditTrigger(string app, string function, Action<JsonObject> edit) => EditMetadata(app, functions =>
        edit(functions.Single(f => (string?)f!["name"] == function)!["bindings"]!.AsArray().OfType<JsonObject>()
            .Single(b => ((string?)b["type"])!.EndsWith("Trigger", StringComparison.Ordinal))));
}
