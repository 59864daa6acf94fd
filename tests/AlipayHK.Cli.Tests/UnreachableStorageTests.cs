using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using AlipayHK.Cli.Tests.Support;

namespace AlipayHK.Cli.Tests;

/// <summary>Storage that cannot be reached is one line on standard error and exit code 1, within seconds.</summary>
public sealed class UnreachableStorageTests
{
    private static Dictionary<string, string?> ClosedPortStorage()
    {
        // A port that was free a moment ago: nothing listens there, so every connection is refused.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new()
        {
            ["AzureWebJobsStorage"] =
                "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
                $"QueueEndpoint=http://127.0.0.1:{port}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;",
        };
    }

    [Theory]
    [InlineData("member", "2160000000000001")]
    [InlineData("member", "reset-card", "2160000000000001")]
    [InlineData("poison", "list")]
    [InlineData("poison", "replay", "--queue", "bills", "--all")]
    public async Task A_closed_port_is_one_line_and_exit_code_1(params string[] args)
    {
        var watch = Stopwatch.StartNew();
        var run = await CliRunner.RunAsync(ClosedPortStorage(), args);
        watch.Stop();

        Assert.True(run.ExitCode == 1, run.ToString());
        var line = Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("alipayhk: storage cannot be reached", line, StringComparison.Ordinal);
        Assert.Contains("refused", line, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(" at ", line, StringComparison.Ordinal); // no stack trace
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }
}
