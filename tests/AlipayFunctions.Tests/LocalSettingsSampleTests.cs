using System.Text.Json.Nodes;
using AlipayFunctions.Storage;
using AlipayFunctions.Testing;
using AlipayFunctions.Tests.Infrastructure;
using AlipayHK.Simulator;
using AlipayHK.Simulator.Webhooks;
using LocalFunctionsHost;
using FunctionsHost = LocalFunctionsHost.LocalFunctionsHost;

namespace AlipayFunctions.Tests;

/// <summary>
/// Issue 11: <c>local.settings.sample.json</c> works as it is with <c>func start</c>, given the local development keys
/// the README's one command makes (<see cref="LocalKeys"/>, the demo's <c>--keys-only</c>) and the simulator started
/// by hand with its default ids and the same <c>.local/</c> files. A repository-like folder is laid out in a temp
/// folder: <c>.local/</c> with fresh keys, and a copy of the worker's build output three levels below it holding the
/// sample as its <c>local.settings.json</c>. The worker runs there (its working directory is the script root, as under
/// func start) with the sample's relative key paths.
/// </summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class LocalSettingsSampleTests(AzuriteFixture azurite)
{
    private static readonly string SamplePath = Path.Combine(WorkerBuild.RepoRoot, "local.settings.sample.json");

    private static JsonObject SampleValues() => JsonNode.Parse(File.ReadAllText(SamplePath))!["Values"]!.AsObject();

    [Fact]
    public void The_sample_runs_the_isolated_worker_on_development_storage_and_names_its_keys_by_file_only()
    {
        var values = SampleValues();

        Assert.Equal("dotnet-isolated", (string?)values["FUNCTIONS_WORKER_RUNTIME"]);
        Assert.Equal("UseDevelopmentStorage=true", (string?)values["AzureWebJobsStorage"]);
        Assert.Equal(".local/platform-public.pem", (string?)values["AlipayHK__PlatformPublicKeyPath"]);
        Assert.Equal(".local/merchant-private.pem", (string?)values["Signing__PrivateKeyPath"]);
        // No key in the file itself, and no placeholder to fill in.
        Assert.False(values.ContainsKey("AlipayHK__PlatformPublicKey"));
        Assert.False(values.ContainsKey("Signing__PrivateKeyPem"));
        Assert.DoesNotContain("<", values.ToJsonString(), StringComparison.Ordinal);
        // The names of the files LocalKeys makes, so that the one command makes what the sample names.
        Assert.Contains("platform-public.pem", LocalKeys.FileNames);
        Assert.Contains("merchant-private.pem", LocalKeys.FileNames);
    }

    [Fact]
    public async Task The_worker_started_with_the_sample_as_it_is_answers_the_simulator_started_with_the_same_local_keys()
    {
        var repo = Directory.CreateTempSubdirectory("sample-repo-");
        try
        {
            // What `dotnet run --project tools/AlipayFunctions.Demo -- --keys-only` does, into the repository-like folder.
            var keys = LocalKeys.LoadOrCreate(Path.Combine(repo.FullName, ".local"));
            var scriptRoot = Path.Combine(repo.FullName, "functions", "AlipayFunctions", "bin", "Release", "net10.0");
            CopyDirectory(WorkerBuild.ScriptRoot, scriptRoot);
            File.Copy(SamplePath, Path.Combine(scriptRoot, "local.settings.json"), overwrite: true);
            var values = SampleValues();

            // As the README starts it: default client and merchant ids, the keys' files from .local/.
            var simOptions = new SimulatorOptions
            {
                MerchantPublicKeyPath = Path.Combine(repo.FullName, ".local", "merchant-public.pem"),
                PlatformPrivateKeyPath = keys.PlatformPrivatePath,
            };
            simOptions.Webhooks.MerchantTag = (string)values["Webhooks__MerchantTag"]!;
            simOptions.Webhooks.TimeFactor = 10_000;
            await using var sim = await SimulatorHost.StartAsync(simOptions);

            await ClearAppQueuesAsync();
            var logs = new CapturedLogs();
            var hostOptions = new LocalHostOptions { ScriptRoot = scriptRoot, Port = 0, Output = logs.Add, StartTimeout = TimeSpan.FromSeconds(120) };
            // Only these two differ from the sample, and they win over its Values as the environment does under Core
            // Tools (the local host: Values, then the environment, then these): Azurite and the simulator are on free
            // ports here, not on the well-known ones.
            hostOptions.Settings["AzureWebJobsStorage"] = azurite.ConnectionString;
            hostOptions.Settings["AlipayHK__BaseUrl"] = sim.BaseUrl.ToString();
            FunctionsHost host;
            try
            {
                host = await FunctionsHost.StartAsync(hostOptions);
            }
            catch (LocalHostException e)
            {
                // The worker's own start-up line (a key it cannot find, ...) is in the host's output.
                throw new Xunit.Sdk.XunitException($"{e.Message}\n{logs.AllText()}");
            }
            await using var hostLifetime = host;
            sim.Options.Webhooks.TargetBaseUrl = host.BaseAddress;

            // Verified by the app with .local/platform-public.pem; its signed SUCCESS verified by the simulator with
            // .local/merchant-public.pem, on the first attempt.
            var user = TestApp.NewUserId();
            var created = await (await sim.Webhooks.SendMemberCardCreateAsync(new MemberCardCreateWebhook { UserId = user })).WaitAsync();
            Assert.True(created.State == WebhookState.Delivered, $"membercard/create was {created.State}; host and worker:\n{logs.AllText()}");
            Assert.Single(created.Attempts);

            // The card: createPass signed with .local/merchant-private.pem, found from the script root by its relative path.
            var templateCode = (string)values["Loyalty__TemplateCode"]!;
            await Eventually.UntilAsync(
                () => sim.State.Passes.FindByBizSerialId(sim.MerchantId, templateCode, created.MemberId!) is not null,
                "the card created on the simulator",
                TimeSpan.FromSeconds(60),
                logs.AllText);
        }
        finally
        {
            repo.Delete(recursive: true);
        }
    }

    private async Task ClearAppQueuesAsync()
    {
        // Other tests' leftovers would reach this worker (the app's queue names are fixed).
        var queues = TestStorage.Queues(azurite.ConnectionString);
        foreach (var name in AppStorage.Queues.SelectMany(q => new[] { q, AppStorage.PoisonQueue(q) }))
        {
            var queue = queues.GetQueueClient(name);
            await queue.CreateIfNotExistsAsync();
            await queue.ClearMessagesAsync();
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
