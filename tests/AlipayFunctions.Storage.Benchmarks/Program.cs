using System.Globalization;
using AlipayFunctions.Storage.Benchmarks;
using BenchmarkDotNet.Running;

// "paired [rounds] [--canned]": the side-by-side run that decides the 10 % target (see PairedRun); --canned puts a
// fixed-answer stand-in service in Azurite's place, to measure the clients' own cost. Anything else goes to
// BenchmarkDotNet (absolute times and allocations against Azurite), e.g. --filter '*'.
if (args is ["paired", .. var options])
{
    var canned = options.Contains("--canned");
    var numbers = options.Where(o => o != "--canned").ToArray();
    var rounds = 30;
    if (numbers.Length > 1 || (numbers.Length == 1 && (!int.TryParse(numbers[0], NumberStyles.None, CultureInfo.InvariantCulture, out rounds) || rounds < 2)))
    {
        await Console.Error.WriteLineAsync("usage: paired [rounds, at least 2; default 30] [--canned]").ConfigureAwait(false);
        return 2;
    }

    return await PairedRun.RunAsync(rounds, canned).ConfigureAwait(false);
}

BenchmarkSwitcher.FromAssembly(typeof(StorageClientBenchmarks).Assembly).Run(args);
return 0;
