using Microsoft.Extensions.Configuration;

namespace AlipayHK.Cli.Tests.Support;

/// <summary>The outcome of one in-process run of <c>alipayhk</c>.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Output}\n--- stderr ---\n{Error}";
}

/// <summary>Runs the root command in process with captured output and a configuration in place of environment variables.</summary>
internal static class CliRunner
{
    public static async Task<CliRun> RunAsync(IDictionary<string, string?>? configuration, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var config = new ConfigurationBuilder().AddInMemoryCollection(configuration ?? new Dictionary<string, string?>()).Build();
        var host = CliHost.ForWriters(output, error, config);
        var exit = await CliApp.RunAsync(args, host);
        return new CliRun(exit, output.ToString(), error.ToString());
    }

    public static Task<CliRun> RunAsync(params string[] args) => RunAsync(null, args);
}

/// <summary>A temporary directory, deleted at the end of the test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "alipayhk-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
