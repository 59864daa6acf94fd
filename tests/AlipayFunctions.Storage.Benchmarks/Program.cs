using System.Globalization;
using AlipayFunctions.Storage.Benchmarks;
using BenchmarkDotNet.Running;

// "paired [rounds]": the side-by-side run against one Azurite that decides the 10 % target (see PairedRun).
// Anything else goes to BenchmarkDotNet (absolute times and allocations), e.g. --filter '*'.
if (args is ["paired", ..])
{
    var rounds = 30;
    if (args.Length > 2 || (args.Length == 2 && (!int.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out rounds) || rounds < 2)))
    {
        await Console.Error.WriteLineAsync("usage: paired [rounds, at least 2; default 30]").ConfigureAwait(false);
        return 2;
    }

    return await PairedRun.RunAsync(rounds).ConfigureAwait(false);
}

BenchmarkSwitcher.FromAssembly(typeof(StorageClientBenchmarks).Assembly).Run(args);
return 0;
