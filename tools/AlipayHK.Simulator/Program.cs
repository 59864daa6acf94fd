using System.Text.Encodings.Web;
using System.Text.Json;
using AlipayHK.Simulator;

// The AlipayHK simulator as a tool:
//   dotnet run --project tools/AlipayHK.Simulator -- [--urls http://127.0.0.1:5180] [--info-file sim.json]
//     --Simulator:MerchantPublicKeyPath=merchant.pub.pem [--Simulator:ClientId=...] ...
// Configuration: command line, environment (Simulator__ClientId), appsettings.json. It binds loopback by default:
// the /admin endpoints have no authentication.
var builder = WebApplication.CreateBuilder(args);
var options = builder.Configuration.GetSection(SimulatorOptions.SectionName).Get<SimulatorOptions>() ?? new SimulatorOptions();
options.Urls = builder.Configuration["urls"] ?? "http://127.0.0.1:5180";

SimulatorHost sim;
try
{
    sim = await SimulatorHost.StartAsync(builder, options, clock: null).ConfigureAwait(false);
}
catch (InvalidOperationException e)
{
    await Console.Error.WriteLineAsync($"The simulator cannot start: {e.Message}").ConfigureAwait(false);
    return 2;
}

await using (sim.ConfigureAwait(false))
{
    var info = new SimulatorInfo(sim.BaseUrl.ToString(), sim.ClientId, sim.MerchantId, options.KeyVersion, sim.PlatformPublicKey, sim.Keys.PlatformKeyGenerated);
    Console.WriteLine($"AlipayHK simulator listening on {info.BaseUrl}");
    Console.WriteLine($"  client id:           {info.ClientId}");
    Console.WriteLine($"  merchant id:         {info.MerchantId}");
    Console.WriteLine($"  platform public key: {info.PlatformPublicKey}{(info.PlatformKeyGenerated ? "  (generated for this run)" : "")}");
    Console.WriteLine($"  status page:         {info.BaseUrl}  (admin API under {info.BaseUrl}admin/, loopback only)");
    if (builder.Configuration["info-file"] is { Length: > 0 } infoFile)
    {
        await File.WriteAllTextAsync(infoFile, JsonSerializer.Serialize(info, SimulatorInfo.Json)).ConfigureAwait(false);
        Console.WriteLine($"  info written to:     {infoFile}");
    }
    await sim.WaitForShutdownAsync().ConfigureAwait(false);
}
return 0;

/// <summary>What the tool prints and writes to <c>--info-file</c>, for scripts.</summary>
internal sealed record SimulatorInfo(string BaseUrl, string ClientId, string MerchantId, string KeyVersion, string PlatformPublicKey, bool PlatformKeyGenerated)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        // Keeps the base64 key readable ('+' unescaped) for shell scripts; the file is never embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
