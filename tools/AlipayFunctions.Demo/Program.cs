using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using AlipayFunctions.Demo;
using AlipayFunctions.Testing;
using AlipayHK.Simulator;
using LocalFunctionsHost;
using FunctionsHost = LocalFunctionsHost.LocalFunctionsHost;

// The local run (README "Run it locally"): Azurite, the AlipayHK simulator and the BUILT function app under the
// local Functions host, then a short demo. Ctrl-C (or SIGTERM) stops everything this process started.
// --keys-only: only make the local development keys in .local/ (when missing), then exit.
using var stop = new CancellationTokenSource();
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}
var exitAfterDemo = args.Contains("--exit-after-demo");
var console = DemoConsole.ForProcess();

var root = AzuriteProcess.FindRepoRoot();
var local = Directory.CreateDirectory(Path.Combine(root, ".local")).FullName;
if (args.Contains("--keys-only"))
{
    // Only the local development keys (README: func start with local.settings.sample.json, which names them by file).
    var made = LocalKeys.LoadOrCreate(local);
    console.Line($"{(made.Created ? "Made" : "Kept")} the local development keys in {Path.GetRelativePath(root, local)}/: {string.Join(", ", LocalKeys.FileNames)}.");
    return 0;
}
var scriptRoot = Path.Combine(root, typeof(DemoScript).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "WorkerOutput").Value!);
const string MerchantTag = "demo-shop";
const string TemplateCode = "TPL-MEMBER";
const string PointsVariable = "$points$";

AzuriteProcess? azurite = null;
SimulatorHost? simulator = null;
FunctionsHost? host = null;
var hostLog = Path.Combine(local, "demo-host.log");
using var hostLogWriter = new StreamWriter(hostLog, append: false) { AutoFlush = true };
try
{
    if (!File.Exists(Path.Combine(scriptRoot, "functions.metadata")))
    {
        throw new InvalidOperationException($"The function app is not built at {scriptRoot}: run dotnet build tools/AlipayFunctions.Demo (dotnet run builds it).");
    }
    await EnsureAzuriteInstalledAsync(root, console, stop.Token).ConfigureAwait(false);
    var keys = LocalKeys.LoadOrCreate(local);
    console.Line("Starting Azurite, the AlipayHK simulator and the function app (the local Functions host)...");
    var appUrl = new Uri($"http://127.0.0.1:{PreferredPort(7071)}/");
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
    simulator = await SimulatorHost.StartAsync(simulatorOptions, stop.Token).ConfigureAwait(false);

    // The app's own configuration keys, as the worker reads them from its environment (local.settings.json's Values
    // or app settings in Azure).
    var appSettings = new Dictionary<string, string>
    {
        ["AzureWebJobsStorage"] = azurite.ConnectionString,
        ["AlipayHK__BaseUrl"] = simulator.BaseUrl.ToString(),
        ["AlipayHK__ClientId"] = simulator.ClientId,
        ["AlipayHK__MerchantId"] = simulator.MerchantId,
        ["AlipayHK__PlatformPublicKey"] = simulator.PlatformPublicKey,
        ["Signing__Mode"] = "Pem",
        ["Signing__PrivateKeyPath"] = keys.MerchantPrivatePath,
        ["Webhooks__MerchantTag"] = MerchantTag,
        ["Loyalty__TemplateCode"] = TemplateCode,
        ["Loyalty__PointsVariable"] = PointsVariable,
    };
    var options = new LocalHostOptions { ScriptRoot = scriptRoot, Port = appUrl.Port, Output = hostLogWriter.WriteLine };
    foreach (var (key, value) in appSettings)
    {
        options.Settings[key] = value;
    }
    options.Settings["MiniApp__SessionSecret"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    options.Settings["Queues__PassSyncDelay"] = "00:00:00.500";
    // The demo's own progress stays readable: the worker logs warnings and errors (all of it goes to the host log).
    options.Settings["Logging__LogLevel__Default"] = Environment.GetEnvironmentVariable("Logging__LogLevel__Default") ?? "Warning";
    host = await FunctionsHost.StartAsync(options, stop.Token).ConfigureAwait(false);

    console.Line($"Running: app {host.BaseAddress} ({host.Functions.Count} functions, worker output {Path.GetRelativePath(root, scriptRoot)}), AlipayHK simulator {simulator.BaseUrl}, Azurite queues {azurite.QueueEndpoint} tables {azurite.TableEndpoint}.");
    console.Line($"Host and worker log: {Path.GetRelativePath(root, hostLog)}");

    // The demo's own test user: shown in full, so that it can be looked up with the CLI.
    var userId = "2160" + Random.Shared.NextInt64(100_000_000_000, 999_999_999_999).ToString(CultureInfo.InvariantCulture);
    var (memberId, passId) = await new DemoScript(simulator, console, TemplateCode, PointsVariable).PlayAsync(userId, stop.Token).ConfigureAwait(false);

    var envFile = DemoEnvironment.Write(local,
    [
        .. appSettings.Where(s => s.Key is not ("Webhooks__MerchantTag" or "Loyalty__PointsVariable")),
        new("DEMO_APP_URL", host.BaseAddress.ToString()),
        new("DEMO_SIMULATOR_URL", simulator.BaseUrl.ToString()),
        new("DEMO_PLATFORM_KEY", keys.PlatformPrivatePath),
        new("DEMO_BILL_NOTIFY_URL", new Uri(host.BaseAddress, $"{MerchantTag}/points/bill/notify").ToString()),
        new("DEMO_USER_ID", userId),
        new("DEMO_MEMBER_ID", memberId),
        new("DEMO_PASS_ID", passId),
    ]);
    console.Line();
    console.Line($"Settings for the operator CLI (storage, AlipayHK simulator, client id, keys): {Path.GetRelativePath(root, envFile)}");
    if (exitAfterDemo)
    {
        return 0;
    }
    PrintHowToPoke(console, simulator);
    await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
    return 0;
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    console.Line("Stopping...");
    return 0;
}
catch (Exception e) when (e is InvalidOperationException or TimeoutException or DemoFailedException or LocalHostException or IOException)
{
    console.Failure($"The local run failed: {e.Message}");
    console.Line($"Host and worker log: {hostLog}");
    return 1;
}
finally
{
    if (host is not null)
    {
        await host.DisposeAsync().ConfigureAwait(false);
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

static async Task EnsureAzuriteInstalledAsync(string root, DemoConsole console, CancellationToken ct)
{
    if (File.Exists(Path.Combine(root, "node_modules", ".bin", "azurite")))
    {
        return;
    }
    console.Line("Installing the pinned Azurite (npm ci)...");
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

// One command per line, so that each can be copied as it is.
static void PrintHowToPoke(DemoConsole console, SimulatorHost simulator)
{
    console.Line();
    console.Line("Still running. Try it by hand (in another shell, from the repository root):");
    console.Line("  The operator CLI on what the demo started (the member of the demo, then the poison queues):");
    console.Line("    source .local/demo.env && dotnet run --project tools/AlipayHK.Cli -- member \"$DEMO_USER_ID\"");
    console.Line("    source .local/demo.env && dotnet run --project tools/AlipayHK.Cli -- poison list");
    console.Line("  A payment signed as AlipayHK would, sent by the CLI (shows the app's answer and checks its signature):");
    console.Line("    source .local/demo.env && dotnet run --project tools/AlipayHK.Cli -- send bill-notify --url \"$DEMO_BILL_NOTIFY_URL\" --platform-key \"$DEMO_PLATFORM_KEY\" --user-id \"$DEMO_USER_ID\" --amount 5000");
    console.Line($"  The simulator's status page (passes, calls, webhooks): {simulator.BaseUrl}");
    console.Line("  A payment sent by the simulator (signed, retried until SUCCESS):");
    console.Line($"    curl -s -X POST {simulator.BaseUrl}admin/webhooks/bill-notify -H 'Content-Type: application/json' -d '{{\"userId\":\"2160000000000001\",\"currency\":\"HKD\",\"value\":5000}}'");
    console.Line("  A new member:");
    console.Line($"    curl -s -X POST {simulator.BaseUrl}admin/webhooks/membercard-create -H 'Content-Type: application/json' -d '{{\"userId\":\"2160000000000001\"}}'");
    console.Line("  Make createPass fail twice (the app retries):");
    console.Line($"    curl -s -X POST {simulator.BaseUrl}admin/faults -H 'Content-Type: application/json' -d '{{\"path\":\"createPass\",\"kind\":\"Http500\",\"mode\":\"NextN\",\"count\":2}}'");
    console.Line("Ctrl-C stops Azurite, the simulator and the app.");
}
