using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;

namespace AlipayFunctions.Deployment.Tests;

/// <summary>What one run of the Bicep CLI printed.</summary>
internal sealed record BicepRun(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Bicep prints every diagnostic (error, warning, linter rule) on standard error, nothing else.</summary>
    public string Diagnostics => StandardError.Trim();
}

/// <summary>
/// The Bicep CLI restored by this project (the <c>Azure.Bicep.CommandLine.linux-x64</c> package download; its path
/// is compiled into the assembly metadata), run on infra/main.bicep.
/// </summary>
internal static class Bicep
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    public static string CliPath { get; } = typeof(Bicep).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "BicepPath").Value ?? throw new InvalidOperationException("No BicepPath assembly metadata.");

    /// <summary><c>bicep build --stdout</c>: the ARM JSON the deployment gets, and the compiler's diagnostics.</summary>
    public static Task<BicepRun> BuildAsync(string file) => RunAsync("build", file, "--stdout");

    /// <summary><c>bicep lint</c>: the compiler's and the linter's diagnostics.</summary>
    public static Task<BicepRun> LintAsync(string file) => RunAsync("lint", file);

    private static async Task<BicepRun> RunAsync(params string[] arguments)
    {
        if (!File.Exists(CliPath))
        {
            throw new FileNotFoundException("The Bicep CLI is missing: restore tests/AlipayFunctions.Deployment.Tests (it downloads Azure.Bicep.CommandLine.linux-x64).", CliPath);
        }
        var start = new ProcessStartInfo(CliPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Repo.Root,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + CliPath);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', arguments)} did not finish within {Timeout}.");
        }
        return new BicepRun(process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>Builds and lints infra/main.bicep once for all the tests that read the result.</summary>
public sealed class CompiledTemplateFixture : IAsyncLifetime
{
    internal BicepRun Build { get; private set; } = null!;

    internal BicepRun Lint { get; private set; } = null!;

    /// <summary>The compiled ARM template (null when the build failed: the build test says why).</summary>
    internal JsonObject? Template { get; private set; }

    public async Task InitializeAsync()
    {
        var build = Bicep.BuildAsync(Repo.MainBicep);
        var lint = Bicep.LintAsync(Repo.MainBicep);
        (Build, Lint) = (await build, await lint);
        if (Build.ExitCode == 0)
        {
            Template = JsonNode.Parse(Build.StandardOutput)!.AsObject();
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

[CollectionDefinition(Name)]
public sealed class CompiledTemplateGroup : ICollectionFixture<CompiledTemplateFixture>
{
    public const string Name = "infra/main.bicep compiled";
}
