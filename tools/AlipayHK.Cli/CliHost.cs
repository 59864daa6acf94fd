using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Configuration;

namespace AlipayHK.Cli;

/// <summary>
/// What a command runs against: where it writes, the configuration it starts from (the app's keys, read from
/// environment variables in a real run) and the outside world (clock, Azure credential, HTTP). Tests build one
/// with captured writers and an in-memory configuration.
/// </summary>
internal sealed class CliHost
{
    /// <summary>Where results go (tables, progress bars): standard output.</summary>
    public required IAnsiConsole Console { get; init; }

    /// <summary>Standard output as plain text, for System.CommandLine's help.</summary>
    public required TextWriter Output { get; init; }

    /// <summary>Errors and diagnostics: standard error.</summary>
    public required TextWriter Error { get; init; }

    /// <summary>The app's configuration keys (environment variables in a real run); command-line options override them.</summary>
    public required IConfiguration Configuration { get; init; }

    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>The identity for Key Vault and identity-based storage.</summary>
    public Func<TokenCredential> Credential { get; init; } = static () => new DefaultAzureCredential();

    /// <summary>Creates the HTTP client for AlipayHK calls and test webhooks.</summary>
    public Func<HttpClient> HttpClient { get; init; } = static () => new HttpClient();

    /// <summary>Standard output and error; plain text (no colours, links or live progress) when the output is not a terminal.</summary>
    public static CliHost ForProcess() => new()
    {
        Console = System.Console.IsOutputRedirected ? PlainConsole(System.Console.Out) : AnsiConsole.Console,
        Output = System.Console.Out,
        Error = System.Console.Error,
        Configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build(),
    };

    /// <summary>A host writing plain text (no colours, no live rendering) to the given writers.</summary>
    public static CliHost ForWriters(TextWriter output, TextWriter error, IConfiguration configuration) =>
        new() { Console = PlainConsole(output), Output = output, Error = error, Configuration = configuration };

    private static IAnsiConsole PlainConsole(TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 200; // wide enough that tables do not wrap ids
        return console;
    }
}
