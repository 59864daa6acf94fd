using System.Globalization;

namespace LocalFunctionsHost;

/// <summary>The <c>start</c> command: parses <c>func start</c>-like options, runs the host until Ctrl-C.</summary>
internal static class HostCommand
{
    private const string Usage = "usage: LocalFunctionsHost start --script-root <worker output folder> [--port <port>] [--verbose]";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] != "start")
        {
            await Console.Error.WriteLineAsync(Usage).ConfigureAwait(false);
            return 2;
        }

        string? scriptRoot = null;
        int? port = null;
        var verbose = false;
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--script-root" when i + 1 < args.Length:
                    scriptRoot = args[++i];
                    break;
                case "--port" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p <= 65535:
                    port = p;
                    i++;
                    break;
                case "--verbose":
                    verbose = true;
                    break;
                default:
                    await Console.Error.WriteLineAsync($"Unknown or incomplete option '{args[i]}'. {Usage}").ConfigureAwait(false);
                    return 2;
            }
        }

        scriptRoot ??= Directory.GetCurrentDirectory();
        var options = new LocalHostOptions
        {
            ScriptRoot = Path.GetFullPath(scriptRoot),
            Port = port ?? HostSettings.LocalHttpPort(Path.GetFullPath(scriptRoot)) ?? 7071,
            Verbose = verbose,
        };

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, signal =>
        {
            signal.Cancel = true;
            stop.Cancel();
        });

        LocalFunctionsHost host;
        try
        {
            host = await LocalFunctionsHost.StartAsync(options, stop.Token).ConfigureAwait(false);
        }
        catch (LocalHostException e)
        {
            await Console.Error.WriteLineAsync(e.Message).ConfigureAwait(false);
            return 1;
        }
        catch (OperationCanceledException)
        {
            return 1;
        }

        await using (host.ConfigureAwait(false))
        {
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Console.WriteLine("Stopping the host...");
            }

            await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        return 0;
    }
}
