using System.Globalization;
using AlipayFunctions.Storage.Benchmarks;
using BenchmarkDotNet.Running;

// "paired [rounds]": the side-by-side run against one Azurite that decides the 10 % target (see PairedRun).
// Anything else goes to BenchmarkDotNet (absolute times and allocations), e.g. --filter '*'.
if (args is ["paired", ..])
{
    return await PairedRun.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30).ConfigureAwait(false);
}

BenchmarkSwitcher.FromAssembly(typeof(StorageClientBenchmarks).Assembly).Run(args);
return 0;
