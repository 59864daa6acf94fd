using AlipayHK.Simulator.Faults;
using AlipayHK.Simulator.Protocol;
using AlipayHK.Simulator.Webhooks;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace AlipayHK.Simulator;

/// <summary>
/// A running simulator on Kestrel. Tests start one with <see cref="StartAsync(SimulatorOptions, CancellationToken)"/>
/// on a free loopback port; the tool's Program runs the same host.
/// </summary>
public sealed class SimulatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private SimulatorHost(WebApplication app, SimulatorOptions options)
    {
        _app = app;
        Options = options;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        RootUrl = new Uri(address.Replace("://[::]", "://127.0.0.1", StringComparison.Ordinal).Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal) + "/");
        BaseUrl = string.IsNullOrEmpty(options.PathBase) ? RootUrl : new Uri(RootUrl, options.PathBase.Trim('/') + "/");
        Keys = app.Services.GetRequiredService<SimulatorKeys>();
        State = app.Services.GetRequiredService<SimulatorState>();
        Faults = app.Services.GetRequiredService<FaultRules>();
        Webhooks = app.Services.GetRequiredService<WebhookSender>();
    }

    /// <summary>Where the APIs answer, ending with <c>/</c> (<see cref="SimulatorOptions.PathBase"/> included): the merchant's <c>AlipayHK:BaseUrl</c>.</summary>
    public Uri BaseUrl { get; }

    /// <summary>Where the simulator listens, without <see cref="SimulatorOptions.PathBase"/>, ending with <c>/</c>.</summary>
    public Uri RootUrl { get; }

    /// <summary>The client id the merchant must send.</summary>
    public string ClientId => Options.ClientId;

    /// <summary>The merchant id the merchant must send.</summary>
    public string MerchantId => Options.MerchantId;

    /// <summary>The current platform public key (base64 SubjectPublicKeyInfo): the merchant's <c>AlipayHK:PlatformPublicKey</c>; see <see cref="SimulatorKeys.RotatePlatformKey"/>.</summary>
    public string PlatformPublicKey => Keys.PlatformPublicKey;

    /// <summary>The settings in force.</summary>
    public SimulatorOptions Options { get; }

    /// <summary>The keys (for signing in tests as the platform would).</summary>
    public SimulatorKeys Keys { get; }

    /// <summary>What the simulated AlipayHK holds: templates, passes, tokens, bills, shops, calls.</summary>
    public SimulatorState State { get; }

    /// <summary>The active fault rules; add and remove at any time.</summary>
    public FaultRules Faults { get; }

    /// <summary>Sends AlipayHK's webhooks to the merchant (<c>Webhooks:TargetBaseUrl</c>).</summary>
    public WebhookSender Webhooks { get; }

    /// <summary>Starts a simulator with the system clock.</summary>
    public static Task<SimulatorHost> StartAsync(SimulatorOptions options, CancellationToken cancellationToken = default) =>
        StartAsync(options, clock: null, cancellationToken);

    /// <summary>Starts a simulator with an injected clock (auth code expiry, timestamps, webhook retry delays).</summary>
    public static Task<SimulatorHost> StartAsync(SimulatorOptions options, TimeProvider? clock, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        return StartAsync(builder, options, clock, cancellationToken);
    }

    /// <summary>Starts a simulator on a prepared builder (the tool passes one carrying its configuration and logging).</summary>
    public static async Task<SimulatorHost> StartAsync(WebApplicationBuilder builder, SimulatorOptions options, TimeProvider? clock, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        var app = SimulatorApp.Build(builder, options, clock ?? TimeProvider.System);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return new SimulatorHost(app, options);
    }

    /// <summary>Completes when the host is asked to shut down (Ctrl+C, SIGTERM).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops listening and stops sending webhooks.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_stopped)
        {
            return;
        }
        _stopped = true;
        await Webhooks.DisposeAsync().ConfigureAwait(false);
        await _app.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        Keys.Dispose();
    }
}
