using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using AlipayFunctions.Demo;
using AlipayFunctions.Hosting;
using AlipayFunctions.Testing;
using AlipayHK.Simulator;
using Spectre.Console;

// The local run (README "Run it locally"): Azurite, the AlipayHK simulator and the app, then a short demo.
// Ctrl-C stops everything this process started.
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
var exitAfterDemo = args.Contains("--exit-after-demo");
// Keep the demo's own progress readable: the services log warnings and errors only, unless told otherwise.
if (Environment.GetEnvironmentVariable("Logging__LogLevel__Default") is null)
{
    Environment.SetEnvironmentVariable("Logging__LogLevel__Default", "Warning");
}

var root = AzuriteProcess.FindRepoRoot();
await EnsureAzuriteInstalledAsync(root, stop.Token).ConfigureAwait(false);
var keys = LocalKeys.LoadOrCreate(Path.Combine(root, ".local"));
const string MerchantTag = "demo-shop";
const string TemplateCode = "TPL-MEMBER";
const string PointsVariable = "$points$";

AzuriteProcess? azurite = null;
SimulatorHost? simulator = null;
Microsoft.AspNetCore.Builder.WebApplication? app = null;
try
{
    var appUrl = new Uri($"http://127.0.0.1:{PreferredPort(7071)}");
    await AnsiConsole.Status().StartAsync("Starting Azurite, the AlipayHK simulator and the app...", async _ =>
    {
        azurite = await AzuriteProcess.StartAsync(stop.Token).ConfigureAwait(false);
        var simulatorOptions = new SimulatorOptions
        {
            Urls = $"http://127.0.0.1:{PreferredPort(7070)}",
            ClientId = "DEMO-CLIENT-0001",
            MerchantId = "DEMO-MERCHANT-0001",
            MerchantPublicKey = keys.MerchantPublicPem,
            PlatformPrivateKey = keys.PlatformPrivatePem,
        };
        simulatorOptions.Webhooks.TargetBaseUrl = appUrl;
        simulatorOptions.Webhooks.MerchantTag = MerchantTag;
        simulatorOptions.Webhooks.TimeFactor = 600; // AlipayHK's 2-minute first retry becomes 0.2 s
        simulator = await AlipayHK.Simulator.SimulatorHost.StartAsync(simulatorOptions, stop.Token).ConfigureAwait(false);

        var settings = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["AlipayHK:BaseUrl"] = simulator.BaseUrl.ToString(),
            ["AlipayHK:ClientId"] = simulator.ClientId,
            ["AlipayHK:MerchantId"] = simulator.MerchantId,
            ["AlipayHK:PlatformPublicKey"] = simulator.PlatformPublicKey,
            ["Signing:Mode"] = "Pem",
            ["Signing:PrivateKeyPem"] = keys.MerchantPrivatePem,
            ["Webhooks:MerchantTag"] = MerchantTag,
            ["Loyalty:TemplateCode"] = TemplateCode,
            ["Loyalty:PointsVariable"] = PointsVariable,
            ["MiniApp:SessionSecret"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Queues:PassSyncDelay"] = "00:00:00.500",
        };
        app = FunctionsApp.Build(["--urls", appUrl.ToString()], builder => builder.Configuration.AddInMemoryCollection(settings));
        await app.StartAsync(stop.Token).ConfigureAwait(false);
    }).ConfigureAwait(false);

    AnsiConsole.MarkupLine($"[green]Running.[/] App [link]{appUrl}[/], AlipayHK simulator [link]{simulator!.BaseUrl}[/], Azurite queues {azurite!.QueueEndpoint}, tables {azurite.TableEndpoint}");
    await new DemoScript(simulator, TemplateCode, PointsVariable).PlayAsync(stop.Token).ConfigureAwait(false);

    if (exitAfterDemo)
    {
        return 0;
    }
    PrintHowToPoke(appUrl, simulator, MerchantTag);
    await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
    return 0;
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    AnsiConsole.MarkupLine("Stopping...");
    return 0;
}
catch (Exception e) when (e is InvalidOperationException or TimeoutException or DemoFailedException or AlipayFunctions.Settings.SettingsException)
{
    AnsiConsole.MarkupLine($"[red]The local run failed:[/] {Markup.Escape(e.Message)}");
    return 1;
}
finally
{
    if (app is not null)
    {
        await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
    }
    if (simulator is not null)
    {
        await simulator.DisposeAsync().ConfigureAwait(false);
    }
    if (azurite is not null)
    {
        await azurite.DisposeAsync().ConfigureAwait(false);
    }
}

static async Task EnsureAzuriteInstalledAsync(string root, CancellationToken ct)
{
    if (File.Exists(Path.Combine(root, "node_modules", ".bin", "azurite")))
    {
        return;
    }
    AnsiConsole.MarkupLine("Installing the pinned Azurite ([grey]npm ci[/])...");
    using var npm = Process.Start(new ProcessStartInfo("npm", "ci --no-audit --no-fund --loglevel=error") { WorkingDirectory = root })
        ?? throw new InvalidOperationException("npm could not be started: install Node.js 20 with npm.");
    await npm.WaitForExitAsync(ct).ConfigureAwait(false);
    if (npm.ExitCode != 0)
    {
        throw new InvalidOperationException($"npm ci failed with exit code {npm.ExitCode}.");
    }
}

// The well-known port when it is free (so the printed commands are stable), else any free one.
static int PreferredPort(int preferred)
{
    foreach (var port in new[] { preferred, 0 })
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        catch (SocketException)
        {
        }
    }
    throw new InvalidOperationException("No free loopback port.");
}

static void PrintHowToPoke(Uri appUrl, SimulatorHost simulator, string tag)
{
    AnsiConsole.WriteLine();
    AnsiConsole.MarkupLine("[bold]Still running. Poke it by hand:[/]");
    AnsiConsole.MarkupLine($"  Simulator status page (passes, calls, webhooks): [link]{simulator.BaseUrl}[/]");
    AnsiConsole.MarkupLine($"  A payment, sent by the simulator as AlipayHK would (signed, retried until SUCCESS):");
    AnsiConsole.WriteLine($"    curl -s -X POST {simulator.BaseUrl}admin/webhooks/bill-notify -H 'Content-Type: application/json' -d '{{\"userId\":\"2160000000000001\",\"currency\":\"HKD\",\"value\":5000}}'");
    AnsiConsole.MarkupLine($"  A new member:");
    AnsiConsole.WriteLine($"    curl -s -X POST {simulator.BaseUrl}admin/webhooks/membercard-create -H 'Content-Type: application/json' -d '{{\"userId\":\"2160000000000001\"}}'");
    AnsiConsole.MarkupLine($"  Make createPass fail twice (the app retries): ");
    AnsiConsole.WriteLine($"    curl -s -X POST {simulator.BaseUrl}admin/faults -H 'Content-Type: application/json' -d '{{\"path\":\"createPass\",\"kind\":\"Http500\",\"mode\":\"NextN\",\"count\":2}}'");
    AnsiConsole.MarkupLine($"  Webhooks served by the app: {appUrl}{tag}/points/membercard/create and /bill/notify");
    AnsiConsole.MarkupLine("[grey]Ctrl-C stops Azurite, the simulator and the app.[/]");
}
