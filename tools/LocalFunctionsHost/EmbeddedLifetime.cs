namespace LocalFunctionsHost;

/// <summary>
/// The host's own Kestrel apps (gRPC, HTTP) must not react to Ctrl-C or SIGTERM themselves: ASP.NET Core's console
/// lifetime would stop the gRPC server under the worker. The command (or the embedding test) decides when to stop.
/// </summary>
internal sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
